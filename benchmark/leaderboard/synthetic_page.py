"""The synthetic track's page: per architecture, the metrics with 95% intervals over seeds,
recovery against firing rate, and the probing gaps on tasks whose labels are known features."""

from __future__ import annotations

import math

from benchmark.leaderboard import plots
from benchmark.leaderboard.pages import Page, Plot
from benchmark.leaderboard.tables import NONE, Cell, HeaderCell, Table, plain, signed, text_cell
from benchmark.synthetic.summary import (
    COMPARISONS,
    TASK_GROUPS,
    Interval,
    ProbingGap,
    TrackResults,
    metric_summary,
    probing_gaps,
    recovery_by_rate,
)
from benchmark.synthetic.track import TRACK_FILE, load_track, track_file_of

PAGE = "synthetic.html"
METRIC_COLUMNS = {  # metric -> (label, which way is better, digits, what it is)
    "recovered": ("recovered", "higher", 3, "share of true features a decoder row matches"),
    "mcc": ("MCC", "higher", 3, "mean |cos| of a one-to-one matching of latents to features"),
    "f1": ("F1", "higher", 3, "each latent as a detector of its matched feature's firing"),
    "explained_variance": ("EV", "higher", 3, "explained variance of the reconstruction"),
    "l0": ("L0", None, 1, "latents active per row"),
    "dead_latents": ("dead", "lower", 0, "latents that never fire on the scoring rows"),
}


def synthetic_page(results: TrackResults) -> Page:
    """The page of ``results``, under the rules of the shipped track file they were computed
    under (the current one's when they match none: the page then says so)."""
    path = track_file_of(results.track_hash)
    track = load_track(path or TRACK_FILE)
    page = Page(PAGE, "synthetic.html", "Synthetic ground-truth track")
    page.tables = [metrics_table(results), probing_table(results)]
    if results.feature_rates:
        page.plots = [recovery_plot(results, track.scoring.recovery_cosine)]
    page.extra = {
        "track_hash": results.track_hash[:12],
        "track_name": path.name if path else None,
        "track_text": path.read_text(encoding="utf-8") if path else None,
        "current": path == TRACK_FILE,
        "seeds": sorted({run.seed for run in results.runs}),
        "threshold": track.scoring.recovery_cosine,
    }
    return page


def seed_cell(interval: Interval, count: str, digits: int = 3, delta: bool = False) -> Cell:
    """A mean with its 95% Student-t interval over ``count`` (e.g. "3 seeds")."""
    show = (lambda v: signed(v, digits)) if delta else (lambda v: plain(v, digits))
    known = not math.isnan(interval.low)
    return Cell(
        value=interval.mean,
        display=show(interval.mean),
        detail=f"[{show(interval.low)}, {show(interval.high)}]" if known else None,
        ci=(interval.low, interval.high) if known else None,
        title=f"95% t-interval over {count}" if known else f"no interval: {count}",
    )


def metrics_table(results: TrackResults) -> Table:
    header = [
        HeaderCell(key="architecture", label="Architecture"),
        HeaderCell(key="seeds", label="Seeds", numeric=True),
    ]
    header += [
        HeaderCell(key=key, label=label, numeric=True, better=better, title=what)
        for key, (label, better, _, what) in METRIC_COLUMNS.items()
    ]
    header.append(
        HeaderCell(
            key="train_seconds",
            label="Training CPU s",
            numeric=True,
            better="lower",
            title="mean over seeds, one torch thread",
        )
    )
    rows = []
    for name in results.architectures():
        runs = results.runs_of(name)
        summary = metric_summary(runs)
        row = [text_cell(name), Cell(value=len(runs), display=str(len(runs)))]
        seeds = f"{len(runs)} seeds"
        row += [seed_cell(summary[key], seeds, spec[2]) for key, spec in METRIC_COLUMNS.items()]
        seconds = sum(run.train_seconds for run in runs) / len(runs)
        row.append(Cell(value=seconds, display=f"{seconds:.0f}"))
        rows.append(row)
    return Table(
        id="synthetic-metrics",
        title="Recovery of the known features",
        caption="Mean over seeds with its 95% Student-t interval. The untrained row is the "
        "chance floor: a TopK SAE as SAELens initialises it.",
        header=header,
        rows=rows,
    )


def probing_table(results: TrackResults) -> Table:
    columns = [(other, group) for other in COMPARISONS for group in TASK_GROUPS]
    header = [
        HeaderCell(key="architecture", label="Architecture"),
        HeaderCell(key="regime", label="Regime"),
    ]
    header += [
        HeaderCell(
            key=f"{other}_{group}",
            label=f"SAE \u2212 {other} ({group})",
            numeric=True,
            better="higher",
            title=f"SAE probe minus {other}: mean test AUC, {group} tasks",
        )
        for other, group in columns
    ]
    rows = []
    for name in results.architectures():
        gaps = probing_gaps(results.runs_of(name))
        for regime in dict.fromkeys(gap.regime for gap in gaps):
            found = {(g.comparison, g.tasks): g for g in gaps if g.regime == regime}
            row = [text_cell(name), text_cell(regime)]
            row += [gap_cell(found.get(column)) for column in columns]
            rows.append(row)
    return Table(
        id="synthetic-probing",
        title="Probing where the truth is known",
        caption="Binary tasks whose label is one true feature firing, through the protocol's "
        "regimes. All: one value per seed (the mean over its tasks); recovered and missed: one "
        "value per task the SAE recovered or missed, pooled over seeds.",
        header=header,
        rows=rows,
    )


def gap_cell(gap: ProbingGap | None) -> Cell:
    if gap is None:
        return Cell(value=None, display=NONE, title="no such task")
    unit = "seeds" if gap.tasks == "all" else "tasks"
    return seed_cell(gap.interval, f"{gap.count} {unit}", delta=True)


def recovery_plot(results: TrackResults, threshold: float) -> Plot:
    series, bands = {}, {}
    for name in results.architectures():
        curve = recovery_by_rate(results.runs_of(name), results.feature_rates, threshold)
        if curve.rates:
            series[name] = (curve.rates, [s.mean for s in curve.shares])
            bands[name] = (  # a share's interval, cut to where a share can be
                [max(s.low, 0.0) for s in curve.shares],
                [min(s.high, 1.0) for s in curve.shares],
            )
    svg = plots.curves(
        series,
        "firing rate of the true feature",
        "Recovery by firing rate",
        log_x=True,
        bands=bands,
        ylabel=f"share recovered (cos > {threshold:g})",
        log_base=10,
        ylim=(-0.02, 1.02),
    )
    caption = (
        f"Share of true features recovered (a decoder row at cosine > {threshold:g}) per "
        "log-spaced band of firing rate, mean over seeds with its 95% t-interval (cut to [0, 1])."
    )
    return Plot("synthetic-recovery.svg", svg, caption)
