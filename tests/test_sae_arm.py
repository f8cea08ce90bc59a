"""The SAE arm's runner: under the batched engine it selects C for every pending cell and k of
a regime in one solve (``prepare``), with the same choices as solving each cell on its own."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import sparse

from benchmark.activations.catalog import ModelRef
from benchmark.activations.hooks import Hook
from benchmark.protocols.protocol import load_protocol
from benchmark.regimes.scarcity import scarcity_cells
from benchmark.results.schema import CellResult, MethodResult
from benchmark.run.cells import SAECells
from benchmark.run.context import RunContext
from datasets_registry.rows import LabeledPrompts

V1 = load_protocol("v1")


def baseline_cell(key: str, n_train: int) -> CellResult:
    dataset, regime, level, seed = key.split("|")
    method = MethodResult(
        method="logistic", params={}, val_auc=0.7, test_auc=0.75, test_accuracy=0.7
    )
    return CellResult(
        dataset=dataset, regime=regime, level=float(level), seed=int(seed), n_train=n_train,
        n_test=0, test_split="main", selection="kfold", methods=[method],
    )  # fmt: skip


def runner(engine: str) -> tuple[SAECells, list]:  # type: ignore[type-arg]
    rng = np.random.default_rng(0)
    n, width = 600, 48
    labels = (np.arange(n) % 2).astype(int)
    latents = np.maximum(
        rng.normal(size=(n, width)) + 0.8 * labels[:, None] * (rng.random(width) < 0.2), 0
    )
    data = LabeledPrompts("1_x", "main", [f"p{i}" for i in range(n)], labels, np.arange(n))
    splits = [s for s in scarcity_cells(data, V1, 0) if 16 <= len(s.train) <= 128][::2]
    ref = ModelRef("tiny", Path(), "0" * 64)
    ctx = RunContext(ref, Hook.parse("blocks.0.hook_resid_post"), V1, engine=engine)  # type: ignore[arg-type]
    reference = {s.cell.key: baseline_cell(s.cell.key, len(s.train)) for s in splits}
    return SAECells(ctx, sparse.csr_matrix(latents), None, (4, 16), reference), splits


def chosen_C(result: CellResult) -> list[float]:
    return [m.params["C"] for m in result.methods]


def test_prepared_selection_matches_cell_by_cell() -> None:
    cells, splits = runner("batched")
    prepared = cells.prepare(splits)
    assert prepared.chosen is not None and set(prepared.chosen) == {s.cell.key for s in splits}
    for split in splits:
        (joint, joint_scores), (alone, alone_scores) = prepared(split), cells(split)
        assert chosen_C(joint) == chosen_C(alone)
        for a, b in zip(joint.methods, alone.methods, strict=True):
            assert a.val_auc == pytest.approx(b.val_auc, abs=1e-6)
            assert a.test_auc == b.test_auc
        assert joint.quiver is not None and joint.quiver.baseline_test_auc == 0.75
        assert joint_scores.keys() == alone_scores.keys()


def test_the_sklearn_engine_has_nothing_to_prepare() -> None:
    cells, splits = runner("sklearn")
    assert cells.prepare(splits) is cells
