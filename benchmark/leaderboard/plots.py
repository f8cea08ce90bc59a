"""Static SVG plots, rendered at build time with matplotlib (no JavaScript, no CDN).

SVG output is made reproducible: a fixed hash salt and no creation date.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.ticker import LogLocator, NullFormatter, ScalarFormatter

matplotlib.rcParams["svg.hashsalt"] = "saeprobe"
COLORS = {
    "SAE probe": "#1b6ac9",
    "best baseline": "#444444",
    "quiver with SAE": "#2a9d4b",
    "random control": "#d1495b",
}
Series = Mapping[str, tuple[Sequence[float], Sequence[float]]]  # name -> (x, mean)
Bands = Mapping[str, tuple[Sequence[float], Sequence[float]]]  # name -> (low, high) per x


def to_svg(figure: plt.Figure) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(figure)
    return buffer.getvalue()


def curves(
    series: Series,
    xlabel: str,
    title: str,
    log_x: bool = False,
    bands: Bands | None = None,
    ylabel: str = "mean test ROC-AUC",
    log_base: int = 2,
    ylim: tuple[float, float] | None = None,
) -> str:
    """Mean test AUC (or ``ylabel``) against a regime's level (or any x), one line per series,
    each over a shaded band (its CI) where ``bands`` has one; NaN bounds (a single dataset)
    leave no band."""
    figure, axes = plt.subplots(figsize=(5.2, 3.4))
    for label, (x, y) in series.items():
        dashed = label == "quiver with SAE"  # drawn over the best baseline where they agree
        (line,) = axes.plot(
            x, y, marker="o", markersize=3, label=label, color=COLORS.get(label),
            linestyle="--" if dashed else "-", linewidth=1.2 if dashed else 1.8,
        )  # fmt: skip
        if bands and label in bands and not dashed:
            low, high = bands[label]
            axes.fill_between(x, low, high, color=line.get_color(), alpha=0.15, linewidth=0)
    if log_x:
        axes.set_xscale("log", base=log_base)
        axes.xaxis.set_major_locator(LogLocator(base=log_base))
        axes.xaxis.set_major_formatter(ScalarFormatter())
        axes.xaxis.set_minor_formatter(NullFormatter())
    axes.set(xlabel=xlabel, ylabel=ylabel, title=title)
    if ylim is not None:
        axes.set_ylim(*ylim)
    axes.grid(alpha=0.3)
    axes.legend(fontsize=8)
    return to_svg(figure)


def bars(categories: Sequence[str], series: Mapping[str, Sequence[float]], title: str) -> str:
    """Grouped horizontal bars of test AUC per category (e.g. per dataset), so that every
    category's name reads however many there are; the figure grows with the bar count."""
    groups = max(len(series), 1)
    height = max(2.6, 0.12 * len(categories) * groups + 1.2)
    figure, axes = plt.subplots(figsize=(5.2, height))
    thickness = 0.8 / groups
    for i, (label, values) in enumerate(series.items()):
        positions = [c + i * thickness for c in range(len(categories))]
        axes.barh(positions, values, thickness, label=label, color=COLORS.get(label))
    axes.set_yticks([c + 0.4 - thickness / 2 for c in range(len(categories))])
    axes.set_yticklabels(categories, fontsize=7)
    axes.invert_yaxis()  # the first category on top, as in the tables
    axes.set(xlabel="test ROC-AUC", title=title, xlim=(auc_floor(series), 1.0))
    axes.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.5 / height), ncol=groups)
    return to_svg(figure)


def auc_floor(series: Mapping[str, Sequence[float]]) -> float:
    """The AUC axis starts at 0.4, or lower (a multiple of 0.1) so that no bar is cut off."""
    values = [v for vs in series.values() for v in vs if not np.isnan(v)]
    return float(min(0.4, np.floor(min(values, default=0.4) * 10) / 10))


ARCHITECTURE_COLORS = ("#1b6ac9", "#d1495b", "#2a9d4b", "#e08e0b", "#7b4fb3", "#444444")


def scatter(
    points: Sequence[tuple[float, float, str]], xlabel: str, title: str, log_x: bool = False
) -> str:
    """The ranking score (y) against a property of each submission (x), one colour per group
    (its architecture), a dotted line at a score of 0 (no better than the best baseline)."""
    figure, axes = plt.subplots(figsize=(5.2, 3.4))
    groups = sorted({group for _, _, group in points})
    for index, group in enumerate(groups):
        xs = [x for x, _, g in points if g == group]
        ys = [y for _, y, g in points if g == group]
        color = ARCHITECTURE_COLORS[index % len(ARCHITECTURE_COLORS)]
        axes.scatter(xs, ys, s=28, label=group, color=color)
    axes.axhline(0.0, color="#888888", linewidth=0.8, linestyle=":")
    if log_x:
        axes.set_xscale("log", base=2)
    axes.set(xlabel=xlabel, ylabel="score (SAE probe minus best baseline)", title=title)
    axes.grid(alpha=0.3)
    if groups:
        axes.legend(fontsize=8)
    return to_svg(figure)
