"""Result records: round trip, the exported JSON Schema, and resume after interruption."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from benchmark.errors import SaeprobeError
from benchmark.regimes.cells import Cell, CellSplit
from benchmark.results.schema import (
    SCHEMA_PATH,
    CellResult,
    MethodResult,
    Provenance,
    ResultRecord,
    json_schema,
)
from benchmark.results.store import load_record, load_scores, save_record, scores_path
from benchmark.run.jobs import Job, run_job

PROVENANCE = Provenance(
    harness_version="0",
    harness_commit=None,
    packages={"numpy": np.__version__},
    model="tiny",
    model_weights_hash="0" * 64,
    hook="blocks.0.hook_resid_post",
    activation_dtype="fp32",
    dataset_hashes={"1_x": "a" * 64},
)


def header() -> ResultRecord:
    return ResultRecord(
        arm="baselines", protocol="v1", protocol_hash="h", dataset="1_x", regime="scarcity",
        provenance=PROVENANCE, cells=[],
    )  # fmt: skip


def split(level: int) -> CellSplit:
    train = np.arange(level)
    test = np.arange(100, 110)
    return CellSplit(Cell("1_x", "scarcity", float(level), 0), train, train % 2, test, test % 2)


def result(split_: CellSplit) -> tuple[CellResult, dict[str, np.ndarray]]:
    cell = split_.cell
    method = MethodResult(
        method="logistic", params={"C": 1.0}, val_auc=None, test_auc=0.5, test_accuracy=0.5
    )
    cell_result = CellResult(
        dataset=cell.dataset, regime=cell.regime, level=cell.level, seed=cell.seed,
        n_train=len(split_.train), n_test=len(split_.test), test_split="main",
        selection="none", methods=[method],
    )  # fmt: skip
    return cell_result, {f"{cell.key}/logistic": np.full(10, cell.level, np.float32)}


def test_round_trip(tmp_path: Path) -> None:
    record = header()
    record.cells.append(result(split(4))[0])
    path = tmp_path / "1_x" / "scarcity.json"
    save_record(path, record, {"k": np.arange(3, dtype=np.float32)})
    assert load_record(path) == record
    np.testing.assert_array_equal(load_scores(path)["k"], np.arange(3))
    assert scores_path(path).name == "scarcity.scores.npz"


def test_unknown_fields_are_rejected() -> None:
    with pytest.raises(ValueError):
        ResultRecord.model_validate({**header().model_dump(), "extra": 1})


def test_exported_schema_is_current() -> None:
    assert SCHEMA_PATH.read_text() == json_schema(), "run `saeprobe results schema --write`"


def test_an_interrupted_job_resumes_without_recomputing(tmp_path: Path) -> None:
    path = tmp_path / "1_x" / "scarcity.json"
    cells = [split(n) for n in (4, 8, 16, 32)]
    computed: list[float] = []

    def crash_on_third(split_: CellSplit):  # type: ignore[no-untyped-def]
        if len(computed) == 2:
            raise RuntimeError("killed")
        computed.append(split_.cell.level)  # type: ignore[arg-type]
        return result(split_)

    with pytest.raises(RuntimeError):
        run_job(Job(path, header(), cells, crash_on_third), lambda: None)
    assert [c.level for c in load_record(path).cells] == [4.0, 8.0]  # type: ignore[union-attr]

    def count(split_: CellSplit):  # type: ignore[no-untyped-def]
        computed.append(split_.cell.level)  # type: ignore[arg-type]
        return result(split_)

    record = run_job(Job(path, header(), cells, count), lambda: None)
    assert computed == [4.0, 8.0, 16.0, 32.0]
    assert [c.level for c in record.cells] == [4.0, 8.0, 16.0, 32.0]
    assert set(load_scores(path)) == {f"{c.cell.key}/logistic" for c in cells}


def test_a_record_from_another_run_is_not_extended(tmp_path: Path) -> None:
    path = tmp_path / "1_x" / "scarcity.json"
    run_job(Job(path, header(), [split(4)], result), lambda: None)
    other = header()
    other.provenance = PROVENANCE.model_copy(update={"dataset_hashes": {"1_x": "b" * 64}})
    with pytest.raises(SaeprobeError, match="different dataset_hashes"):
        run_job(Job(path, other, [split(4), split(8)], result), lambda: None)
    other = header().model_copy(update={"protocol_hash": "other"})
    with pytest.raises(SaeprobeError, match="different protocol_hash"):
        run_job(Job(path, other, [split(4)], result), lambda: None)


def with_activations(
    hashes: dict[str, str] | None, machine: str | None = None, arm: str = "sae"
) -> ResultRecord:
    update = {"activation_hashes": hashes, "machine": machine}
    provenance = PROVENANCE.model_copy(update=update)
    return header().model_copy(update={"provenance": provenance, "arm": arm})


def test_a_record_on_other_activations_is_not_extended(tmp_path: Path) -> None:
    """Activations extracted on another machine round differently (README): a record's cells
    all come from one set of them. A record written before schema 4 names none: unknown."""
    path = tmp_path / "1_x" / "scarcity.json"
    run_job(
        Job(path, with_activations({"1_x": "a" * 64}, "cpu A"), [split(4)], result), lambda: None
    )
    other = with_activations({"1_x": "b" * 64}, "cpu B")
    with pytest.raises(SaeprobeError, match=r"activations \(its probes ran on cpu A, this run's"):
        run_job(Job(path, other, [split(4), split(8)], result), lambda: None)
    same = with_activations({"1_x": "a" * 64}, "cpu B")  # same activations, another machine
    assert len(run_job(Job(path, same, [split(4), split(8)], result), lambda: None).cells) == 2

    legacy = tmp_path / "legacy" / "scarcity.json"
    run_job(Job(legacy, with_activations(None), [split(4)], result), lambda: None)
    record = run_job(Job(legacy, other, [split(4), split(8)], result), lambda: None)
    assert len(record.cells) == 2


def test_baselines_on_other_activations_are_recomputed_here(tmp_path: Path) -> None:
    """Baselines are a cache: a record from another machine's activations (restored from the
    shipped tables, say) is recomputed on this machine's, every cell and score replaced."""
    path = tmp_path / "1_x" / "scarcity.json"
    elsewhere = with_activations({"1_x": "a" * 64}, "cpu A", arm="baselines")
    run_job(Job(path, elsewhere, [split(4), split(8)], result), lambda: None)
    computed: list[float] = []

    def count(split_: CellSplit):  # type: ignore[no-untyped-def]
        computed.append(split_.cell.level)  # type: ignore[arg-type]
        return result(split_)

    here = with_activations({"1_x": "b" * 64}, "cpu B", arm="baselines")
    record = run_job(Job(path, here, [split(4)], count), lambda: None)
    assert computed == [4.0] and [c.level for c in record.cells] == [4.0]
    assert load_record(path) == record and record.provenance.machine == "cpu B"
    assert set(load_scores(path)) == {f"{split(4).cell.key}/logistic"}
    run_job(Job(path, here, [split(4)], count), lambda: None)
    assert computed == [4.0]  # now this machine's: kept


