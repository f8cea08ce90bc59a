"""The site's pages as data: each page names its template, its tables and its plots. Building
them does every computation; templates only lay out what is here."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from benchmark.leaderboard import plots
from benchmark.leaderboard.collect import Evaluation
from benchmark.leaderboard.summary import RANKING_COMPARISON, EntrySummary
from benchmark.leaderboard.tables import (
    DASH,
    NONE,
    Cell,
    HeaderCell,
    Table,
    estimate_cell,
    interval_cell,
    number_cell,
    percent_cell,
    signed,
    text_cell,
)
from benchmark.results.comparisons import COMPARISONS, ByDataset, probe_auc, probe_pick
from benchmark.results.schema import CellResult
from benchmark.results.store import load_scores
from benchmark.stats.bootstrap import dataset_bootstrap
from benchmark.stats.examples import auc_interval
from benchmark.stats.ranks import Ranked
from benchmark.stats.settings import StatsSettings

CURVES = {
    "scarcity": ("training examples", True),
    "imbalance": ("fraction of positive examples", False),
    "label_noise": ("fraction of flipped training labels", False),
}
REGIME_TITLES = {
    "normal": "Normal",
    "scarcity": "Data scarcity",
    "imbalance": "Class imbalance",
    "label_noise": "Label noise",
    "covariate_shift": "Covariate shift",
    "multitoken": "Multi-token",
}


@dataclass(frozen=True)
class Plot:
    file: str
    svg: str
    caption: str


@dataclass
class Page:
    path: str
    template: str
    title: str
    tables: list[Table] = field(default_factory=list)
    plots: list[Plot] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def root(self) -> str:
        return "../" * self.path.count("/")


def slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name)


def submission_href(evaluation: Evaluation) -> str:
    return f"submissions/{slug(evaluation.id)}.html"


def submission_cells(evaluation: Evaluation, root: str = "") -> list[Cell]:
    """Link, architecture, width, L0, explained variance and dead latents of a submission."""
    manifest = evaluation.submission.manifest
    measured = (evaluation.submission.validation() or {}).get("measured", {})
    return [
        text_cell(manifest.display_name, root + submission_href(evaluation)),
        text_cell(manifest.architecture),
        Cell(value=manifest.width, display=f"{manifest.width:,}"),
        number_cell(measured.get("l0"), 1),
        number_cell(measured.get("explained_variance"), 3),
        percent_cell(measured.get("dead_fraction")),
    ]


SUBMISSION_HEADER = [
    HeaderCell(key="submission", label="Submission"),
    HeaderCell(key="architecture", label="Architecture", filter=True),
    HeaderCell(key="width", label="Width", numeric=True, filter=True),
    HeaderCell(key="l0", label="L0", numeric=True, title="measured at validation"),
    HeaderCell(key="explained_variance", label="Expl. var.", numeric=True, better="higher"),
    HeaderCell(
        key="dead_fraction",
        label="Dead",
        numeric=True,
        title="share of latents that never fire on the validation activations",
        better="lower",
    ),
]


def ranking_table(ranked: Sequence[Ranked], by_id: dict[str, EntrySummary]) -> Table:
    header = [
        HeaderCell(key="rank", label="Rank", numeric=True, better="lower"),
        HeaderCell(key="rank_interval", label="95% rank interval"),
        HeaderCell(key="tie_group", label="Tie group", numeric=True),
        *SUBMISSION_HEADER,
        HeaderCell(
            key="score",
            label="Score",
            numeric=True,
            title="mean over datasets of the SAE probe minus the best baseline, regimes equally "
            "weighted",
            better="higher",
        ),
        HeaderCell(key="datasets", label="Datasets", numeric=True),
    ]
    rows = []
    for entry in ranked:
        evaluation = by_id[entry.entry].evaluation
        rows.append(
            [
                Cell(value=entry.rank, display=str(entry.rank)),
                text_cell(f"{entry.rank_low}{DASH}{entry.rank_high}"),
                Cell(value=entry.group, display=str(entry.group)),
                *submission_cells(evaluation),
                Cell(value=entry.score, display=signed(entry.score)),
                Cell(value=entry.n_datasets, display=str(entry.n_datasets)),
            ]
        )
    return Table(
        id="ranking",
        title="Ranking",
        caption="Submissions that share a tie group cannot be told apart at the 95% level.",
        header=header,
        rows=rows,
    )


HEAT_POSITIVE, HEAT_NEGATIVE = (27, 106, 201), (209, 73, 91)  # the SAE probe's and control's


def heatmap_table(
    summaries: Sequence[EntrySummary], regimes: Sequence[str], floors: dict[str, float]
) -> Table:
    """Submissions x regimes: the SAE probe minus the best baseline (the ranking comparison),
    blue above 0 and red below, deeper with the size of the delta; the CI under each value and
    in its tooltip, ``*`` where significant; a last row with each regime's noise floor."""
    rows = [[summary_link(summary)] for summary in summaries]
    cells = [[comparison_cell(s, RANKING_COMPARISON, r) for r in regimes] for s in summaries]
    values = [c.value for row in cells for c in row if isinstance(c.value, float)]
    scale = max([abs(v) for v in values] + [0.01])
    for row, row_cells in zip(rows, cells, strict=True):
        row += [
            cell.model_copy(update={"color": heat_color(cell.value, scale)}) for cell in row_cells
        ]
    if floors and summaries:
        rows.append(
            [text_cell("Noise floor (seed alone)"), *[floor_cell(floors, r) for r in regimes]]
        )
    return Table(
        id="heatmap",
        title="At a glance: SAE probe minus best baseline",
        caption="Mean test-AUC delta per regime with its 95% CI over datasets (blue: the SAE "
        f"probe is better; red: worse; * p < {significance_level(summaries):g} after "
        "correction). Hover a cell for its p-value. The last row is each regime's noise floor: "
        "how far a mean moves over the demo suite when only the protocol's seed changes; a "
        "delta inside it cannot be told from reseeding.",
        header=[
            HeaderCell(key="submission", label="Submission"),
            *[
                HeaderCell(key=r, label=REGIME_TITLES.get(r, r), numeric=True, better="higher")
                for r in regimes
            ],
        ],
        rows=rows,
    )


