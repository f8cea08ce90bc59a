"""What one cell computes: its matrices, every probe family selected, refit and scored, and its
result record entry; for the SAE arm, the quiver against the stored baseline cell. Runners here
are picklable (module-level functions and frozen dataclasses over plain data), because the
executor's workers are spawned."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
from scipy import sparse

from benchmark.errors import SaeprobeError
from benchmark.probes.attention import run_attention
from benchmark.probes.base import Family
from benchmark.probes.original_sae_probe import OriginalSAEProbeSearch
from benchmark.probes.registry import baseline_families
from benchmark.probes.sae_search import SAEProbeSearch
from benchmark.probes.search import ProbeOutcome, select_and_score
from benchmark.protocols.protocol import Protocol, SAEProbeRules
from benchmark.regimes.cells import CellSplit
from benchmark.results.comparisons import Scored, quiver
from benchmark.results.schema import CellResult, MethodResult, QuiverResult
from benchmark.run.context import DatasetArrays, RunContext
from benchmark.selection import Strategy, plan_validation

Rows = TypeVar("Rows", np.ndarray, sparse.csr_matrix)


def cell_rows(split: CellSplit, X: Rows, X_ood: Rows | None) -> tuple[Rows, Rows]:
    """(train rows, test rows) of a cell, dense or CSR; the test rows come from the OOD array
    under covariate shift."""
    test_source = X_ood if split.test_split == "ood" else X
    if test_source is None:
        raise SaeprobeError(f"{split.cell.key} needs OOD activations")
    return X[split.train], test_source[split.test]


def cell_matrices(
    split: CellSplit, X: np.ndarray, X_ood: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """(X_train, X_test) for a cell as float64 arrays."""
    train, test = cell_rows(split, X, X_ood)
    return np.asarray(train, np.float64), np.asarray(test, np.float64)


def run_families(
    families: Sequence[Family],
    split: CellSplit,
    X_train: np.ndarray,
    X_test: np.ndarray,
    protocol: Protocol,
) -> tuple[list[ProbeOutcome], Strategy]:
    """Select, refit and score every family on one cell."""
    plan = plan_validation(split.train_labels, protocol.selection, split.cell.seed)
    outcomes = [
        select_and_score(family, X_train, split.train_labels, X_test, split.test_labels, plan)
        for family in families
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


def baseline_cell(
    ctx: RunContext, names: tuple[str, ...], item: DatasetArrays, split: CellSplit
) -> tuple[CellResult, dict[str, np.ndarray]]:
    # closures do not pickle: families are built per cell
    families = baseline_families(ctx.protocol, names, ctx.device)
    X_train, X_test = cell_matrices(split, item.X, item.X_ood)
    outcomes, strategy = run_families(families, split, X_train, X_test, ctx.protocol)
    if split.cell.regime == "multitoken":
        outcomes.append(attention_outcome(item, split, ctx.protocol))
    return base_cell_result(split, strategy, outcomes), cell_scores(split, outcomes)


def attention_outcome(item: DatasetArrays, split: CellSplit, protocol: Protocol) -> ProbeOutcome:
    """The attention probe on the cell's all-token rows, selected on the cell's own plan."""
    if item.tokens is None:
        raise SaeprobeError(f"{split.cell.key} needs all-token activations")
    plan = plan_validation(split.train_labels, protocol.selection, split.cell.seed)
    train, test = item.tokens.take(split.train), item.tokens.take(split.test)
    rules = protocol.multitoken.attention
    return run_attention(train, split.train_labels, test, split.test_labels, plan, rules)


@dataclass(frozen=True, eq=False)
class SAECells:
    """The SAE arm's runner for one (dataset, regime): the probes of every k on each cell, and
    the quiver against the stored baseline cell. Latents are CSR (rows x L0 entries, whatever
    the width); each cell runs the lean ``SAEProbeSearch``."""

    ctx: RunContext
    latents: sparse.csr_matrix
    latents_ood: sparse.csr_matrix | None
    ks: Sequence[int]
    reference: dict[str, CellResult]

    def __call__(self, split: CellSplit) -> tuple[CellResult, dict[str, np.ndarray]]:
        plan = plan_validation(split.train_labels, self.ctx.protocol.selection, split.cell.seed)
        Z_train, Z_test = cell_rows(split, self.latents, self.latents_ood)
        search = sae_search(self.ctx.protocol.sae_probe, self.ks, split.cell.seed)
        outcomes = search.run(Z_train, split.train_labels, Z_test, split.test_labels, plan)
        return quivered(self.ctx, split, outcomes, plan.strategy, self.reference[split.cell.key])


def sae_search(
    rules: SAEProbeRules, ks: Sequence[int], seed: int
) -> SAEProbeSearch | OriginalSAEProbeSearch:
    """The lean search, or the original's own probe where the protocol reproduces it."""
    if rules.solver == "saga":
        return OriginalSAEProbeSearch(rules, ks, seed)
    return SAEProbeSearch(rules, ks)


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
