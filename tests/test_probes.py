"""Every probe follows the scikit-learn estimator contract and equals a direct scikit-learn
(or XGBoost) fit; the search picks what a direct grid search over the same folds picks."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from benchmark.probes.knn import KNNProbe
from benchmark.probes.logistic import LogisticProbe
from benchmark.probes.mlp import MLPProbe
from benchmark.probes.pca import PCAProbe
from benchmark.probes.registry import baseline_families
from benchmark.probes.sae_probe import SAEProbe
from benchmark.probes.search import choose_params
from benchmark.probes.xgboost_probe import XGBoostProbe
from benchmark.protocols.protocol import load_protocol
from benchmark.selection import plan_validation

V1 = load_protocol("v1")


@parametrize_with_checks(
    [
        LogisticProbe(),
        LogisticProbe(penalty="l1", standardize=False),
        PCAProbe(n_components=3),
        KNNProbe(n_neighbors=3),
        MLPProbe(hidden_layers=(8,), max_iter=50),
        XGBoostProbe(n_estimators=10),
        SAEProbe(k=2),
    ]
)
def test_sklearn_estimator_contract(estimator, check) -> None:  # type: ignore[no-untyped-def]
    check(estimator)


@pytest.fixture(scope="module")
def problem() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(260, 12)) * rng.uniform(0.5, 5, size=12)
    w = rng.normal(size=12)
    y = (X @ w + rng.normal(scale=3.0, size=260) > 0).astype(int)
    return X[:200], y[:200], X[200:]


def scores(model, X_test: np.ndarray) -> np.ndarray:  # type: ignore[no-untyped-def]
    return model.predict_proba(X_test)[:, 1]


def test_logistic_equals_scaled_sklearn(problem) -> None:  # type: ignore[no-untyped-def]
    X, y, X_test = problem
    ours = LogisticProbe(C=0.3, standardize=True).fit(X, y)
    reference = make_pipeline(StandardScaler(), LogisticRegression(C=0.3, max_iter=1000)).fit(X, y)
    np.testing.assert_allclose(scores(ours, X_test), scores(reference, X_test), atol=1e-6)


def test_pca_equals_sklearn_pipeline(problem) -> None:  # type: ignore[no-untyped-def]
    X, y, X_test = problem
    ours = PCAProbe(n_components=4).fit(X, y)
    reference = make_pipeline(
        StandardScaler(), PCA(4, svd_solver="full"), LogisticRegression(max_iter=1000)
    ).fit(X, y)
    np.testing.assert_allclose(scores(ours, X_test), scores(reference, X_test), atol=1e-6)


def test_knn_equals_sklearn_pipeline(problem) -> None:  # type: ignore[no-untyped-def]
    X, y, X_test = problem
    ours = KNNProbe(n_neighbors=7).fit(X, y)
    reference = make_pipeline(StandardScaler(), KNeighborsClassifier(7)).fit(X, y)
    np.testing.assert_allclose(scores(ours, X_test), scores(reference, X_test))


def test_mlp_equals_sklearn_pipeline(problem) -> None:  # type: ignore[no-untyped-def]
    X, y, X_test = problem
    ours = MLPProbe(
        hidden_layers=(16, 16), learning_rate=1e-3, weight_decay=1e-3, max_iter=100
    ).fit(X, y)
    reference = make_pipeline(
        StandardScaler(),
        MLPClassifier((16, 16), learning_rate_init=1e-3, alpha=1e-3, max_iter=100, random_state=0),
    ).fit(X, y)
    np.testing.assert_allclose(scores(ours, X_test), scores(reference, X_test), atol=1e-6)


def test_xgboost_equals_xgboost(problem) -> None:  # type: ignore[no-untyped-def]
    import xgboost

    X, y, X_test = problem
    params = {"n_estimators": 50, "max_depth": 3, "learning_rate": 0.1, "subsample": 0.85}
    ours = XGBoostProbe(**params, random_state=3).fit(X, y)
    reference = xgboost.XGBClassifier(**params, random_state=3, tree_method="hist", n_jobs=1).fit(
        X, y
    )
    np.testing.assert_allclose(scores(ours, X_test), scores(reference, X_test), atol=1e-6)


def reference_scores(family: str, params: dict, X, y, X_val) -> np.ndarray:  # type: ignore[no-untyped-def, type-arg]
    """The library's own estimator for one candidate, fit alone on the fold's rows."""
    import xgboost

    if family == "pca":
        k = min(params["n_components"], *X.shape)
        steps = [StandardScaler(), PCA(k, svd_solver="full"), LogisticRegression(max_iter=1000)]
        return make_pipeline(*steps).fit(X, y).predict_proba(X_val)[:, 1]
    if family == "knn":
        k = min(params["n_neighbors"], len(X))
        model = make_pipeline(StandardScaler(), KNeighborsClassifier(k))
        return model.fit(X, y).predict_proba(X_val)[:, 1]
    config = {key: value for key, value in params.items() if key != "max_bin"}
    model = xgboost.XGBClassifier(
        **config, tree_method="hist", max_bin=params["max_bin"], n_jobs=1, eval_metric="logloss"
    )
    return model.fit(X, y).predict_proba(X_val)[:, 1]


@pytest.mark.parametrize("family", ["pca", "knn", "xgboost"])
@pytest.mark.parametrize("n", [9, 60, 200])
def test_a_fold_shared_by_every_candidate_scores_each_as_a_fit_alone(problem, family, n) -> None:  # type: ignore[no-untyped-def]
    """One SVD, one neighbour search or one quantile matrix per fold: every candidate's
    validation scores equal, bit for bit, the library's estimator fit on that fold alone, and
    the probe's own single fit."""
    X, y, X_val = problem
    X, y = X[:n], y[:n]
    (chosen,) = baseline_families(V1, (family,))
    candidates = (
        chosen.candidates(n, X.shape[1])[:4]
        if family == "xgboost"
        else (chosen.candidates(n, X.shape[1]))
    )
    shared = chosen.build.candidate_scores(candidates, X, y, X_val)
    assert len(shared) == len(candidates) > 1
    for params, scores in zip(candidates, shared, strict=True):
        alone = chosen.estimator(params).fit(X, y).decision_scores(X_val)
        np.testing.assert_array_equal(scores, alone)
        reference = reference_scores(family, params, X, y, X_val)
        np.testing.assert_allclose(scores, reference, rtol=0, atol=1e-12)


