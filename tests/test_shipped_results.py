"""The shipped reference results are what the harness computes: cells of ref-topk-2048 on one
demo dataset, recomputed from the same activations, choose the same parameters and reach the
same test AUCs (to 1e-9) as the records shipped in ``submissions/`` (restored from its summary).

``fixtures/5_hist_fig_ismale.demo.bf16.npz`` holds that dataset's last-token activations (main
and OOD rows) bit for bit as the demo extraction stores them (bf16 values, kept as their upper
16 bits): extracting one dataset alone batches its prompts differently, and bf16 rounding then
moves test AUCs by about 5e-4, so the fixture pins the exact rows the records were made from.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from benchmark.activations.catalog import DEFAULT_MODEL, EMBEDDED, ModelRef
from benchmark.activations.hooks import Hook
from benchmark.probes.sae_probe import sae_k_values
from benchmark.protocols.protocol import load_protocol
from benchmark.regimes.generate import dataset_cells
from benchmark.results.schema import CellResult, MethodResult
from benchmark.results.store import load_record, protocol_folder, record_path
from benchmark.run.cells import SAECells
from benchmark.run.context import DatasetArrays, RunContext
from benchmark.saes.load import load_sae_folder
from datasets_registry.suites import iter_suite_data, select_suite
from tests.shipped import restored_submission

FIXTURE = Path(__file__).parent / "fixtures" / "5_hist_fig_ismale.demo.bf16.npz"
DATASET = "5_hist_fig_ismale"
PROTOCOL = load_protocol("v1")


def from_bf16(bits: np.ndarray) -> np.ndarray:
    return (bits.astype(np.uint32) << 16).view(np.float32)


@pytest.fixture(scope="module")
def submission(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return restored_submission("ref-topk-2048", tmp_path_factory.mktemp("shipped"))


@pytest.fixture(scope="module")
def arrays() -> DatasetArrays:
    data, ood = iter_suite_data(select_suite("demo", [DATASET]), clean=PROTOCOL.clean)
    with np.load(FIXTURE, allow_pickle=False) as stored:
        assert (str(stored["main_hash"]), str(stored["ood_hash"])) == (
            data.content_hash(), ood.content_hash(),
        )  # fmt: skip
        return DatasetArrays(data, from_bf16(stored["main"]), ood, from_bf16(stored["ood"]))


def stand_in_baseline(cell: CellResult) -> CellResult:
    """The quiver needs a baseline cell; only the SAE probes' own results are compared here."""
    method = MethodResult(
        method="logistic", params={}, val_auc=0.5, test_auc=0.5, test_accuracy=0.5
    )
    return cell.model_copy(update={"methods": [method], "quiver": None})


@pytest.mark.parametrize(
    ("regime", "cells"), [("normal", 1), ("scarcity", 8), ("covariate_shift", 1)]
)
def test_recomputed_cells_match_the_shipped_records(
    submission: Path, arrays: DatasetArrays, regime: str, cells: int
) -> None:
    folder = submission / "results" / protocol_folder(PROTOCOL) / "sae"
    shipped = load_record(record_path(folder, DATASET, arrays.data_key("bf16"), regime))
    assert shipped is not None
    by_key = {cell.key: cell for cell in shipped.cells}
    sae = load_sae_folder(submission / "sae")
    hook = Hook.parse(EMBEDDED[DEFAULT_MODEL].default_hook)
    ctx = RunContext(ModelRef(DEFAULT_MODEL, Path(), "-"), hook, PROTOCOL)
    ks = sae_k_values(PROTOCOL.sae_probe, regime, sae.d_sae)
    reference = {key: stand_in_baseline(cell) for key, cell in by_key.items()}
    latents_ood = sae.encode_sparse(arrays.X_ood) if arrays.X_ood is not None else None
    runner = SAECells(ctx, sae.encode_sparse(arrays.X), latents_ood, ks, reference)
    splits = dataset_cells(arrays.data, arrays.ood, PROTOCOL, [regime])[:cells]  # the smallest
    assert len(splits) == cells
    for split in splits:
        result, _ = runner(split)
        expected = by_key[split.cell.key]
        assert (result.n_train, result.n_test, result.selection) == (
            expected.n_train, expected.n_test, expected.selection,
        )  # fmt: skip
        for ours, theirs in zip(result.methods, expected.methods, strict=True):
            assert (ours.method, ours.params) == (theirs.method, theirs.params)
            assert ours.test_auc == pytest.approx(theirs.test_auc, abs=1e-9)
