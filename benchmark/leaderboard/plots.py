"""Static SVG plots, rendered at build time with matplotlib (no JavaScript, no CDN).

SVG output is made reproducible: a fixed hash salt and no creation date.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

import matplotlib

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
Series = Mapping[str, tuple[Sequence[float], Sequence[float]]]


def to_svg(figure: plt.Figure) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(figure)
    return buffer.getvalue()


def curves(series: Series, xlabel: str, title: str, log_x: bool = False) -> str:
    """Mean test AUC against a regime's level, one line per series."""
    figure, axes = plt.subplots(figsize=(5.2, 3.4))
    for label, (x, y) in series.items():
        dashed = label == "quiver with SAE"  # drawn over the best baseline where they agree
        axes.plot(
            x, y, marker="o", markersize=3, label=label, color=COLORS.get(label),
            linestyle="--" if dashed else "-", linewidth=1.2 if dashed else 1.8,
        )  # fmt: skip
    if log_x:
        axes.set_xscale("log", base=2)
        axes.xaxis.set_major_locator(LogLocator(base=2))
        axes.xaxis.set_major_formatter(ScalarFormatter())
        axes.xaxis.set_minor_formatter(NullFormatter())
    axes.set(xlabel=xlabel, ylabel="mean test ROC-AUC", title=title)
    axes.grid(alpha=0.3)
    axes.legend(fontsize=8)
    return to_svg(figure)


def bars(categories: Sequence[str], series: Mapping[str, Sequence[float]], title: str) -> str:
    """Grouped bars of test AUC per category (e.g. per dataset)."""
    figure, axes = plt.subplots(figsize=(5.2, 3.4))
    width = 0.8 / max(len(series), 1)
    for i, (label, values) in enumerate(series.items()):
        positions = [c + i * width for c in range(len(categories))]
        axes.bar(positions, values, width, label=label, color=COLORS.get(label))
    axes.set_xticks([c + 0.4 - width / 2 for c in range(len(categories))])
    axes.set_xticklabels(categories, rotation=20, ha="right", fontsize=7)
    axes.set(ylabel="test ROC-AUC", title=title, ylim=(0.4, 1.0))
    axes.legend(fontsize=8)
    return to_svg(figure)