def test_provenance_names_the_activations_each_regime_reads() -> None:
    from benchmark.activations.catalog import ModelRef
    from benchmark.activations.hooks import Hook
    from benchmark.hashing import sha256_array
    from benchmark.protocols.protocol import load_protocol
    from benchmark.ragged import Ragged
    from benchmark.run.context import DatasetArrays, RunContext, provenance
    from datasets_registry.rows import LabeledPrompts

    def rows(split: str, n: int) -> LabeledPrompts:
        return LabeledPrompts("1_x", split, [f"p{i}" for i in range(n)], np.arange(n) % 2,  # type: ignore[arg-type]
                              np.arange(n))  # fmt: skip

    rng = np.random.default_rng(0)
    X, X_ood = rng.normal(size=(6, 4)).astype(np.float32), rng.normal(size=(3, 4))
    tokens = Ragged(rng.normal(size=(9, 4)).astype(np.float16), np.array([0, 1, 3, 4, 6, 8, 9]))
    item = DatasetArrays(rows("main", 6), X, rows("ood", 3), X_ood.astype(np.float32), tokens)
    ref = ModelRef("tiny", Path("tiny"), "0" * 64)
    ctx = RunContext(ref, Hook.parse("blocks.0.hook_resid_post"), load_protocol("v1"))
    last = provenance(ctx, item, "normal")
    assert last.activation_hashes == {
        "1_x": hashlib.sha256(X.tobytes()).hexdigest(),
        "1_x:ood": hashlib.sha256(X_ood.astype(np.float32).tobytes()).hexdigest(),
    }
    assert provenance(ctx, item, "multitoken").activation_hashes == {
        "1_x:tokens": sha256_array(tokens.tokens),
        "1_x:offsets": hashlib.sha256(tokens.offsets.tobytes()).hexdigest(),
    }
    assert last.machine and "torch" in last.machine


def with_method(name: str):  # type: ignore[no-untyped-def]
    """A runner whose cells hold one method called ``name``."""

    def run(split_: CellSplit):  # type: ignore[no-untyped-def]
        cell, scores = result(split_)
        cell.methods = [cell.methods[0].model_copy(update={"method": name})]
        return cell, {f"{split_.cell.key}/{name}": scores[f"{split_.cell.key}/logistic"]}

    return run


def test_a_cell_missing_a_requested_method_is_completed_not_duplicated(tmp_path: Path) -> None:
    """A record made with fewer families (baselines run --baselines logistic) does not count
    as complete for a run that needs more: those cells are recomputed and merged in place."""
    path = tmp_path / "1_x" / "scarcity.json"
    cells = [split(4), split(8)]
    run_job(Job(path, header(), cells, with_method("logistic")), lambda: None)
    calls: list[float] = []

    def pca(split_: CellSplit):  # type: ignore[no-untyped-def]
        calls.append(split_.cell.level)  # type: ignore[arg-type]
        return with_method("pca")(split_)

    wanted = frozenset({"logistic", "pca"})
    record = run_job(Job(path, header(), cells, pca, wanted), lambda: None)
    assert calls == [4.0, 8.0]
    assert [c.level for c in record.cells] == [4.0, 8.0]  # replaced in place, not appended
    assert all({m.method for m in c.methods} == {"pca", "logistic"} for c in record.cells)
    assert {"1_x|scarcity|4|0/pca", "1_x|scarcity|4|0/logistic"} <= set(load_scores(path))
    again = run_job(Job(path, header(), cells, pca, wanted), lambda: None)
    assert calls == [4.0, 8.0] and len(again.cells) == 2  # complete now: nothing rerun
    fewer = run_job(Job(path, header(), cells, pca, frozenset({"logistic"})), lambda: None)
    assert calls == [4.0, 8.0] and fewer.cells == again.cells  # a superset counts as done