@pytest.mark.parametrize("n", [10, 60, 200])
def test_logistic_search_matches_grid_search_on_the_same_folds(problem, n: int) -> None:  # type: ignore[no-untyped-def]
    X, y, _ = problem
    X, y = X[:n], y[:n]
    family = baseline_families(V1, ("logistic",))[0]
    plan = plan_validation(y, V1.selection, 0)
    params, val_auc = choose_params(family, X, y, plan)
    folds = [(fold.fit, fold.val) for fold in plan.folds]
    grid = GridSearchCV(
        make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)),
        {"logisticregression__C": V1.baselines.logistic.C},
        scoring="roc_auc",
        cv=folds,
    ).fit(X, y)
    assert params["C"] == grid.best_params_["logisticregression__C"]
    assert val_auc == pytest.approx(grid.best_score_, abs=1e-9)


def test_search_candidates_follow_the_protocol_grids() -> None:
    by_name = {family.name: family for family in baseline_families(V1)}
    assert [c["n_components"] for c in by_name["pca"].candidates(1000, 576)][-1] == 100
    assert [c["n_neighbors"] for c in by_name["knn"].candidates(40, 576)][-1] == 39
    mlp = by_name["mlp"].candidates(100, 10)
    assert len(mlp) == 10 and {len(c["hidden_layers"]) for c in mlp} <= {1, 2, 3}
    assert mlp == baseline_families(V1, ("mlp",))[0].candidates(100, 10)  # seeded
    assert len(by_name["xgboost"].candidates(100, 10)) == 10


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")  # the capped fit
def test_records_say_how_many_iterations_the_refit_took() -> None:
    """The record's iterations are the solver's own (checked against a direct scikit-learn fit),
    and a refit stopped at its cap shows as iterations == params['max_iter']."""
    from benchmark.probes.search import refit_and_score
    from benchmark.run.cells import method_result

    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 12))
    y = (X[:, 0] + 0.5 * rng.normal(size=200) > 0).astype(int)
    family = baseline_families(load_protocol("v1"), ("logistic",))[0]
    for max_iter in (1000, 3):
        params = {**family.defaults, "C": 10.0, "max_iter": max_iter}
        result = method_result(refit_and_score(family, (params, 0.5), X, y, X, y))
        reference = make_pipeline(
            StandardScaler(), LogisticRegression(C=10.0, max_iter=max_iter, tol=params["tol"])
        ).fit(X, y)
        assert result.iterations == int(reference[-1].n_iter_[0])
    assert result.iterations == 3 == params["max_iter"]  # the capped refit


def test_the_xgboost_baseline_names_a_device_other_than_the_cpu() -> None:
    """On the CPU its parameters are v1's (the records are unchanged); off it, each candidate
    says where it trained, and a device this XGBoost cannot use is one clear error."""
    import xgboost

    from benchmark.errors import SaeprobeError
    from benchmark.probes.registry import baseline_family

    on_cpu = baseline_family(V1, "xgboost")
    assert all("device" not in c for c in on_cpu.candidates(100, 10))
    if xgboost.build_info().get("USE_CUDA"):
        on_gpu = baseline_family(V1, "xgboost", "cuda")
        assert all(c["device"] == "cuda" for c in on_gpu.candidates(100, 10))
    else:
        with pytest.raises(SaeprobeError, match="no CUDA build"):
            baseline_family(V1, "xgboost", "cuda")
    logistic = baseline_family(V1, "logistic", "cuda")  # scikit-learn's: CPU only
    assert all("device" not in c for c in logistic.candidates(100, 10))
