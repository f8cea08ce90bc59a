"""Typed tables: every number the site shows, with its display text, CI, link and the result
records it came from. Pages render these; the same tables are written as JSON and CSV."""

from __future__ import annotations

import csv
import io
import math
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from benchmark.stats.bootstrap import Estimate

MINUS = "\u2212"  # typographic minus sign
DASH = "\u2013"  # en dash, for ranges
NONE = "\u2013"  # shown where there is no value
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # what spreadsheets read as a formula


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class HeaderCell(Model):
    key: str
    label: str
    numeric: bool = False
    filter: bool = False
    title: str | None = None
    better: Literal["higher", "lower"] | None = None  # which way is better, where one is

    @property
    def arrow(self) -> str:
        return {"higher": " \u2191", "lower": " \u2193", None: ""}[self.better]

    @property
    def tooltip(self) -> str | None:
        said = f"{self.better} is better" if self.better else None
        return "; ".join(part for part in (self.title, said) if part) or None


class Cell(Model):
    value: float | int | str | None
    display: str
    detail: str | None = Field(None, description="shown under the value, e.g. its CI")
    ci: tuple[float, float] | None = None
    href: str | None = None
    title: str | None = None
    sources: list[str] = []
    color: str | None = Field(None, pattern=r"^#[0-9a-f]{6}$", description="a heatmap fill")


class Table(Model):
    id: str
    title: str
    caption: str = ""
    header: list[HeaderCell]
    rows: list[list[Cell]]

    def csv(self) -> str:
        """Values (not display text) with a low / high column after each cell that has a CI."""
        with_ci = [any(row[i].ci for row in self.rows) for i in range(len(self.header))]
        names: list[str] = []
        for head, has_ci in zip(self.header, with_ci, strict=True):
            names += [head.key] + ([f"{head.key}_low", f"{head.key}_high"] if has_ci else [])
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(names)
        for row in self.rows:
            values: list[object] = []
            for cell, has_ci in zip(row, with_ci, strict=True):
                values.append("" if cell.value is None else spreadsheet_safe(cell.value))
                if has_ci:
                    values += list(cell.ci) if cell.ci else ["", ""]
            writer.writerow(values)
        return buffer.getvalue()


def spreadsheet_safe(value: float | int | str) -> float | int | str:
    """A text that a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``, tab or
    carriage return first) gets a leading apostrophe; numbers are left as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def signed(value: float, digits: int = 3) -> str:
    return NONE if math.isnan(value) else f"{value:+.{digits}f}".replace("-", MINUS)


def plain(value: float | None, digits: int = 3) -> str:
    return NONE if value is None or math.isnan(value) else f"{value:.{digits}f}"


def text_cell(text: str, href: str | None = None) -> Cell:
    return Cell(value=text, display=text, href=href)


def number_cell(value: float | None, digits: int = 3, sources: list[str] | None = None) -> Cell:
    if value is None or math.isnan(value):
        return Cell(value=None, display=NONE)
    return Cell(value=value, display=plain(value, digits), sources=sources or [])


def percent_cell(share: float | None) -> Cell:
    """A share in [0, 1], shown as a percentage (its value stays the share)."""
    if share is None or math.isnan(share):
        return Cell(value=None, display=NONE)
    return Cell(value=share, display=f"{share:.0%}")


def estimate_cell(
    estimate: Estimate | None,
    adjusted_p: float | None = None,
    sources: list[str] | None = None,
    significant: bool = False,
) -> Cell:
    """A mean delta with its CI; ``*`` marks a significant one (adjusted p below alpha)."""
    if estimate is None:
        return Cell(value=None, display=NONE)
    mark = "*" if significant else ""
    p = "" if adjusted_p is None else f", adjusted p = {adjusted_p:.3g}"
    known = not math.isnan(estimate.low)
    return Cell(
        value=estimate.mean,
        display=f"{signed(estimate.mean)}{mark}",
        detail=f"[{signed(estimate.low)}, {signed(estimate.high)}]"
        if known
        else "no CI: 1 dataset",
        ci=(estimate.low, estimate.high) if known else None,
        title=(
            f"95% CI [{signed(estimate.low)}, {signed(estimate.high)}]{p}; "
            if known
            else "a single dataset cannot be resampled; "
        )
        + f"{estimate.n_datasets} datasets, {estimate.n_cells} cells",
        sources=sources or [],
    )


def interval_cell(value: float, low: float, high: float, sources: list[str]) -> Cell:
    return Cell(
        value=value,
        display=plain(value),
        detail=f"[{plain(low)}, {plain(high)}]",
        ci=(low, high),
        title=f"95% CI [{plain(low)}, {plain(high)}] from resampling test examples",
        sources=sources,
    )
