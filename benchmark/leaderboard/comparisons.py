"""Per-cell deltas of the three comparisons the leaderboard reports, grouped by regime and
dataset (the unit the bootstrap resamples).

- ``quiver``: the quiver with the SAE probes minus the quiver of baselines only;
- ``probe``: the SAE probe (best by validation among its k) minus the best-by-validation
  baseline;
- ``control``: the SAE probe minus the same probe on the SAE's random control, cell by cell.
"""

from __future__ import annotations

from benchmark.leaderboard.collect import Evaluation
from benchmark.quiver import Scored, pick
from benchmark.results.schema import CellResult

COMPARISONS = {
    "quiver": "quiver with SAE \u2212 baselines only",
    "probe": "SAE probe \u2212 best baseline",
    "control": "SAE probe \u2212 random control",
}
ByDataset = dict[str, list[float]]


def probe_pick(cell: CellResult) -> tuple[tuple[str, ...], float]:
    """The SAE probe a practitioner would pick by validation AUC (ties: mean test AUC)."""
    chosen = pick([Scored.of(m.method, m.val_auc, m.test_auc) for m in cell.methods], set(), "mean")
    return chosen.methods, chosen.test_auc


def probe_auc(cell: CellResult) -> float:
    return probe_pick(cell)[1]


def cell_deltas(evaluation: Evaluation) -> dict[str, dict[str, ByDataset]]:
    """comparison -> regime -> dataset -> per-cell deltas."""
    controls = {cell.key: cell for cell in evaluation.cells.get("control", [])}
    out: dict[str, dict[str, ByDataset]] = {name: {} for name in COMPARISONS}
    for cell in evaluation.cells["sae"]:
        for name, delta in deltas_of(cell, controls.get(cell.key)).items():
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
