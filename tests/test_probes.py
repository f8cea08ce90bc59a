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