def floor_cell(floors: dict[str, float], regime: str) -> Cell:
    floor = floors.get(regime)
    if floor is None:
        return Cell(value=None, display=NONE, title="not measured")
    return Cell(
        value=floor, display=f"\u00b1{floor:.3f}",
        title="half-width of the 95% interval of a regime mean over the demo suite under "
        "reseeding alone (benchmarks/noise_floor.py)",
    )  # fmt: skip


def summary_link(summary: EntrySummary, root: str = "") -> Cell:
    evaluation = summary.evaluation
    href = root + submission_href(evaluation)
    return text_cell(evaluation.submission.manifest.display_name, href)


def heat_color(value: object, scale: float) -> str | None:
    """White at 0, the full colour at ``scale`` (kept light enough for the text on it)."""
    if not isinstance(value, float) or np.isnan(value):
        return None
    base = HEAT_POSITIVE if value >= 0 else HEAT_NEGATIVE
    weight = 0.65 * min(1.0, abs(value) / scale)
    channels = [round(255 + (c - 255) * weight) for c in base]
    return "#" + "".join(f"{c:02x}" for c in channels)


def overview_plots(ranked: Sequence[Ranked], by_id: dict[str, EntrySummary]) -> list[Plot]:
    """The ranking score against L0 and against width, coloured by architecture."""
    by_l0, by_width = [], []
    for entry in ranked:
        submission = by_id[entry.entry].evaluation.submission
        architecture = submission.manifest.architecture
        l0 = (submission.validation() or {}).get("measured", {}).get("l0")
        if l0 is not None:
            by_l0.append((float(l0), entry.score, architecture))
        by_width.append((float(submission.manifest.width), entry.score, architecture))
    return [
        Plot("score-vs-l0.svg", plots.scatter(by_l0, "L0 (measured at validation)",
             "Score against L0"), "Ranking score against L0, by architecture"),
        Plot("score-vs-width.svg", plots.scatter(by_width, "width (latents)",
             "Score against width", log_x=True), "Ranking score against width, by architecture"),
    ]  # fmt: skip


