"""Jobs and the local executor: one job is (arm, dataset, regime); its record is rewritten after
every finished cell, so an interrupted run resumes where it stopped and finished cells are never
recomputed. Activations are read memory-mapped from the store; SAE latents are encoded once per
dataset, never per cell.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits
from tqdm import tqdm

from benchmark import __version__
from benchmark.activations.extract import ExtractionSettings
from benchmark.activations.hooks import Hook
from benchmark.activations.models import ModelRef
from benchmark.activations.pipeline import (
    extract_all_tokens_to_store,
    extract_to_store,
    space_for,
)
from benchmark.activations.ragged import Ragged
from benchmark.activations.store import ActivationStore
from benchmark.probes.base import Family, Params
from benchmark.probes.search import (
    EngineChoice,
    ProbeOutcome,
    Search,
    choose_all,
    refit_and_score,
    resolve_engine,
)
from benchmark.protocols.protocol import Protocol
from benchmark.regimes.cells import CellSplit, RegimeName
from benchmark.regimes.generate import dataset_cells
from benchmark.results.provenance import harness_commit, package_versions
from benchmark.results.schema import CellResult, MethodResult, Provenance, ResultRecord
from benchmark.results.store import load_record, load_scores, save_record
from benchmark.selection import Strategy, plan_validation
from datasets_registry.load import PACKAGED, DataSource
from datasets_registry.rows import LabeledPrompts
from datasets_registry.suites import Suite, iter_suite_data


@dataclass(frozen=True)
class RunContext:
    ref: ModelRef
    hook: Hook
    protocol: Protocol
    dtype: str = "bf16"
    device: str = "cpu"
    progress: bool = True
    engine: EngineChoice = "auto"
    workers: int = 1

    @property
    def settings(self) -> ExtractionSettings:
        return ExtractionSettings(
            max_length=self.protocol.activations.max_length, device=self.device
        )


@dataclass(frozen=True, eq=False)
class DatasetArrays:
    """A dataset's rows and activations (main, and OOD when it has a test set)."""

    data: LabeledPrompts
    X: np.ndarray
    ood: LabeledPrompts | None = None
    X_ood: np.ndarray | None = None
    tokens: Ragged | None = None  # every real token of the main rows (multi-token regime)

    def hashes(self) -> dict[str, str]:
        found = {self.data.name: self.data.content_hash()}
        if self.ood is not None:
            found[self.ood.name] = self.ood.content_hash()
        return found

    def data_key(self, dtype: str) -> str:
        """Names these rows (main and OOD) and the activation dtype in result paths."""
        parts = [f"{name}={digest}" for name, digest in sorted(self.hashes().items())]
        return hashlib.sha256("\n".join([*parts, dtype]).encode()).hexdigest()[:12]


def load_suite_arrays(
    ctx: RunContext,
    suite: Suite,
    source: DataSource = PACKAGED,
    store: ActivationStore | None = None,
    all_tokens: bool = False,
) -> list[DatasetArrays]:
    """Rows of every dataset of the suite and their last-token activations (extracted if new);
    with ``all_tokens``, also every real token of the main rows, under the protocol's cap."""
    store = store or ActivationStore()
    rows = list(iter_suite_data(suite, source, ctx.protocol.clean))
    extract_to_store(ctx.ref, ctx.hook, rows, store, ctx.settings, ctx.dtype, ctx.progress)
    space = space_for(store, ctx.ref, ctx.hook, ctx.settings, ctx.dtype)
    cap = ctx.protocol.multitoken.max_tokens
    if all_tokens:
        main = [data for data in rows if data.split == "main"]
        extract_all_tokens_to_store(
            ctx.ref, ctx.hook, main, store, cap, ctx.settings, ctx.dtype, ctx.progress
        )
    arrays: dict[str, DatasetArrays] = {}
    for data in rows:
        if data.split == "main":
            tokens = space.load_all_tokens(data, cap) if all_tokens else None
            arrays[data.dataset_id] = DatasetArrays(data, space.load(data), tokens=tokens)
        else:
            found = arrays[data.dataset_id]
            arrays[data.dataset_id] = replace(found, ood=data, X_ood=space.load(data))
    return list(arrays.values())


def provenance(
    ctx: RunContext, arrays: DatasetArrays, sae: tuple[str, str] | None = None
) -> Provenance:
    return Provenance(
        harness_version=__version__,
        harness_commit=harness_commit(),
        packages=package_versions(),
        model=ctx.ref.name,
        model_weights_hash=ctx.ref.weights_hash,
        hook=ctx.hook.name,
        activation_dtype=ctx.dtype,
        sae_path=sae[0] if sae else None,
        sae_weights_hash=sae[1] if sae else None,
        dataset_hashes=arrays.hashes(),
    )


