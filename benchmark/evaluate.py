"""The two arms of an evaluation: baselines on raw activations (computed once per model, hook
and protocol, then reused) and an SAE's probes, compared cell by cell through the quiver.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

import numpy as np

from benchmark.executor import Job, execute
from benchmark.probes.attention import run_attention
from benchmark.probes.base import Family, Params
from benchmark.probes.registry import BASELINES, baseline_families
from benchmark.probes.sae_probe import rank_latents, sae_family, sae_k_values
from benchmark.probes.search import ProbeOutcome, Search, choose_all, resolve_engine
from benchmark.quiver import Scored, quiver
from benchmark.regimes.cells import CellSplit, RegimeName
from benchmark.results.schema import CellResult, QuiverResult, ResultRecord
from benchmark.results.store import baselines_dir, load_record, record_path
from benchmark.run import (
    CellRunner,
    DatasetArrays,
    RunContext,
    base_cell_result,
    cell_matrices,
    cell_scores,
    count_by_regime,
    plan_cells,
    provenance,
    record_header,
    regime_bars,
    run_families,
)
from benchmark.saes.load import LoadedSAE
from benchmark.saes.pooling import pooled_latents
from benchmark.selection import Strategy, plan_validation

Records = dict[tuple[str, RegimeName], ResultRecord]


RunnerFactory = Callable[[DatasetArrays], Callable[[RegimeName], CellRunner]]


def run_arm(
    ctx: RunContext,
    arm: Literal["baselines", "sae"],
    arrays: Sequence[DatasetArrays],
    regimes: Sequence[RegimeName],
    root: Path,
    runners: RunnerFactory,
    sae: tuple[str, str] | None = None,
) -> Records:
    """Run one arm over every (dataset, regime) job on ``ctx.workers`` processes;
    ``runners(item)`` prepares a dataset once (e.g. encodes its SAE latents) and returns the
    picklable cell runner of each regime."""
    plan = plan_cells(arrays, ctx.protocol, regimes)
    jobs = []
    for item in arrays:
        prov = provenance(ctx, item, sae)
        runner_for = runners(item)
        dataset = item.data.dataset_id
        jobs += [
            Job(
                record_path(root, dataset, item.data_key(ctx.dtype), regime),
                record_header(arm, ctx, dataset, regime, prov),
                plan[(dataset, regime)],
                runner_for(regime),
            )
            for regime in regimes
        ]
    bars = regime_bars(count_by_regime(plan, regimes), ctx.progress, arm)
    try:
        return execute(jobs, ctx.workers, bars)
    finally:
        for bar in bars.values():
            bar.close()


def run_baselines(
    ctx: RunContext,
    arrays: Sequence[DatasetArrays],
    regimes: Sequence[RegimeName],
    names: tuple[str, ...] = BASELINES,
) -> Records:
    """Baseline records for every (dataset, regime), computing only the missing cells."""

    def runners(item: DatasetArrays) -> Callable[[RegimeName], CellRunner]:
        return lambda _regime: functools.partial(baseline_cell, ctx, names, item)

    root = baselines_dir(ctx.ref, ctx.hook.name, ctx.protocol)
    return run_arm(ctx, "baselines", arrays, regimes, root, runners)


def baseline_cell(
    ctx: RunContext, names: tuple[str, ...], item: DatasetArrays, split: CellSplit
) -> tuple[CellResult, dict[str, np.ndarray]]:
    families = baseline_families(ctx.protocol, names)  # closures do not pickle: built per cell
    X_train, X_test = cell_matrices(split, item.X, item.X_ood)
    outcomes, strategy = run_families(
        families, split, X_train, X_test, ctx.protocol, ctx.device, ctx.engine
    )
    if split.cell.regime == "multitoken":
        if item.tokens is None:
            raise ValueError(f"{split.cell.key} needs all-token activations")
        outcomes.append(run_attention(item.tokens, split, ctx.protocol))
    return base_cell_result(split, strategy, outcomes), cell_scores(split, outcomes)


def run_sae(
    ctx: RunContext,
    arrays: Sequence[DatasetArrays],
    regimes: Sequence[RegimeName],
    sae: LoadedSAE,
    baselines: Records,
    out_dir: Path,
) -> Records:
    """SAE-probe records with the quiver against the stored baselines of the same cells."""

    def runners(item: DatasetArrays) -> Callable[[RegimeName], CellRunner]:
        latents = sae.encode(np.asarray(item.X))
        latents_ood = sae.encode(np.asarray(item.X_ood)) if item.X_ood is not None else None
        pooled = (
            pooled_latents(sae, item.tokens, ctx.protocol.multitoken.pooling)
            if "multitoken" in regimes and item.tokens is not None
            else None
        )

        def for_regime(regime: RegimeName) -> CellRunner:
            cells = baselines[(item.data.dataset_id, regime)].cells
            ks = sae_k_values(ctx.protocol.sae_probe, regime, sae.d_sae)
            reference = {cell.key: cell for cell in cells}
            if regime == "multitoken":
                if pooled is None:
                    raise ValueError(f"{item.data.dataset_id}: multitoken needs all-token rows")
                return SAECells(ctx, pooled, None, ks, reference)
            return SAECells(ctx, latents, latents_ood, ks, reference)

        return for_regime

    identity = (str(sae.path), sae.weights_hash)
    return run_arm(ctx, "sae", arrays, regimes, out_dir, runners, identity)


@dataclass(frozen=True, eq=False)
class SAECells:
    """The SAE arm's runner for one (dataset, regime): the probes of every k on each cell, and
    the quiver against the stored baseline cell. Under the batched engine, ``prepare`` selects
    C for all pending cells and k values in one batched solve (run_job calls it)."""

    ctx: RunContext
    latents: np.ndarray
    latents_ood: np.ndarray | None
    ks: Sequence[int]
    reference: dict[str, CellResult]
    chosen: dict[str, list[tuple[Params, float]]] | None = None

    def families(self, split: CellSplit, Z_train: np.ndarray) -> list[Family]:
        rules = self.ctx.protocol.sae_probe
        ranked = (
            None
            if rules.rank_within_folds
            else tuple(rank_latents(Z_train, split.train_labels).tolist())
        )
        return [sae_family(rules, k, ranked) for k in self.ks]

    def searches(self, split: CellSplit) -> list[Search]:
        Z_train, _ = cell_matrices(split, self.latents, self.latents_ood)
        plan = plan_validation(split.train_labels, self.ctx.protocol.selection, split.cell.seed)
        return [
            Search(family, Z_train, split.train_labels, plan)
            for family in self.families(split, Z_train)
        ]

    def prepare(self, splits: Sequence[CellSplit]) -> SAECells:
        engine = resolve_engine(self.ctx.engine, self.ctx.device)
        if engine != "batched":
            return self
        per_cell = [self.searches(split) for split in splits]
        flat = choose_all([s for searches in per_cell for s in searches], engine, self.ctx.device)
        chosen, start = {}, 0
        for split, searches in zip(splits, per_cell, strict=True):
            chosen[split.cell.key] = flat[start : start + len(searches)]
            start += len(searches)
        return replace(self, chosen=chosen)

    def __call__(self, split: CellSplit) -> tuple[CellResult, dict[str, np.ndarray]]:
        Z_train, Z_test = cell_matrices(split, self.latents, self.latents_ood)
        chosen = self.chosen.get(split.cell.key) if self.chosen is not None else None
        outcomes, strategy = run_families(
            self.families(split, Z_train), split, Z_train, Z_test, self.ctx.protocol,
            self.ctx.device, self.ctx.engine, chosen,
        )  # fmt: skip
        return quivered(self.ctx, split, outcomes, strategy, self.reference[split.cell.key])


def quivered(
    ctx: RunContext,
    split: CellSplit,
    outcomes: list[ProbeOutcome],
    strategy: Strategy,
    baseline: CellResult,
) -> tuple[CellResult, dict[str, np.ndarray]]:
    """The SAE cell's result with its quiver against the baseline cell."""
    arrows = quiver(
        [Scored.of(m.method, m.val_auc, m.test_auc) for m in baseline.methods],
        [Scored.of(o.method, o.val_auc, o.test_auc) for o in outcomes],
        ctx.protocol.quiver.ties,
    )
    result = base_cell_result(split, strategy, outcomes)
    result.quiver = QuiverResult(
        baseline_methods=list(arrows.baselines.methods),
        baseline_test_auc=arrows.baselines.test_auc,
        with_sae_methods=list(arrows.with_sae.methods),
        with_sae_test_auc=arrows.with_sae.test_auc,
        delta=arrows.delta,
    )
    return result, cell_scores(split, outcomes)


