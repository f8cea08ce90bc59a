"""The `paper` protocol against the original study's own code (sae-probes 0.4.2, loaded by
``sae_probes_oracle`` without importing the package): the same rows in every cell, the same
validation folds, the same fold scoring, and on real activations of the embedded model the same
test AUCs for the logistic baseline and the SAE probe, cell by cell."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from scipy import sparse
from threadpoolctl import threadpool_limits

from benchmark.errors import SaeprobeError
from benchmark.probes.logistic import logistic_family
from benchmark.probes.search import Search
from benchmark.protocols.protocol import Protocol, load_protocol
from benchmark.regimes.cells import CellSplit
from benchmark.regimes.generate import dataset_cells
from benchmark.run.cells import baseline_cell, cell_rows, sae_search
from benchmark.run.jobs import plan_cells
from benchmark.saes.load import load_sae_folder
from benchmark.selection import plan_validation
from benchmark.workflows.evaluate import RunOptions, run_context, suite_arrays
from datasets_registry.load import load_labeled
from datasets_registry.rows import LabeledPrompts
from datasets_registry.spec import get_spec
from tests import sae_probes_oracle as oracle

PAPER, V1 = load_protocol("paper"), load_protocol("v1")
# balanced and not, 728 to 5,000 rows (only the first 5,000 read), with and without OOD sets
DATASETS = [
    "5_hist_fig_ismale",
    "87_glue_cola",
    "105_click_bait",
    "95_toxic_is",
    "22_headline_isobama",
]
RAW_FRACTIONS = np.linspace(0.05, 0.95, 19).tolist()  # the original's get_class_imbalance()
Rows = tuple[np.ndarray, np.ndarray] | None


def unclean(dataset: str, split: str = "main") -> LabeledPrompts:
    return load_labeled(get_spec(dataset), split, clean=False)  # type: ignore[arg-type]


def by_level(data: LabeledPrompts, regime: str, for_sae: bool = False) -> dict[object, CellSplit]:
    return {s.cell.level: s for s in dataset_cells(data, None, PAPER, [regime], for_sae)}


def assert_same_rows(ours: dict[object, CellSplit], expected: dict[object, Rows]) -> None:
    """Every cell the original draws exists with its rows in its order; no other cell exists."""
    assert set(ours) == {level for level, rows in expected.items() if rows is not None}
    for level, split in ours.items():
        rows = expected[level]
        assert rows is not None
        np.testing.assert_array_equal(split.train, rows[0], err_msg=f"train rows at {level}")
        np.testing.assert_array_equal(split.test, rows[1], err_msg=f"test rows at {level}")


@pytest.mark.parametrize("dataset", DATASETS)
def test_labels_are_the_originals(dataset: str) -> None:
    np.testing.assert_array_equal(unclean(dataset).labels, oracle.original()["get_yvals"](dataset))


@pytest.mark.parametrize("dataset", DATASETS)
def test_normal_and_scarcity_cells_draw_the_originals_rows(dataset: str) -> None:
    data = unclean(dataset)
    assert_same_rows(by_level(data, "normal"), {None: oracle.normal_rows(dataset)})
    sizes = PAPER.regimes.scarcity.train_sizes
    assert sizes == oracle.original()["get_training_sizes"]()
    expected = {float(n): oracle.normal_rows(dataset, n) for n in sizes}
    assert_same_rows(by_level(data, "scarcity"), expected)
    tests = {split.test.tobytes() for split in by_level(data, "scarcity").values()}
    assert len(tests) > 1  # a new test set for every size, as the original drew them


@pytest.mark.parametrize("dataset", DATASETS)
def test_imbalance_cells_draw_the_originals_rows_for_each_arm(dataset: str) -> None:
    """Its baselines drew at the level rounded to 0.05, its SAE code at np.linspace's raw
    value: where ceil(f x n) differs (0.55 at n = 100), the arms' rows differ, as there."""
    data = unclean(dataset)
    levels = PAPER.regimes.imbalance.positive_fractions
    assert levels == [round(f * 20) / 20 for f in RAW_FRACTIONS]
    pairs = list(zip(levels, RAW_FRACTIONS, strict=True))
    baselines = {f: oracle.imbalance_rows(dataset, round(r * 20) / 20) for f, r in pairs}
    sae = {f: oracle.imbalance_rows(dataset, r) for f, r in pairs}
    assert_same_rows(by_level(data, "imbalance"), baselines)
    assert_same_rows(by_level(data, "imbalance", for_sae=True), sae)