def deltas_table(
    summaries: Sequence[EntrySummary],
    table_id: str = "deltas",
    root: str = "",
    only: str | None = None,
    floors: dict[str, float] | None = None,
) -> Table:
    """One row per (submission, regime): the three comparisons with CIs and marks; ``only``
    keeps one regime. ``table_id`` names the table's download files."""
    header = [
        *SUBMISSION_HEADER,
        HeaderCell(key="regime", label="Regime", filter=True),
        *[
            HeaderCell(key=name, label=label, numeric=True, better="higher")
            for name, label in COMPARISONS.items()
        ],
        HeaderCell(key="quiver_wtl", label="Quiver W/T/L", title="cells won / tied / lost"),
        HeaderCell(
            key="noise_floor", label="Noise floor", numeric=True,
            title="of the SAE probe minus the best baseline: how far it moves under reseeding",
        ),
    ]  # fmt: skip
    rows = []
    for summary in summaries:
        evaluation = summary.evaluation
        for regime in evaluation.regimes():
            if only is not None and regime != only:
                continue
            quiver = summary.get("quiver", regime)
            rows.append(
                [
                    *submission_cells(evaluation, root),
                    text_cell(regime, f"{root}regimes/{regime}.html"),
                    *[comparison_cell(summary, name, regime) for name in COMPARISONS],
                    text_cell(quiver.counts.display if quiver else NONE),
                    floor_cell(floors or {}, regime),
                ]
            )
    return Table(
        id=table_id,
        title="Deltas per regime",
        caption="Mean test-AUC deltas with 95% bootstrap CIs over datasets; * "
        f"marks p < {significance_level(summaries):g} after multiple-testing correction across "
        "the regimes.",
        header=header,
        rows=rows,
    )


def significance_level(summaries: Sequence[EntrySummary]) -> float:
    """The level the summaries were marked at (the default settings' when there are none)."""
    levels = {row.alpha for summary in summaries for row in summary.rows.values()}
    return levels.pop() if len(levels) == 1 else StatsSettings().alpha


def comparison_cell(summary: EntrySummary, comparison: str, regime: str) -> Cell:
    row = summary.get(comparison, regime)
    if row is None:
        return estimate_cell(None)
    sources = summary.evaluation.sources(regime)
    return estimate_cell(row.estimate, row.adjusted_p, sources, row.significant)


def other_protocols_table(evaluations: Sequence[Evaluation]) -> Table:
    return Table(
        id="other-protocols",
        title="Results under other protocols (not ranked)",
        header=[
            HeaderCell(key="submission", label="Submission"),
            HeaderCell(key="protocol", label="Protocol"),
            HeaderCell(key="protocol_hash", label="Protocol hash"),
            HeaderCell(key="regimes", label="Regimes"),
        ],
        rows=[
            [
                text_cell(e.submission.manifest.display_name, submission_href(e)),
                text_cell(e.protocol),
                text_cell(e.protocol_hash[:12]),
                text_cell(", ".join(e.regimes())),
            ]
            for e in evaluations
        ],
    )


def submission_page(summary: EntrySummary, root: Path, settings: StatsSettings) -> Page:
    evaluation = summary.evaluation
    page = Page(
        submission_href(evaluation),
        "submission.html",
        evaluation.submission.manifest.display_name,
        extra={"manifest": evaluation.submission.manifest, "protocol": evaluation.protocol},
    )
    page.tables = [
        deltas_table([summary], f"deltas-{slug(evaluation.id)}", page.root),
        per_dataset_table(evaluation, root, settings, page.root),
    ]
    page.plots, page.notes = submission_plots(evaluation, settings)
    return page


