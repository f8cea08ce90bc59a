"""The cost plan of an evaluation, before running it: every cell the protocol plans for the
suite, the probe fits each cell needs, and the CPU time projected from per-cell costs that the
benchmarks measured (``cell-costs.json``, written by ``benchmarks/full_suite.py``).

A cell costs what the measured cells of the same method and regime cost at its training size:
the mean per measured size, interpolated on log rows and held flat beyond the measured range. A
dataset adds each SAE arm's measured encoding, scaled by the SAE's width (encoding is a dense
product, linear in width; the probes' cost does not grow with width). Wall time assumes every
worker stays busy, which thousands of independent cells make close to true. Costs are those of
the machine and model they were measured on (``CellCosts.measured_on``). Each measured cell
names the protocol it ran under: the SAE arms are timed from cells of the planned protocol, the
baselines from cells of any protocol whose baseline rules equal its (they compute the same
cells). A regime without measurements is planned (cells, fits) but not timed.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from benchmark.probes.base import Family
from benchmark.probes.registry import baseline_families
from benchmark.probes.sae_probe import sae_k_values
from benchmark.protocols.protocol import Protocol
from benchmark.regimes.cells import CellSplit, RegimeName
from benchmark.regimes.generate import dataset_cells
from benchmark.results.baselines import baseline_rules_hash, loadable
from benchmark.results.schema import SAE_ARMS
from benchmark.selection import ValidationPlan, plan_validation
from datasets_registry.load import PACKAGED, DataSource, load_labeled
from datasets_registry.suites import Suite

COSTS_FILE = Path(__file__).with_name("cell-costs.json")


@dataclass(frozen=True)
class Measured:
    """One measured cell: its method (``sae``, ``control`` or a baseline family), regime,
    training rows (0: a dataset's encoding for that regime), CPU seconds and the protocol whose
    rules it ran under."""

    method: str
    regime: str
    n_train: int
    cpu_s: float
    protocol: str = "v1"


@dataclass(frozen=True)
class CellCosts:
    measured_on: str
    width: int  # the SAE width the SAE arms were measured at
    d_in: int  # the activations' width the baselines were measured at
    rows: list[Measured] = field(default_factory=list)

    @classmethod
    def load(cls, path: Path = COSTS_FILE) -> CellCosts:
        raw = json.loads(path.read_text(encoding="utf-8"))
        rows = [
            Measured(
                row["method"],
                row["regime"],
                int(row["n_train"]),
                float(row["cpu_s"]),
                row.get("protocol", "v1"),
            )
            for row in raw["rows"]
        ]
        return cls(raw["measured_on"], raw["width"], raw["d_in"], rows)

    def under(self, protocols: Collection[str]) -> CellCosts:
        """These costs, keeping only cells measured under one of ``protocols``."""
        return replace(self, rows=[row for row in self.rows if row.protocol in protocols])

    def cell_seconds(self, method: str, regime: str, n_train: Sequence[float]) -> float | None:
        """Projected CPU seconds of cells of these training sizes, or None if unmeasured."""
        by_size: dict[int, list[float]] = defaultdict(list)
        for row in self.rows:
            if (row.method, row.regime) == (method, regime) and row.n_train:
                by_size[row.n_train].append(row.cpu_s)
        if not by_size:
            return None
        sizes = sorted(by_size)
        means = [float(np.mean(by_size[n])) for n in sizes]
        return float(np.interp(np.log(np.asarray(n_train, float)), np.log(sizes), means).sum())

    def encoding_seconds(self, method: str, regime: str, width: int) -> float:
        """One dataset's encoding for an SAE arm, scaled from the measured width."""
        found = [
            row.cpu_s
            for row in self.rows
            if (row.method, row.regime, row.n_train) == (method, regime, 0)
        ]
        return float(np.mean(found)) * width / self.width if found else 0.0


@dataclass(frozen=True)
class PlanRow:
    arm: str  # baselines, sae or control
    regime: RegimeName
    datasets: int
    cells: int
    fits: int
    cpu_seconds: float | None  # None: no measured cost for this regime


@dataclass(frozen=True)
class SuiteCells:
    """Every planned cell of a suite, by regime, and how many datasets have each regime."""

    by_regime: dict[RegimeName, list[CellSplit]]

    @classmethod
    def of(
        cls, suite: Suite, protocol: Protocol, regimes: Sequence[RegimeName],
        source: DataSource = PACKAGED,
    ) -> SuiteCells:  # fmt: skip
        by_regime: dict[RegimeName, list[CellSplit]] = {regime: [] for regime in regimes}
        for spec in suite.specs():
            data = suite.cap(load_labeled(spec, "main", source, protocol.clean))
            ood = load_labeled(spec, "ood", source, protocol.clean) if spec.ood else None
            for split in dataset_cells(data, ood, protocol, regimes):
                by_regime[split.cell.regime].append(split)
        return cls(by_regime)

    def datasets(self, regime: RegimeName) -> int:
        return len({split.cell.dataset for split in self.by_regime[regime]})


def plan_run(
    cells: SuiteCells, protocol: Protocol, costs: CellCosts, width: int, d_in: int
) -> list[PlanRow]:
    """Rows for the baselines (computed once per model and hook, then cached) and for an SAE
    of ``width`` latents and its random control."""
    families = baseline_families(protocol)
    sae_costs = costs.under({protocol.name})
    costs = costs.under(baseline_peers(protocol, {row.protocol for row in costs.rows}))
    rows = []
    for regime, splits in cells.by_regime.items():
        sizes = [len(split.train) for split in splits]
        plans = [plan_validation(s.train_labels, protocol.selection, s.cell.seed) for s in splits]
        baseline_fits = sum(
            baseline_cell_fits(families, split, plan, d_in, protocol)
            for split, plan in zip(splits, plans, strict=True)
        )
        timed = [costs.cell_seconds(family.name, regime, sizes) for family in families]
        baseline_cpu = None if None in timed or not splits else sum(t or 0.0 for t in timed)
        n = cells.datasets(regime)
        rows.append(PlanRow("baselines", regime, n, len(splits), baseline_fits, baseline_cpu))
        ks = sae_k_values(protocol.sae_probe, regime, width)
        sae_fits = sum(
            len(ks) * (len(protocol.sae_probe.for_rows(len(s.train)).C) * len(p.folds) + 1)
            for s, p in zip(splits, plans, strict=True)
        )
        for arm in SAE_ARMS:
            probes = sae_costs.cell_seconds(arm, regime, sizes) if splits else 0.0
            encoding = n * sae_costs.encoding_seconds(arm, regime, width)
            cpu = None if probes is None else probes + encoding
            rows.append(PlanRow(arm, regime, n, len(splits), sae_fits, cpu))
    return rows


def baseline_peers(protocol: Protocol, names: Collection[str]) -> set[str]:
    """``protocol``'s name and those of the named protocols whose baseline rules equal its."""
    wanted = baseline_rules_hash(protocol)
    peers = {protocol.name}
    for name in names:
        other = loadable(name)
        if other is not None and baseline_rules_hash(other) == wanted:
            peers.add(name)
    return peers


def baseline_cell_fits(
    families: Sequence[Family], split: CellSplit, plan: ValidationPlan, d_in: int,
    protocol: Protocol,
) -> int:  # fmt: skip
    """Every family's candidates on every fold, and each family's refit (the attention probe's
    configurations too, under multitoken)."""
    folds = len(plan.folds)
    n_fit = min((len(fold.fit) for fold in plan.folds), default=len(split.train))
    fits = sum(len(family.candidates(n_fit, d_in)) * folds + 1 for family in families)
    if split.cell.regime == "multitoken":
        fits += protocol.multitoken.attention.n_configs * folds + 1
    return fits


def workers_for(cpu_seconds: float, target_seconds: float) -> int:
    """Busy workers needed to finish ``cpu_seconds`` of independent cells within the target."""
    return max(1, math.ceil(cpu_seconds / target_seconds))