def test_the_arms_differ_where_the_originals_did() -> None:
    data = unclean("95_toxic_is")  # 728 rows: 100 imbalance test rows, so 0.55 differs
    baselines, sae = by_level(data, "imbalance"), by_level(data, "imbalance", for_sae=True)
    assert len(baselines[0.55].test) == 100
    assert not np.array_equal(baselines[0.55].test, sae[0.55].test)
    assert np.array_equal(baselines[0.5].test, sae[0.5].test)


@pytest.mark.parametrize("dataset", DATASETS[:3])
def test_label_noise_flips_the_originals_labels(dataset: str) -> None:
    data = unclean(dataset)
    train, test = oracle.normal_rows(dataset)  # type: ignore[misc]
    for fraction, split in by_level(data, "label_noise").items():
        assert isinstance(fraction, float)
        np.testing.assert_array_equal(split.train, train)
        np.testing.assert_array_equal(split.test, test)
        np.testing.assert_array_equal(
            split.train_labels, oracle.corrupted(data.labels[train], fraction)
        )
        assert np.array_equal(split.test_labels, data.labels[test])  # the test stays clean


@pytest.mark.parametrize("dataset", ["5_hist_fig_ismale", "87_glue_cola"])
def test_covariate_shift_trains_on_the_originals_ood_draw(dataset: str) -> None:
    data, ood = unclean(dataset), unclean(dataset, "ood")
    (split,) = dataset_cells(data, ood, PAPER, ["covariate_shift"])
    np.testing.assert_array_equal(split.train, oracle.ood_training_rows(dataset))
    assert split.train.max() < 1500 and len(split.test) == len(ood)


@pytest.mark.parametrize(
    "n,positives", [(5, 3), (9, 4), (12, 6), (13, 7), (40, 13), (127, 40), (200, 90), (900, 450)]
)
def test_folds_are_the_originals(n: int, positives: int) -> None:
    """get_cv + get_splits: LeavePOut(2) order, StratifiedKFold(6, shuffle, seed), tail holdout."""
    labels = np.zeros(n, dtype=np.int64)
    labels[np.random.default_rng(n).choice(n, positives, replace=False)] = 1
    X = np.zeros((n, 1))
    training = oracle.training_module()
    expected = training.get_splits(training.get_cv(X, seed=42), X, labels)
    plan = plan_validation(labels, PAPER.selection, 42)
    assert len(plan.folds) == len(expected)
    for fold, (fit, val) in zip(plan.folds, expected, strict=True):
        np.testing.assert_array_equal(fold.fit, fit)
        np.testing.assert_array_equal(np.sort(fold.val), np.sort(val))


def test_a_single_class_fit_fold_scores_half_as_the_original() -> None:
    """Five rows, one positive: every leave-pair-out fold that validates both classes fits on
    negatives alone; the original scored each 0.5 and kept the first C."""
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(5, 4)), np.array([0, 0, 1, 0, 0])
    plan = plan_validation(y, PAPER.selection, 42)
    assert len(plan.folds) == 4 and plan.strategy == "leave_pair_out"
    params, val_auc = Search(logistic_family(PAPER.baselines.logistic), X, y, plan).choose()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = oracle.training_module().find_best_reg(X, y, X, y, penalty="l2", seed=42)
    assert val_auc == theirs.metrics.val_auc == 0.5
    assert params["C"] == theirs.classifier.C == PAPER.baselines.logistic.C[0]


def test_the_protocol_fixes_fp32_activations() -> None:
    from benchmark.workflows.evaluate import activation_dtype

    assert activation_dtype(PAPER, None) == activation_dtype(PAPER, "fp32") == "fp32"
    assert activation_dtype(V1, None) == "bf16" and activation_dtype(V1, "fp16") == "fp16"
    with pytest.raises(SaeprobeError, match="fixes fp32"):
        activation_dtype(PAPER, "bf16")