def per_dataset_table(
    evaluation: Evaluation, root: Path, settings: StatsSettings, prefix: str
) -> Table:
    """Normal-regime test AUCs per dataset, the SAE probe's with a test-example CI."""
    controls = {c.key: c for c in evaluation.cells.get("control", []) if c.regime == "normal"}
    rows = []
    for cell in sorted(evaluation.cells["sae"], key=lambda c: c.dataset):
        if cell.regime != "normal":
            continue
        control = controls.get(cell.key)
        rows.append(
            [
                text_cell(cell.dataset, f"{prefix}datasets/{slug(cell.dataset)}.html"),
                Cell(value=cell.n_test, display=str(cell.n_test)),
                probe_cell(evaluation, cell, root, settings),
                number_cell(cell.quiver.baseline_test_auc if cell.quiver else None),
                number_cell(probe_auc(control) if control else None),
                number_cell(cell.quiver.delta if cell.quiver else None),
            ]
        )
    return Table(
        id=f"datasets-{slug(evaluation.id)}",
        title="Per dataset (normal regime)",
        caption="SAE-probe CIs resample the test examples (stratified).",
        header=[
            HeaderCell(key="dataset", label="Dataset"),
            HeaderCell(key="n_test", label="Test rows", numeric=True),
            HeaderCell(key="sae_probe", label="SAE probe", numeric=True, better="higher"),
            HeaderCell(key="best_baseline", label="Best baseline", numeric=True, better="higher"),
            HeaderCell(key="control", label="Random control", numeric=True),
            HeaderCell(key="quiver_delta", label="Quiver Δ", numeric=True, better="higher"),
        ],
        rows=rows,
    )


def probe_cell(
    evaluation: Evaluation, cell: CellResult, root: Path, settings: StatsSettings
) -> Cell:
    """The SAE probe's test AUC, with a test-example CI when one probe was picked and its
    per-example scores are stored."""
    methods, auc = probe_pick(cell)
    record = evaluation.records.get(("sae", cell.dataset, cell.regime))
    if record is None:
        return number_cell(auc)
    scores = load_scores(root / record)
    picked = f"{cell.key}/{methods[0]}"
    if len(methods) != 1 or picked not in scores:
        return number_cell(auc, sources=[record])
    low, high = auc_interval(scores[picked], scores[f"{cell.key}/test_labels"], settings)
    return interval_cell(auc, low, high, [record])


def level_series(
    cells: Sequence[CellResult], controls: Sequence[CellResult], settings: StatsSettings
) -> tuple[plots.Series, plots.Bands]:
    """Mean test AUC per level over datasets, with its 95% bootstrap CI over datasets: the SAE
    probe, the best baseline, the quiver with the SAE, and the control's probe."""
    values: dict[str, dict[float, ByDataset]] = {name: {} for name in plots.COLORS}
    for cell in cells:
        if cell.level is None or cell.quiver is None:
            continue
        for name, value in (
            ("SAE probe", probe_auc(cell)),
            ("best baseline", cell.quiver.baseline_test_auc),
            ("quiver with SAE", cell.quiver.with_sae_test_auc),
        ):
            values[name].setdefault(cell.level, {}).setdefault(cell.dataset, []).append(value)
    for cell in controls:
        if cell.level is not None:
            by_dataset = values["random control"].setdefault(cell.level, {})
            by_dataset.setdefault(cell.dataset, []).append(probe_auc(cell))
    series, bands = {}, {}
    for name, by_level in values.items():
        if not by_level:
            continue
        levels = sorted(by_level)
        estimates = [dataset_bootstrap(by_level[x], settings) for x in levels]
        series[name] = (levels, [e.mean for e in estimates])
        bands[name] = ([e.low for e in estimates], [e.high for e in estimates])
    return series, bands


def dataset_series(
    cells: Sequence[CellResult], controls: Sequence[CellResult]
) -> tuple[list[str], dict[str, list[float]]]:
    """Per dataset test AUC (first seed): the SAE probe, the best baseline and the control."""
    by_key = {c.key: c for c in controls}
    chosen = sorted((c for c in cells if c.quiver is not None), key=lambda c: c.dataset)
    series: dict[str, list[float]] = {
        "SAE probe": [probe_auc(c) for c in chosen],
        "best baseline": [c.quiver.baseline_test_auc for c in chosen if c.quiver],
    }
    if all(c.key in by_key for c in chosen) and chosen:
        series["random control"] = [probe_auc(by_key[c.key]) for c in chosen]
    return [c.dataset for c in chosen], series


