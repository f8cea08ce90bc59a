"""The lean SAE-probe search against the reference path it replaces (one ``SAEProbe`` per
candidate and fold, on dense float64 latents), and its parts against scikit-learn: exact
ranking on sparse latents, the direct liblinear fit, the rank-based AUC."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy import sparse
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from benchmark.probes.l1_solver import fit_l1
from benchmark.probes.logistic import make_logistic
from benchmark.probes.sae_probe import rank_latents, top_latents
from benchmark.probes.sae_search import SAEProbeSearch, per_candidate_outcomes
from benchmark.protocols.protocol import load_protocol
from benchmark.selection import fold_auc, plan_validation

V1, V2, V3, PAPER = (load_protocol(name) for name in ("v1", "v2", "v3", "paper"))


def sparse_latents(rng: np.random.Generator, n: int, width: int, density: float) -> np.ndarray:
    values = np.abs(rng.normal(size=(n, width))) * rng.uniform(0.1, 50, width)
    return (values * (rng.random((n, width)) < density)).astype(np.float32)


@pytest.mark.parametrize("seed", range(30))
def test_top_latents_equal_the_dense_ranking(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, width = int(rng.integers(2, 200)), int(rng.integers(3, 3000))
    Z = sparse_latents(rng, n, width, rng.uniform(0.001, 0.3))
    y = np.arange(n) % 2
    count = int(rng.integers(1, min(width, 600) + 1))
    dense = rank_latents(Z.astype(np.float64), y)[:count]
    np.testing.assert_array_equal(top_latents(sparse.csr_matrix(Z), y, count), dense)


@pytest.mark.parametrize("protocol", [V1, V3, PAPER], ids=["v1", "v3", "paper"])
@pytest.mark.parametrize("n_train", [3, 8, 12, 40, 127, 300])
def test_lean_search_equals_one_probe_per_candidate(protocol, n_train: int) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(n_train)
    Z = sparse_latents(rng, n_train + 200, 400, 0.05)
    y = (np.arange(len(Z)) % 2).astype(int)
    Z[y == 1, :5] += rng.uniform(0, 3, (int(y.sum()), 5)).astype(np.float32)  # signal
    train, test = np.arange(n_train), np.arange(n_train, len(Z))
    plan = plan_validation(y[train], protocol.selection, 0)
    Z_train, Z_test = Z[train].astype(np.float64), Z[test].astype(np.float64)
    ks = [1, 4, 16, 128]
    rules = protocol.sae_probe
    expected = per_candidate_outcomes(rules, Z_train, y[train], Z_test, y[test], plan, ks)
    search = SAEProbeSearch(protocol.sae_probe, ks)
    got = search.run(
        sparse.csr_matrix(Z[train]), y[train], sparse.csr_matrix(Z[test]), y[test], plan
    )
    for ours, theirs in zip(got, expected, strict=True):
        assert ours.method == theirs.method
        assert {k: v for k, v in ours.params.items() if k != "fixed_latents"} == {
            k: v for k, v in theirs.params.items() if k != "fixed_latents"
        }
        np.testing.assert_array_equal(ours.test_scores, theirs.test_scores)
        assert ours.test_auc == theirs.test_auc
        if np.isnan(theirs.val_auc):
            assert np.isnan(ours.val_auc)
        else:
            assert ours.val_auc == pytest.approx(theirs.val_auc, abs=1e-12)


@pytest.mark.parametrize("n_train", [40, 127, 128, 300])
def test_v3_searches_as_v1_up_to_127_training_rows_and_as_v2_above(n_train: int) -> None:
    rng = np.random.default_rng(n_train)
    Z = sparse.csr_matrix(sparse_latents(rng, n_train + 100, 300, 0.05))
    y = (np.arange(Z.shape[0]) % 2).astype(int)
    train, test = np.arange(n_train), np.arange(n_train, Z.shape[0])
    plan = plan_validation(y[train], V3.selection, 0)
    small = n_train <= 127
    expected_rules = (V1 if small else V2).sae_probe
    expected = SAEProbeSearch(expected_rules, [1, 16]).run(
        Z[train], y[train], Z[test], y[test], plan
    )
    got = SAEProbeSearch(V3.sae_probe, [1, 16]).run(Z[train], y[train], Z[test], y[test], plan)
    assert [o.params for o in got] == [o.params for o in expected]
    assert [o.test_auc for o in got] == [o.test_auc for o in expected]
    assert all(o.params["max_iter"] == (100 if small else 25) for o in got)


@pytest.mark.parametrize("seed", range(20))
def test_direct_liblinear_equals_logistic_regression(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, d = int(rng.integers(4, 300)), int(rng.integers(1, 60))
    X = np.ascontiguousarray(rng.normal(size=(n, d)) * (rng.random((n, d)) < 0.3))
    y = rng.integers(0, 2, n)
    y[:2] = [0, 1]
    C = float(10 ** rng.uniform(-5, 5))
    model: LogisticRegression = make_logistic(C, "l1", 100, 0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X, y)
    fitted = fit_l1(X, y, C, 100)
    np.testing.assert_array_equal(fitted.coef, model.coef_)
    np.testing.assert_array_equal(fitted.positive_scores(X), model.predict_proba(X)[:, 1])
    assert fitted.n_iter == int(np.max(model.n_iter_))


def test_fold_auc_is_roc_auc_score_bit_for_bit() -> None:
    """Selection takes the first best mean: equal AUCs must stay equal to the last bit."""
    rng = np.random.default_rng(0)
    for trial in range(2000):
        n = int(rng.integers(2, 120))
        y = rng.integers(0, 2, n)
        y[:2] = [0, 1]
        scores = rng.normal(size=n)
        if trial % 3 == 1:
            scores = np.round(scores, 1)  # ties
        elif trial % 3 == 2:
            scores = np.where(rng.random(n) < 0.3, 0.7, 0.3)  # two values only
        assert fold_auc(y, scores) == roc_auc_score(y, scores)


def test_sparse_encoding_equals_dense(tiny_sae_dir) -> None:  # type: ignore[no-untyped-def]
    from benchmark.saes.load import load_sae_folder

    sae = load_sae_folder(tiny_sae_dir)
    X = np.random.default_rng(0).normal(size=(300, 32)).astype(np.float32)
    np.testing.assert_array_equal(sae.encode_sparse(X).toarray(), sae.encode(X))
