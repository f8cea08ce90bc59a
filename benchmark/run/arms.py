"""The two arms of an evaluation: baselines on raw activations (computed once per model, hook
and protocol, then reused) and an SAE's probes, compared cell by cell through the quiver. An arm
plans its (dataset, regime) jobs and hands them to the executor; what a cell computes lives in
``cells``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from benchmark.errors import SaeprobeError
from benchmark.probes.registry import BASELINES
from benchmark.probes.sae_probe import sae_k_values
from benchmark.regimes.cells import RegimeName
from benchmark.results.baselines import baselines_dir
from benchmark.results.provenance import portable_sae_path
from benchmark.results.schema import Arm, CellResult, ResultRecord
from benchmark.results.store import load_record, record_path
from benchmark.run.cells import SAECells, baseline_cell
from benchmark.run.context import DatasetArrays, RunContext, provenance
from benchmark.run.executor import execute
from benchmark.run.jobs import (
    CellRunner,
    Job,
    count_by_regime,
    plan_cells,
    record_header,
    regime_bars,
)
from benchmark.saes.load import LoadedSAE
from benchmark.saes.pooling import pooled_latents

Records = dict[tuple[str, RegimeName], ResultRecord]


RunnerFactory = Callable[[DatasetArrays], Callable[[RegimeName], CellRunner]]


def run_arm(
    ctx: RunContext,
    arm: Arm,
    arrays: Sequence[DatasetArrays],
    regimes: Sequence[RegimeName],
    root: Path,
    runners: RunnerFactory,
    sae: tuple[str, str] | None = None,
    methods: Callable[[RegimeName], frozenset[str]] = lambda _regime: frozenset(),
) -> Records:
    """Run one arm over every (dataset, regime) job on ``ctx.workers`` processes (local
    processes, or Ray tasks under ``ctx.executor == "ray"``);
    ``runners(item)`` prepares a dataset once (e.g. encodes its SAE latents) and returns the
    picklable cell runner of each regime; a recorded cell counts as done only when it holds
    every one of ``methods(regime)``."""
    plan = plan_cells(arrays, ctx.protocol, regimes, for_sae=arm != "baselines")
    jobs = []
    for item in arrays:
        runner_for = runners(item)
        dataset = item.data.dataset_id
        jobs += [
            Job(
                record_path(root, dataset, item.data_key(ctx.dtype), regime),
                record_header(arm, ctx, dataset, regime, provenance(ctx, item, regime, sae)),
                plan[(dataset, regime)],
                runner_for(regime),
                methods(regime),
            )
            for regime in regimes
        ]
    bars = regime_bars(count_by_regime(plan, regimes), ctx.progress, arm)
    try:
        if ctx.executor == "ray":
            from benchmark.run.ray_executor import execute_on_ray

            return execute_on_ray(jobs, ctx.workers, bars, ctx.ray_address)
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
    """Baseline records for every (dataset, regime), computing only what is missing: cells not
    recorded, and recorded cells that lack one of ``names`` (a run with fewer families), which
    are completed with all of ``names``, so no quiver ever runs against a partial cell."""

    def runners(item: DatasetArrays) -> Callable[[RegimeName], CellRunner]:
        return lambda _regime: functools.partial(baseline_cell, ctx, names, item)

    def methods(regime: RegimeName) -> frozenset[str]:
        return frozenset(names) | ({"attention"} if regime == "multitoken" else set())

    root = baselines_dir(ctx.ref, ctx.hook.name, ctx.protocol)
    return run_arm(ctx, "baselines", arrays, regimes, root, runners, methods=methods)


def run_sae(
    ctx: RunContext,
    arrays: Sequence[DatasetArrays],
    regimes: Sequence[RegimeName],
    sae: LoadedSAE,
    baselines: Records,
    out_dir: Path,
    arm: Arm = "sae",
) -> Records:
    """SAE-probe records with the quiver against the stored baselines of the same cells;
    ``arm`` is ``control`` for an SAE's random control."""

    def reference(dataset: str, regime: RegimeName) -> dict[str, CellResult]:
        return {cell.key: cell for cell in baselines[(dataset, regime)].cells}

    runners = sae_runners(ctx, sae, regimes, reference)
    identity = (portable_sae_path(sae.path), sae.weights_hash)
    return run_arm(ctx, arm, arrays, regimes, out_dir, runners, identity)


def sae_runners(
    ctx: RunContext,
    sae: LoadedSAE,
    regimes: Sequence[RegimeName],
    reference: Callable[[str, RegimeName], dict[str, CellResult]],
) -> RunnerFactory:
    """Per dataset: its latents encoded once (pooled too when ``regimes`` has multitoken), and
    per regime the cell runner, quivered against ``reference(dataset, regime)``'s baseline
    cells by key."""

    def runners(item: DatasetArrays) -> Callable[[RegimeName], CellRunner]:
        latents = sae.encode_sparse(np.asarray(item.X))
        latents_ood = sae.encode_sparse(np.asarray(item.X_ood)) if item.X_ood is not None else None
        pooled = (
            pooled_latents(sae, item.tokens, ctx.protocol.multitoken.pooling)
            if "multitoken" in regimes and item.tokens is not None
            else None
        )

        def for_regime(regime: RegimeName) -> CellRunner:
            ks = sae_k_values(ctx.protocol.sae_probe, regime, sae.d_sae)
            cells = reference(item.data.dataset_id, regime)
            if regime == "multitoken":
                if pooled is None:
                    raise SaeprobeError(f"{item.data.dataset_id}: multitoken needs all-token rows")
                return SAECells(ctx, pooled, None, ks, cells)
            return SAECells(ctx, latents, latents_ood, ks, cells)

        return for_regime

    return runners


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