def submission_plots(
    evaluation: Evaluation, settings: StatsSettings
) -> tuple[list[Plot], list[str]]:
    """Curves for the graded regimes, bars for covariate shift and multi-token; a note for
    each regime without results."""
    name = slug(evaluation.id)
    found, notes = [], []
    by_regime: dict[str, dict[str, list[CellResult]]] = {}
    for arm, cells in evaluation.cells.items():
        for cell in cells:
            by_regime.setdefault(cell.regime, {}).setdefault(arm, []).append(cell)
    for regime, (xlabel, log_x) in CURVES.items():
        arms = by_regime.get(regime)
        if not arms:
            notes.append(f"No {REGIME_TITLES[regime].lower()} results.")
            continue
        series, bands = level_series(arms["sae"], arms.get("control", []), settings)
        svg = plots.curves(series, xlabel, REGIME_TITLES[regime], log_x, bands)
        found.append(Plot(f"{name}-{regime}.svg", svg, f"{REGIME_TITLES[regime]}: test AUC"))
    for regime in ("covariate_shift", "multitoken"):
        arms = by_regime.get(regime)
        if not arms:
            notes.append(f"No {REGIME_TITLES[regime].lower()} results.")
            continue
        labels, per_dataset = dataset_series(arms["sae"], arms.get("control", []))
        svg = plots.bars(labels, per_dataset, REGIME_TITLES[regime])
        found.append(Plot(f"{name}-{regime}.svg", svg, f"{REGIME_TITLES[regime]}: test AUC"))
    return found, notes


def regime_page(regime: str, summaries: Sequence[EntrySummary]) -> Page:
    page = Page(f"regimes/{regime}.html", "table_page.html", REGIME_TITLES.get(regime, regime))
    page.tables = [deltas_table(summaries, f"regime-{regime}", page.root, only=regime)]
    return page


def dataset_page(dataset: str, summaries: Sequence[EntrySummary]) -> Page:
    """Every submission on one dataset: normal-regime AUCs and the mean SAE-probe delta per
    regime."""
    page = Page(f"datasets/{slug(dataset)}.html", "table_page.html", dataset)
    regimes = sorted({c.regime for s in summaries for c in s.evaluation.cells["sae"]})
    rows = []
    for summary in summaries:
        evaluation = summary.evaluation
        cells = [c for c in evaluation.cells["sae"] if c.dataset == dataset]
        if not cells:
            continue
        normal = next((c for c in cells if c.regime == "normal" and c.quiver), None)
        rows.append(
            [
                *submission_cells(evaluation, page.root),
                number_cell(probe_auc(normal) if normal else None),
                number_cell(normal.quiver.baseline_test_auc if normal and normal.quiver else None),
                *[regime_delta_cell(summary, regime, dataset) for regime in regimes],
            ]
        )
    page.tables = [
        Table(
            id=f"dataset-{slug(dataset)}",
            title="Submissions on this dataset",
            caption="Normal-regime test AUCs, then mean SAE probe minus best baseline by regime",
            header=[
                *SUBMISSION_HEADER,
                HeaderCell(key="sae_probe", label="SAE probe", numeric=True, better="higher"),
                HeaderCell(key="best_baseline", label="Best baseline", numeric=True),
                *[
                    HeaderCell(key=r, label=f"Δ {r}", numeric=True, better="higher")
                    for r in regimes
                ],
            ],
            rows=rows,
        )
    ]
    return page


def regime_delta_cell(summary: EntrySummary, regime: str, dataset: str) -> Cell:
    """The submission's mean SAE probe minus best baseline on one dataset and regime."""
    mean = summary.cell_means.get((regime, dataset))
    return number_cell(None) if mean is None else Cell(value=mean, display=signed(mean))