def test_v1_keeps_its_hash() -> None:
    """The rules added for the original are left out of v1's hash (they are unset there)."""
    assert V1.content_hash() == "c578c5b3199685cae7b56e7599289c14c8a38d720175f3d59b1feb3bf8d6203f"
    assert V1.splits.original is None and V1.sae_probe.solver is None


REFERENCE_SAE = Path(__file__).parent.parent / "submissions" / "ref-topk-2048" / "sae"
E2E_CELLS = {"scarcity": (4.0, 20.0, 275.0), "imbalance": (0.55,), "normal": (None,)}


@pytest.mark.slow
def test_test_aucs_equal_the_originals_on_the_embedded_model() -> None:
    """117_us_state_FL (1,000 rows) in fp32 through the harness; the original's find_best_reg
    and SAE ranking on the same activations, handed torch tensors as the original does. The
    logistic baseline and the SAE probe (k 16 and 128, the reference TopK SAE) agree per cell
    (the issue asked for 0.002; measured: equal to the last digit)."""
    dataset = "117_us_state_FL"
    run = RunOptions(protocol="paper", suite="full", datasets=(dataset,), progress=False)
    ctx = run_context(run, None)
    (item,) = suite_arrays(ctx, run)
    assert ctx.dtype == "fp32" and item.X.dtype == np.float32
    X = torch.from_numpy(np.array(item.X))  # a writable copy
    latents = load_sae_folder(REFERENCE_SAE).encode_sparse(np.asarray(item.X))
    training = oracle.training_module()
    compared = 0
    with threadpool_limits(limits=1), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for regime, levels in E2E_CELLS.items():
            for for_sae in (False, True):
                planned = plan_cells([item], ctx.protocol, [regime], for_sae)[(dataset, regime)]
                for split in (s for s in planned if s.cell.level in levels):
                    if for_sae:
                        compared += compare_sae_probe(split, latents, ctx.protocol)
                    else:
                        ours = baseline_cell(ctx, ("logistic",), item, split)[0].methods[0]
                        theirs = training.find_best_reg(
                            X[split.train], split.train_labels, X[split.test], split.test_labels,
                            penalty="l2", seed=42,
                        )  # fmt: skip
                        assert ours.test_auc == pytest.approx(theirs.metrics.test_auc, abs=1e-12)
                        assert ours.val_auc == pytest.approx(theirs.metrics.val_auc, abs=1e-12)
                        compared += 1
    assert compared == 3 * 5  # 5 cells: the logistic baseline and two SAE probes each


def compare_sae_probe(split: CellSplit, latents: sparse.csr_matrix, protocol: Protocol) -> int:
    """The harness's SAE probe (k 16, 128) against the original's ranking and find_best_reg
    on the same latents; returns the number of probes compared."""
    training, data_functions = oracle.training_module(), oracle.original()
    ks = [16, 128]
    plan = plan_validation(split.train_labels, protocol.selection, split.cell.seed)
    Z_train, Z_test = cell_rows(split, latents, None)
    ours = sae_search(protocol.sae_probe, ks, split.cell.seed).run(
        Z_train, split.train_labels, Z_test, split.test_labels, plan
    )
    dense_train = torch.from_numpy(Z_train.toarray()).float()
    dense_test = torch.from_numpy(Z_test.toarray()).float()
    y_train, y_test = torch.tensor(split.train_labels), torch.tensor(split.test_labels)
    ranked = data_functions["get_sorted_indices"](
        dense_train, y_train, data_functions["mean_act_normalization"]
    )
    for k, outcome in zip(ks, ours, strict=True):
        top = ranked[:k]
        theirs = training.find_best_reg(
            dense_train[:, top], y_train, dense_test[:, top], y_test, penalty="l1", seed=42
        )
        assert outcome.test_auc == pytest.approx(theirs.metrics.test_auc, abs=1e-12), k
    return len(ks)
