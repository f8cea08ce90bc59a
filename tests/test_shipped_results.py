"""The shipped reference results are what the harness computes: cells of ref-topk-2048 on one
demo dataset, recomputed from the same activations, choose the same parameters and reach the
same test AUCs (to 1e-9) as the records shipped in ``submissions/`` (restored from its summary),
under each protocol whose results ship.

The fixtures hold that dataset's last-token activations (main and OOD rows) bit for bit as the
demo extraction stored them on the machine each protocol's records were computed on (bf16
values, kept as their upper 16 bits): extracting one dataset alone batches its prompts
differently, and bf16 rounding then moves test AUCs by about 5e-4, and another CPU extracts
other activations (README, "They also depend on the CPU"). ``v1``'s records predate
``provenance.activation_hashes``; ``v3``'s name the activations they read, and the fixture must
be those. ``v3``'s smallest scarcity cells run ``v1``'s SAE probe, its normal and covariate-shift
cells ``v2``'s.
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
from benchmark.results.schema import CellResult, MethodResult, ResultRecord
from benchmark.results.store import load_record, protocol_folder, record_path
from benchmark.run.cells import SAECells
from benchmark.run.context import DatasetArrays, RunContext
from benchmark.saes.load import load_sae_folder
from datasets_registry.suites import iter_suite_data, select_suite
from tests.shipped import restored_submission

FIXTURES = Path(__file__).parent / "fixtures"
FIXTURE_OF = {
    "v1": FIXTURES / "5_hist_fig_ismale.demo.bf16.npz",
    "v3": FIXTURES / "5_hist_fig_ismale.demo.bf16.amd-epyc-avx2.npz",
}
DATASET = "5_hist_fig_ismale"


def from_bf16(bits: np.ndarray) -> np.ndarray:
    return (bits.astype(np.uint32) << 16).view(np.float32)


@pytest.fixture(scope="module")
def submission(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return restored_submission("ref-topk-2048", tmp_path_factory.mktemp("shipped"))


def fixture_arrays(protocol: str) -> DatasetArrays:
    rules = load_protocol(protocol)
    data, ood = iter_suite_data(select_suite("demo", [DATASET]), clean=rules.clean)
    with np.load(FIXTURE_OF[protocol], allow_pickle=False) as stored:
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


def shipped_record(
    submission: Path, protocol: str, arrays: DatasetArrays, regime: str
) -> ResultRecord:
    folder = submission / "results" / protocol_folder(load_protocol(protocol)) / "sae"
    record = load_record(record_path(folder, DATASET, arrays.data_key("bf16"), regime))
    assert record is not None
    return record


@pytest.mark.parametrize(
    ("protocol", "regime", "cells"),
    [
        ("v1", "normal", 1),
        ("v1", "scarcity", 8),
        ("v1", "covariate_shift", 1),
        ("v3", "normal", 1),
        ("v3", "scarcity", 8),
        ("v3", "covariate_shift", 1),
    ],
)
def test_recomputed_cells_match_the_shipped_records(
    submission: Path, protocol: str, regime: str, cells: int
) -> None:
    rules = load_protocol(protocol)
    arrays = fixture_arrays(protocol)
    shipped = shipped_record(submission, protocol, arrays, regime)
    recorded = shipped.provenance.activation_hashes
    if recorded is not None:  # v1's records predate them
        assert recorded == arrays.activation_hashes(regime)
    by_key = {cell.key: cell for cell in shipped.cells}
    sae = load_sae_folder(submission / "sae")
    hook = Hook.parse(EMBEDDED[DEFAULT_MODEL].default_hook)
    ctx = RunContext(ModelRef(DEFAULT_MODEL, Path(), "-"), hook, rules)
    ks = sae_k_values(rules.sae_probe, regime, sae.d_sae)
    reference = {key: stand_in_baseline(cell) for key, cell in by_key.items()}
    latents_ood = sae.encode_sparse(arrays.X_ood) if arrays.X_ood is not None else None
    runner = SAECells(ctx, sae.encode_sparse(arrays.X), latents_ood, ks, reference)
    splits = dataset_cells(arrays.data, arrays.ood, rules, [regime])[:cells]  # the smallest
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


def test_v3_runs_v1s_probe_on_small_cells_and_v2s_on_large_ones(submission: Path) -> None:
    """The shipped v3 record's C values: v1's grid (up to 1e5) in scarcity cells of at most 127
    rows, never above v2's 46.4 in the normal cell."""
    arrays = fixture_arrays("v3")
    small = shipped_record(submission, "v3", arrays, "scarcity").cells
    normal = shipped_record(submission, "v3", arrays, "normal").cells
    limit = max(load_protocol("v2").sae_probe.C)
    assert all(c.n_train > 127 for c in normal)
    assert all(m.params["C"] <= limit for c in normal for m in c.methods if "C" in m.params)
    assert any(m.params.get("C", 0) > limit for c in small if c.n_train <= 127 for m in c.methods)