def mean_deltas(
    records: Records, regimes: Sequence[RegimeName]
) -> dict[RegimeName, tuple[int, float | None]]:
    """Per requested regime: (cells, mean quiver delta over cells; None without cells, as for
    covariate shift on datasets that have no out-of-distribution test set)."""
    by_regime: dict[RegimeName, list[float]] = {regime: [] for regime in regimes}
    for (_, regime), record in records.items():
        by_regime[regime].extend(c.quiver.delta for c in record.cells if c.quiver)
    return {regime: (len(d), float(np.mean(d)) if d else None) for regime, d in by_regime.items()}


def finished_records(
    ctx: RunContext, arrays: Sequence[DatasetArrays], regimes: Sequence[RegimeName], root: Path
) -> Records | None:
    """The records under ``root`` when every planned cell is already in them (a shipped or
    finished evaluation), else None. Nothing needs computing then: not even the baselines."""
    plan = plan_cells(arrays, ctx.protocol, regimes)
    found: Records = {}
    for item in arrays:
        dataset = item.data.dataset_id
        for regime in regimes:
            if not plan[(dataset, regime)]:
                continue  # e.g. covariate shift without an OOD test set: no record is written
            record = load_record(record_path(root, dataset, item.data_key(ctx.dtype), regime))
            done = {cell.key for cell in record.cells} if record is not None else set()
            if record is None or record.protocol_hash != ctx.protocol.content_hash():
                return None
            if any(split.cell.key not in done for split in plan[(dataset, regime)]):
                return None
            found[(dataset, regime)] = record
    return found
