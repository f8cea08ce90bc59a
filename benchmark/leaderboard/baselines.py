"""Each reference SAE against its trained random baselines and its untrained control, in the
manner of Korznikov et al.'s Table 2: explained variance and L0 of each, and per regime the
reference's SAE probe minus the baseline's (paired cell by cell, bootstrap CI over datasets,
p-values adjusted across the regimes). A positive delta is what the reference learned beyond
random directions."""

from __future__ import annotations

from collections.abc import Sequence

from benchmark.leaderboard.compare import paired_cell_deltas
from benchmark.leaderboard.pages import REGIME_TITLES, submission_href
from benchmark.leaderboard.summary import EntrySummary, RegimeSummary, comparison_rows
from benchmark.leaderboard.tables import (
    Cell,
    HeaderCell,
    Table,
    estimate_cell,
    number_cell,
    text_cell,
)
from benchmark.saes.recipes import BASELINES
from benchmark.stats.settings import StatsSettings

CONTROL = "untrained control"


def baselines_of(summaries: Sequence[EntrySummary]) -> dict[str, list[EntrySummary]]:
    """reference id -> its random baselines' summaries, in constraint order."""
    found: dict[str, list[EntrySummary]] = {}
    for summary in summaries:
        link = summary.evaluation.submission.manifest.random_baseline
        if link is not None:
            found.setdefault(link.of, []).append(summary)
    for entries in found.values():
        entries.sort(key=lambda s: BASELINES.index(constraint(s)))
    return found


def constraint(summary: EntrySummary) -> str:
    link = summary.evaluation.submission.manifest.random_baseline
    return link.constraint if link is not None else CONTROL


def baselines_table(
    summaries: Sequence[EntrySummary], regimes: Sequence[str], settings: StatsSettings
) -> Table | None:
    """One block per reference that has baselines: the reference, then each baseline and its
    untrained control, with the reference minus it per regime."""
    grouped = baselines_of(summaries)
    references = [s for s in summaries if s.evaluation.id in grouped]
    if not references:
        return None
    rows = []
    for reference in references:
        rows.append(reference_row(reference, regimes))
        for baseline in grouped[reference.evaluation.id]:
            deltas = paired_cell_deltas(
                reference.evaluation.cells["sae"], baseline.evaluation.cells["sae"]
            )
            found = comparison_rows("baseline", deltas, settings)
            rows.append(baseline_row(reference, baseline, regimes, found))
        control = {("baseline", r): s for (c, r), s in reference.rows.items() if c == "control"}
        if control:
            rows.append(baseline_row(reference, None, regimes, control))
    header = [
        HeaderCell(key="reference", label="Reference SAE"),
        HeaderCell(key="baseline", label="Against", filter=True),
        HeaderCell(key="l0", label="L0", numeric=True, title="measured at validation"),
        HeaderCell(key="explained_variance", label="Expl. var.", numeric=True, better="higher"),
    ]
    header += [
        HeaderCell(
            key=f"delta_{regime}",
            label=f"{REGIME_TITLES.get(regime, regime)} \u0394",
            numeric=True,
            better="higher",
            title="reference SAE probe minus the baseline's, per cell; bootstrap CI over datasets",
        )
        for regime in regimes
    ]
    return Table(
        id="random-baselines",
        title="Against random baselines",
        caption="Each reference SAE's probe minus that of its trained random baselines "
        "(Korznikov et al. 2026: decoder frozen at a random draw from the activations' "
        "covariance; decoder kept within cosine 0.8 of its random start; encoder frozen at "
        "its random start), each trained like the reference, and minus its untrained random "
        f"control. Mean with 95% CI over datasets, * p < {settings.alpha:g} after correction "
        "across regimes. Near zero: the reference learned little a random baseline lacks.",
        header=header,
        rows=rows,
    )


def measured_cells(summary: EntrySummary) -> list[Cell]:
    measured = (summary.evaluation.submission.validation() or {}).get("measured", {})
    return [number_cell(measured.get("l0"), 1), number_cell(measured.get("explained_variance"))]


def reference_row(reference: EntrySummary, regimes: Sequence[str]) -> list[Cell]:
    name = reference.evaluation.submission.manifest.display_name
    return [
        text_cell(name, submission_href(reference.evaluation)),
        text_cell("(itself)"),
        *measured_cells(reference),
        *[number_cell(None) for _ in regimes],
    ]


def baseline_row(
    reference: EntrySummary,
    baseline: EntrySummary | None,
    regimes: Sequence[str],
    found: dict[tuple[str, str], RegimeSummary],
) -> list[Cell]:
    """``baseline`` None: the reference's untrained control (its L0 and EV not measured)."""
    name = reference.evaluation.submission.manifest.display_name
    if baseline is None:
        against = text_cell(CONTROL)
        measured = [number_cell(None), number_cell(None)]
    else:
        against = text_cell(constraint(baseline), submission_href(baseline.evaluation))
        measured = measured_cells(baseline)
    cells = []
    for regime in regimes:
        row = found.get(("baseline", regime))
        cells.append(
            estimate_cell(row.estimate, row.adjusted_p, significant=row.significant)
            if row is not None
            else number_cell(None)
        )
    return [text_cell(name, submission_href(reference.evaluation)), against, *measured, *cells]