def cell_matrices(
    split: CellSplit, X: np.ndarray, X_ood: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """(X_train, X_test) for a cell; the test rows come from the OOD array under covariate shift."""
    test_source = X_ood if split.test_split == "ood" else X
    if test_source is None:
        raise ValueError(f"{split.cell.key} needs OOD activations")
    return np.asarray(X[split.train], np.float64), np.asarray(test_source[split.test], np.float64)


def run_families(
    families: Sequence[Family],
    split: CellSplit,
    X_train: np.ndarray,
    X_test: np.ndarray,
    protocol: Protocol,
    device: str = "cpu",
    engine: EngineChoice = "auto",
    chosen: Sequence[tuple[Params, float]] | None = None,
) -> tuple[list[ProbeOutcome], Strategy]:
    """Select, refit and score every family on one cell. ``chosen`` holds selections already
    made (e.g. in one batched solve over many cells); without it the cell's searches run here,
    batched together under the batched engine."""
    plan = plan_validation(split.train_labels, protocol.selection, split.cell.seed)
    if chosen is None:
        searches = [Search(family, X_train, split.train_labels, plan) for family in families]
        chosen = choose_all(searches, resolve_engine(engine, device), device)
    outcomes = [
        refit_and_score(family, choice, X_train, split.train_labels, X_test, split.test_labels)
        for family, choice in zip(families, chosen, strict=True)
    ]
    return outcomes, plan.strategy


def method_result(outcome: ProbeOutcome) -> MethodResult:
    val = None if np.isnan(outcome.val_auc) else outcome.val_auc
    params = {
        k: list(v) if isinstance(v, tuple) else v
        for k, v in outcome.params.items()
        if k != "fixed_latents"
    }
    return MethodResult(
        method=outcome.method,
        params=params,
        val_auc=val,
        test_auc=outcome.test_auc,
        test_accuracy=outcome.test_accuracy,
        iterations=outcome.iterations,
    )


def cell_scores(split: CellSplit, outcomes: Sequence[ProbeOutcome]) -> dict[str, np.ndarray]:
    key = split.cell.key
    scores = {f"{key}/test_rows": split.test.astype(np.int32)}
    scores[f"{key}/test_labels"] = split.test_labels.astype(np.int8)
    for outcome in outcomes:  # float32: the sidecars ship with submissions, half the size
        scores[f"{key}/{outcome.method}"] = outcome.test_scores.astype(np.float32)
    return scores


def base_cell_result(
    split: CellSplit, strategy: str, outcomes: Sequence[ProbeOutcome]
) -> CellResult:
    cell = split.cell
    return CellResult(
        dataset=cell.dataset,
        regime=cell.regime,
        level=cell.level,
        seed=cell.seed,
        n_train=len(split.train),
        n_test=len(split.test),
        test_split=split.test_split,
        selection=strategy,
        methods=[method_result(o) for o in outcomes],
    )


CellRunner = Callable[[CellSplit], tuple[CellResult, dict[str, np.ndarray]]]


def run_job(
    path: Path,
    header: ResultRecord,
    cells: Sequence[CellSplit],
    run_cell: CellRunner,
    on_cell: Callable[[], object],
) -> ResultRecord:
    """Run the cells not yet in the record at ``path``; save after each one and call
    ``on_cell`` for every cell, finished now or before."""
    record = load_record(path) or header
    check_same_run(path, record, header)
    scores = load_scores(path)
    done = {cell.key for cell in record.cells}
    run_cell, shared = prepared(run_cell, [split for split in cells if split.cell.key not in done])
    for split in cells:
        if split.cell.key not in done:
            started = time.perf_counter()
            with threadpool_limits(limits=1):
                result, new_scores = run_cell(split)
            result.seconds = round(time.perf_counter() - started + shared, 3)
            record.cells.append(result)
            scores.update(new_scores)
            save_record(path, record, scores)
        on_cell()
    return record


def prepared(run_cell: CellRunner, pending: Sequence[CellSplit]) -> tuple[CellRunner, float]:
    """A runner with an optional ``prepare(splits)`` does work shared by all pending cells at
    once (the batched engine's selection over a whole regime); each cell's recorded seconds
    carry an equal share of that time."""
    prepare = getattr(run_cell, "prepare", None)
    if prepare is None or not pending:
        return run_cell, 0.0
    started = time.perf_counter()
    with threadpool_limits(limits=1):
        ready = prepare(pending)
    return ready, (time.perf_counter() - started) / len(pending)


def check_same_run(path: Path, stored: ResultRecord, header: ResultRecord) -> None:
    """Refuse to extend a record made under another protocol, model, SAE or data."""
    mine = header.model_dump(exclude={"cells", "provenance"})
    theirs = stored.model_dump(exclude={"cells", "provenance"})
    keys = ("model_weights_hash", "hook", "activation_dtype", "sae_weights_hash", "dataset_hashes")
    for key in keys:
        mine[key], theirs[key] = getattr(header.provenance, key), getattr(stored.provenance, key)
    differing = [key for key in mine if mine[key] != theirs[key]]
    if differing:
        raise ValueError(
            f"{path} was computed with a different {', '.join(differing)}; move it away to "
            "recompute"
        )


def regime_bars(cells: dict[RegimeName, int], progress: bool, label: str) -> dict[RegimeName, tqdm]:
    """One progress bar per regime, so each shows its own rate and ETA."""
    return {
        regime: tqdm(
            total=total,
            desc=f"{label} {regime}",
            unit="cell",
            position=index,
            disable=not progress,
            leave=True,
        )
        for index, (regime, total) in enumerate(cells.items())
    }


def plan_cells(
    arrays: Sequence[DatasetArrays], protocol: Protocol, regimes: Sequence[RegimeName]
) -> dict[tuple[str, RegimeName], list[CellSplit]]:
    plan: dict[tuple[str, RegimeName], list[CellSplit]] = {}
    for item in arrays:
        for regime in regimes:
            plan[(item.data.dataset_id, regime)] = dataset_cells(
                item.data, item.ood, protocol, [regime]
            )
    return plan


def count_by_regime(
    plan: dict[tuple[str, RegimeName], list[CellSplit]], regimes: Sequence[RegimeName]
) -> dict[RegimeName, int]:
    return {regime: sum(len(c) for (_, r), c in plan.items() if r == regime) for regime in regimes}


def record_header(
    arm: str, ctx: RunContext, dataset: str, regime: RegimeName, prov: Provenance
) -> ResultRecord:
    return ResultRecord(
        arm=arm,
        protocol=ctx.protocol.name,
        protocol_hash=ctx.protocol.content_hash(),
        dataset=dataset,
        regime=regime,
        provenance=prov,
        cells=[],
    )
