"""The shipped reference results are what the harness computes: a handful of cells of
ref-topk-2048 on one demo dataset, recomputed from the embedded model's activations, choose the
same parameters and reach the same test AUCs (to 1e-9) as the records in ``submissions/``."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmark.activations.catalog import DEFAULT_MODEL, EMBEDDED
from benchmark.activations.hooks import Hook
from benchmark.activations.models import resolve_model
from benchmark.probes.sae_probe import sae_k_values
from benchmark.protocols.protocol import load_protocol
from benchmark.regimes.generate import dataset_cells
from benchmark.results.schema import CellResult, MethodResult
from benchmark.results.store import load_record, protocol_folder, record_path
from benchmark.run.cells import SAECells
from benchmark.run.context import RunContext, load_suite_arrays
from benchmark.saes.load import load_sae_folder
from datasets_registry.suites import select_suite

pytestmark = pytest.mark.slow
SUBMISSION = Path(__file__).parent.parent / "submissions" / "ref-topk-2048"
DATASET = "5_hist_fig_ismale"


def stand_in_baseline(cell: CellResult) -> CellResult:
    """The quiver needs a baseline cell; only the SAE probes' own results are compared here."""
    method = MethodResult(
        method="logistic", params={}, val_auc=0.5, test_auc=0.5, test_accuracy=0.5
    )
    return cell.model_copy(update={"methods": [method], "quiver": None})


@pytest.mark.parametrize("regime", ["normal", "scarcity", "covariate_shift"])
def test_recomputed_cells_match_the_shipped_records(regime: str) -> None:
    protocol = load_protocol("v1")
    ctx = RunContext(
        resolve_model(DEFAULT_MODEL), Hook.parse(EMBEDDED[DEFAULT_MODEL].default_hook), protocol
    )
    (item,) = load_suite_arrays(ctx, select_suite("demo", [DATASET]))
    folder = SUBMISSION / "results" / protocol_folder(protocol) / "sae"
    shipped = load_record(record_path(folder, DATASET, item.data_key(ctx.dtype), regime))
    assert shipped is not None
    by_key = {cell.key: cell for cell in shipped.cells}
    splits = dataset_cells(item.data, item.ood, protocol, [regime])[:6]  # the smallest cells
    sae = load_sae_folder(SUBMISSION / "sae")
    latents = sae.encode(item.X)
    latents_ood = sae.encode(item.X_ood) if item.X_ood is not None else None
    ks = sae_k_values(protocol.sae_probe, regime, sae.d_sae)
    reference = {key: stand_in_baseline(cell) for key, cell in by_key.items()}
    runner = SAECells(ctx, latents, latents_ood, ks, reference)
    for split in splits:
        result, _ = runner(split)
        expected = by_key[split.cell.key]
        assert (result.n_train, result.n_test, result.selection) == (
            expected.n_train, expected.n_test, expected.selection,
        )  # fmt: skip
        for ours, theirs in zip(result.methods, expected.methods, strict=True):
            assert (ours.method, ours.params) == (theirs.method, theirs.params)
            assert ours.test_auc == pytest.approx(theirs.test_auc, abs=1e-9)
