"""Two submissions side by side, one page per pair.

Per regime: the paired difference of their SAE probes' test AUCs (A minus B) on the cells both
have, with a bootstrap CI over datasets and p-values adjusted across the regimes. Per dataset
(normal regime), where they differ most: the difference with a CI that resamples the test
examples, from the stored per-example scores, paired (the same resampled rows for both).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from benchmark.leaderboard.collect import Evaluation
from benchmark.leaderboard.pages import REGIME_TITLES, Page, slug, summary_link
from benchmark.leaderboard.summary import EntrySummary, comparison_rows
from benchmark.leaderboard.tables import Cell, HeaderCell, Table, estimate_cell, signed, text_cell
from benchmark.results.comparisons import ByDataset, probe_pick
from benchmark.results.schema import CellResult
from benchmark.results.store import load_scores
from benchmark.stats.bootstrap import percentile_interval
from benchmark.stats.examples import rank_auc, stratified_indices
from benchmark.stats.settings import StatsSettings

MOST_DIFFERENT = 10  # datasets listed per pair
EXAMPLE_RESAMPLES = 2_000  # per pair and dataset: at the default 10,000 the pages took 4x the site
DIFFERENCE = HeaderCell(key="difference", label="A \u2212 B", numeric=True, better="higher")


def compare_href(a: Evaluation, b: Evaluation) -> str:
    return f"compare/{slug(a.id)}--{slug(b.id)}.html"


def compare_pages(
    pairs: Sequence[tuple[EntrySummary, EntrySummary]], root: Path, settings: StatsSettings
) -> list[Page]:
    """A page for each pair, the better ranked submission first."""
    return [compare_page(a, b, root, settings) for a, b in pairs]


def compare_page(a: EntrySummary, b: EntrySummary, root: Path, settings: StatsSettings) -> Page:
    first, second = a.evaluation, b.evaluation
    names = f"{first.submission.manifest.display_name} vs {second.submission.manifest.display_name}"
    page = Page(compare_href(first, second), "compare.html", names)
    page.extra = {"a": summary_link(a, page.root), "b": summary_link(b, page.root)}
    page.tables = [
        regime_differences_table(first, second, settings),
        dataset_differences_table(first, second, root, settings),
    ]
    return page


def paired_deltas(a: Evaluation, b: Evaluation) -> dict[str, ByDataset]:
    """regime -> dataset -> per-cell SAE-probe test AUC of ``a`` minus ``b``, on shared cells."""
    return paired_cell_deltas(a.cells["sae"], b.cells["sae"])


def paired_cell_deltas(
    cells: Sequence[CellResult], other_cells: Sequence[CellResult]
) -> dict[str, ByDataset]:
    """regime -> dataset -> per-cell picked SAE-probe test AUC of ``cells`` minus
    ``other_cells``, on the cells both have."""
    others = {cell.key: cell for cell in other_cells}
    out: dict[str, ByDataset] = {}
    for cell in cells:
        if cell.key in others:
            delta = probe_pick(cell)[1] - probe_pick(others[cell.key])[1]
            out.setdefault(cell.regime, {}).setdefault(cell.dataset, []).append(delta)
    return out


def regime_differences_table(a: Evaluation, b: Evaluation, settings: StatsSettings) -> Table:
    """Summarised as the leaderboard summarises a comparison (``comparison_rows``)."""
    summaries = comparison_rows("difference", paired_deltas(a, b), settings)
    rows = [
        [
            text_cell(REGIME_TITLES[regime]),
            estimate_cell(row.estimate, row.adjusted_p, significant=row.significant),
            text_cell(row.counts.display),
        ]
        for regime in REGIME_TITLES
        if (row := summaries.get(("difference", regime))) is not None
    ]
    return Table(
        id=f"compare-{slug(a.id)}--{slug(b.id)}",
        title="Paired differences per regime",
        caption=f"SAE probe of {a.submission.manifest.display_name} minus that of "
        f"{b.submission.manifest.display_name}, cell by cell on the cells both have; mean with "
        f"95% bootstrap CI over datasets, * p < {settings.alpha:g} after correction across the "
        "regimes.",
        header=[
            HeaderCell(key="regime", label="Regime"),
            DIFFERENCE,
            HeaderCell(key="wtl", label="Cells W/T/L", title="cells A wins / ties / loses"),
        ],
        rows=rows,
    )


def dataset_differences_table(
    a: Evaluation, b: Evaluation, root: Path, settings: StatsSettings
) -> Table:
    """The normal regime's datasets where the two differ most, with paired example CIs."""
    others = {c.key: c for c in b.cells["sae"] if c.regime == "normal"}
    pairs = [(c, others[c.key]) for c in a.cells["sae"] if c.key in others]
    pairs.sort(key=lambda pair: -abs(probe_pick(pair[0])[1] - probe_pick(pair[1])[1]))
    rows = []
    for cell, other in pairs[:MOST_DIFFERENT]:
        delta = probe_pick(cell)[1] - probe_pick(other)[1]
        low, high = paired_interval(a, cell, b, other, root, settings)
        rows.append(
            [
                text_cell(cell.dataset, f"../datasets/{slug(cell.dataset)}.html"),
                Cell(
                    value=delta, display=signed(delta), ci=(low, high),
                    detail=f"[{signed(low)}, {signed(high)}]",
                    title=f"95% CI over resampled test examples: [{signed(low)}, {signed(high)}]",
                ),
            ]
        )  # fmt: skip
    return Table(
        id=f"compare-datasets-{slug(a.id)}--{slug(b.id)}",
        title="Where they differ most (normal regime)",
        caption="Per dataset, A minus B; the CI resamples the test examples (stratified, "
        f"{EXAMPLE_RESAMPLES:,} times at most), the same rows for both submissions.",
        header=[HeaderCell(key="dataset", label="Dataset"), DIFFERENCE],
        rows=rows,
    )


def paired_interval(
    a: Evaluation,
    cell: CellResult,
    b: Evaluation,
    other: CellResult,
    root: Path,
    settings: StatsSettings,
) -> tuple[float, float]:
    stored_a, stored_b = cell_scores(a, cell, root), cell_scores(b, other, root)
    labels = stored_a[f"{cell.key}/test_labels"].astype(int)
    if not np.array_equal(labels, stored_b[f"{other.key}/test_labels"]):
        raise ValueError(f"{cell.key}: {a.id} and {b.id} scored different test rows")
    resamples = min(settings.resamples, EXAMPLE_RESAMPLES)
    indices = stratified_indices(labels, settings.model_copy(update={"resamples": resamples}))
    draws = probe_draws(stored_a, cell, labels, indices) - probe_draws(
        stored_b, other, labels, indices
    )
    return percentile_interval(draws, settings.confidence)


def cell_scores(evaluation: Evaluation, cell: CellResult, root: Path) -> dict[str, np.ndarray]:
    return load_scores(root / evaluation.records[("sae", cell.dataset, cell.regime)])


def probe_draws(
    stored: dict[str, np.ndarray], cell: CellResult, labels: np.ndarray, indices: np.ndarray
) -> np.ndarray:
    """The picked SAE probe's test AUC on each resample of the test rows (tied picks: the mean
    of their AUCs, as the pick itself)."""
    methods, _ = probe_pick(cell)
    return np.mean(
        [
            rank_auc(stored[f"{cell.key}/{m}"].astype(float)[indices], labels[indices])
            for m in methods
        ],
        axis=0,
    )
