"""Comparisons of an SAE's probes with the baselines, cell by cell, and their summaries. One
module, used both by ``eval``'s report and by the leaderboard.

The quiver of arrows: per cell, the method a practitioner would pick by validation AUC from the
baselines alone, and from the baselines plus the SAE probes. The difference of their test AUCs
is the value of adding the SAE to the toolkit. Ties on validation AUC: ``mean`` (v1) takes the
mean test AUC of the tied methods; ``sae`` (the original) prefers the SAE probes among the tied.
A cell too small to search (every validation AUC is NaN) ties every method.

The per-cell deltas (grouped by regime and dataset, the unit the bootstrap resamples):
- ``quiver``: the quiver with the SAE probes minus the quiver of baselines only;
- ``probe``: the SAE probe (best by validation among its k) minus the best-by-validation
  baseline;
- ``control``: the SAE probe minus the same probe on the SAE's random control, cell by cell.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from benchmark.regimes.cells import RegimeName
from benchmark.results.schema import CellResult

COMPARISONS = {
    "quiver": "quiver with SAE \u2212 baselines only",
    "probe": "SAE probe \u2212 best baseline",
    "control": "SAE probe \u2212 random control",
}
ByDataset = dict[str, list[float]]


@dataclass(frozen=True)
class Scored:
    """What the quiver needs of a method's result on a cell (NaN: not searched)."""

    method: str
    val_auc: float
    test_auc: float

    @classmethod
    def of(cls, method: str, val_auc: float | None, test_auc: float) -> Scored:
        return cls(method, float("nan") if val_auc is None else val_auc, test_auc)


@dataclass(frozen=True)
class QuiverPick:
    methods: tuple[str, ...]
    val_auc: float
    test_auc: float


def pick(
    outcomes: Sequence[Scored], sae_methods: set[str], ties: Literal["mean", "sae"]
) -> QuiverPick:
    if not outcomes:
        raise ValueError("the quiver needs at least one method")
    val = np.array([o.val_auc for o in outcomes], dtype=float)
    if np.isnan(val).all():
        tied = list(outcomes)
    else:
        best = np.nanmax(val)
        tied = [o for o, v in zip(outcomes, val, strict=True) if v == best]
    if ties == "sae" and any(o.method in sae_methods for o in tied):
        tied = [o for o in tied if o.method in sae_methods]
    return QuiverPick(
        methods=tuple(o.method for o in tied),
        val_auc=float(tied[0].val_auc),
        test_auc=float(np.mean([o.test_auc for o in tied])),
    )


@dataclass(frozen=True)
class Quiver:
    baselines: QuiverPick
    with_sae: QuiverPick

    @property
    def delta(self) -> float:
        return self.with_sae.test_auc - self.baselines.test_auc


def quiver(
    baselines: Sequence[Scored], sae: Sequence[Scored], ties: Literal["mean", "sae"]
) -> Quiver:
    sae_methods = {o.method for o in sae}
    return Quiver(
        baselines=pick(baselines, set(), ties),
        with_sae=pick([*baselines, *sae], sae_methods, ties),
    )


def probe_pick(cell: CellResult) -> tuple[tuple[str, ...], float]:
    """The SAE probe a practitioner would pick by validation AUC (ties: mean test AUC)."""
    chosen = pick([Scored.of(m.method, m.val_auc, m.test_auc) for m in cell.methods], set(), "mean")
    return chosen.methods, chosen.test_auc


def probe_auc(cell: CellResult) -> float:
    return probe_pick(cell)[1]


def cell_deltas(
    cells: Iterable[CellResult], controls: Iterable[CellResult] = ()
) -> dict[str, dict[str, ByDataset]]:
    """comparison -> regime -> dataset -> per-cell deltas of the SAE arm's ``cells`` (and,
    cell by cell, of its random control's)."""
    by_key = {cell.key: cell for cell in controls}
    out: dict[str, dict[str, ByDataset]] = {name: {} for name in COMPARISONS}
    for cell in cells:
        for name, delta in deltas_of(cell, by_key.get(cell.key)).items():
            out[name].setdefault(cell.regime, {}).setdefault(cell.dataset, []).append(delta)
    return out


def deltas_of(cell: CellResult, control: CellResult | None) -> dict[str, float]:
    found: dict[str, float] = {}
    if cell.quiver is not None:
        found["quiver"] = cell.quiver.delta
        found["probe"] = probe_auc(cell) - cell.quiver.baseline_test_auc
    if control is not None:
        found["control"] = probe_auc(cell) - probe_auc(control)
    return found


def flatten(by_dataset: ByDataset) -> list[float]:
    return [value for values in by_dataset.values() for value in values]


def mean_quiver_deltas(
    cells: Iterable[CellResult], regimes: Sequence[RegimeName]
) -> dict[RegimeName, tuple[int, float | None]]:
    """Per requested regime: (cells, mean quiver delta over cells; None without cells, as for
    covariate shift on datasets that have no out-of-distribution test set)."""
    quiver_deltas = cell_deltas(cells)["quiver"]
    summary: dict[RegimeName, tuple[int, float | None]] = {}
    for regime in regimes:
        values = flatten(quiver_deltas.get(regime, {}))
        summary[regime] = (len(values), float(np.mean(values)) if values else None)
    return summary
