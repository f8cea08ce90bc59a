"""The batched torch engine against scikit-learn over many random problems: same selected C
(except at exact ties) and validation AUCs within 1e-3, for L2 and L1, across all selection
bands (leave-pair-out, k-fold, holdout)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from benchmark.probes.batched_logistic import solve_l1, solve_l2
from benchmark.probes.batched_search import l1_aucs, logistic_aucs
from benchmark.probes.logistic import make_logistic
from benchmark.protocols.protocol import load_protocol
from benchmark.selection import fold_auc, plan_validation

V1 = load_protocol("v1")
CS = V1.baselines.logistic.C


def random_problem(seed: int, n: int, d: int, noise: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)) * rng.uniform(0.3, 3.0, size=d) + rng.normal(size=d)
    w = rng.normal(size=d) * (rng.random(d) < 0.5)
    logits = X @ w / np.sqrt(d) + rng.normal(scale=noise, size=n)
    y = (logits > np.median(logits)).astype(int)
    return X, y


def sklearn_aucs(X, y, plan, Cs, penalty, standardize, features=None):  # type: ignore[no-untyped-def]
    aucs = np.empty((len(Cs), len(plan.folds)))
    for c, C in enumerate(Cs):
        for f, fold in enumerate(plan.folds):
            columns = features[f] if features is not None else slice(None)
            X_fit, X_val = X[fold.fit][:, columns], X[fold.val][:, columns]
            if standardize:
                scaler = StandardScaler().fit(X_fit)
                X_fit, X_val = scaler.transform(X_fit), scaler.transform(X_val)
            model = make_logistic(C, penalty, 100_000, 0)
            model.set_params(tol=1e-10)
            model.fit(X_fit, y[fold.fit])
            aucs[c, f] = fold_auc(y[fold.val], model.decision_function(X_val))
    return aucs


def assert_same_selection(ours: np.ndarray, reference: np.ndarray) -> None:
    np.testing.assert_allclose(ours, reference, atol=1e-3)
    best_ours, best_ref = ours.mean(axis=1), reference.mean(axis=1)
    if np.sort(best_ref)[-1] - np.sort(best_ref)[-2] > 1e-3:  # not a tie
        assert np.argmax(best_ours) == np.argmax(best_ref)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize(("n", "d"), [(10, 30), (60, 20), (300, 25)])
def test_l2_engine_matches_sklearn(seed: int, n: int, d: int) -> None:
    X, y = random_problem(seed, n, d)
    plan = plan_validation(y, V1.selection, seed)
    ours = logistic_aucs(X, y, plan, CS, standardize=True)
    assert_same_selection(ours, sklearn_aucs(X, y, plan, CS, "l2", True))


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize(("n", "d"), [(40, 8), (300, 16)])
def test_l1_engine_matches_sklearn(seed: int, n: int, d: int) -> None:
    X, y = random_problem(100 + seed, n, d, noise=2.0)
    X = np.abs(X)  # non-negative like SAE latents
    plan = plan_validation(y, V1.selection, seed)
    features = [np.arange(d)] * len(plan.folds)
    ours = l1_aucs(X, y, plan, CS, features)
    assert_same_selection(ours, sklearn_aucs(X, y, plan, CS, "l1", False, features))


def test_solvers_reach_sklearns_coefficients() -> None:
    X, y = random_problem(7, 200, 10)
    tensor = torch.from_numpy(X)[None]
    target = torch.from_numpy(y).double()[None]
    mask = torch.ones(1, 200, dtype=torch.float64)
    for penalty, solve in (("l2", solve_l2), ("l1", solve_l1)):
        C = 0.05
        reference = LogisticRegression(C=C, l1_ratio=1.0 if penalty == "l1" else 0.0,
                                       solver="saga" if penalty == "l1" else "lbfgs",
                                       tol=1e-12, max_iter=100_000).fit(X, y)  # fmt: skip
        solution = solve(tensor, target, mask, torch.tensor([C], dtype=torch.float64))
        np.testing.assert_allclose(solution.weights[0].numpy(), reference.coef_[0], atol=2e-3)
        np.testing.assert_allclose(
            solution.intercepts[0].item(), reference.intercept_[0], atol=2e-3
        )
        probe = make_logistic(C, penalty, 1000, 0).fit(X, y)  # the probes' own solver
        np.testing.assert_allclose(probe.coef_[0], reference.coef_[0], atol=2e-3)
        np.testing.assert_allclose(probe.intercept_[0], reference.intercept_[0], atol=2e-3)


def test_masked_rows_do_not_count() -> None:
    X, y = random_problem(3, 120, 6)
    mask = torch.ones(2, 120, dtype=torch.float64)
    mask[1, 60:] = 0
    batch = torch.from_numpy(np.stack([X, X]))
    target = torch.from_numpy(np.stack([y, y])).double()
    solution = solve_l2(batch, target, mask, torch.tensor([1.0, 1.0], dtype=torch.float64))
    alone = solve_l2(
        batch[:1, :60], target[:1, :60], mask[:1, :60], torch.tensor([1.0], dtype=torch.float64)
    )
    np.testing.assert_allclose(solution.weights[1].numpy(), alone.weights[0].numpy(), atol=1e-8)


def test_auto_engine_is_the_measured_default() -> None:
    from benchmark.probes.search import resolve_engine

    assert resolve_engine("auto", "cpu") == "sklearn"
    assert resolve_engine("auto", "cuda:0") == "sklearn"
    assert resolve_engine("batched", "cpu") == "batched"
    assert resolve_engine("batched", "cpu") == "batched"
    assert resolve_engine("sklearn", "cuda") == "sklearn"


def test_v1_logistic_reaches_the_optimum_when_features_outnumber_rows() -> None:
    from benchmark.probes.logistic import LogisticProbe

    X, y = random_problem(11, 120, 150)  # separable: weak regularization is hard for lbfgs
    C = 46.4

    def objective(w: np.ndarray, b: float) -> float:
        z = X @ w + b
        return float(C * np.sum(np.logaddexp(0, z) - y * z) + 0.5 * w @ w)

    rules = V1.baselines.logistic
    probe = LogisticProbe(C, "l2", False, rules.max_iter, tol=rules.tol).fit(X, y)
    solution = solve_l2(
        torch.from_numpy(X)[None], torch.from_numpy(y).double()[None],
        torch.ones(1, 120, dtype=torch.float64), torch.tensor([C], dtype=torch.float64),
    )  # fmt: skip
    ours = objective(probe.model_.coef_[0], probe.model_.intercept_[0])
    optimum = objective(solution.weights[0].numpy(), solution.intercepts[0].item())
    assert ours == pytest.approx(optimum, rel=1e-4)


def mixed_problems() -> list:  # type: ignore[type-arg]
    """Problems of different sizes, fold counts, widths and penalties (every selection band)."""
    from benchmark.probes.batched_search import l1_problem, logistic_problem

    problems = []
    for seed, (n, d) in enumerate([(10, 30), (60, 20), (300, 25), (40, 8), (200, 16)]):
        X, y = random_problem(200 + seed, n, d, noise=2.0)
        plan = plan_validation(y, V1.selection, seed)
        problems.append(logistic_problem(X, y, plan, CS, standardize=True))
        features = [np.arange(d // 2 + seed)] * len(plan.folds)
        problems.append(l1_problem(np.abs(X), y, plan, CS[::3], features))
    return problems


def test_many_problems_in_one_solve_match_each_solved_alone() -> None:
    from benchmark.probes.batched_search import solve_problems

    problems = mixed_problems()
    together = solve_problems(problems)
    alone = [solve_problems([problem])[0] for problem in problems]
    chunked = solve_problems(problems, max_elements=20_000)  # many small batches
    for joint, single, small in zip(together, alone, chunked, strict=True):
        np.testing.assert_allclose(joint, single, atol=1e-6)
        np.testing.assert_allclose(small, single, atol=1e-6)


def test_all_searches_of_a_cell_are_chosen_in_one_solve() -> None:
    from benchmark.probes.sae_probe import sae_family
    from benchmark.probes.search import Search, choose_all, choose_params

    X, y = random_problem(5, 300, 64, noise=2.0)
    Z = np.abs(X)
    plan = plan_validation(y, V1.selection, 0)
    families = [sae_family(V1.sae_probe, k) for k in (4, 16, 64)]
    searches = [Search(family, Z, y, plan) for family in families]
    joint = choose_all(searches, "batched")
    reference = choose_all(searches, "sklearn")
    for family, (params, val_auc), (ref_params, ref_val) in zip(
        families, joint, reference, strict=True
    ):
        alone = choose_params(family, Z, y, plan, "batched")
        assert params == alone[0] and val_auc == pytest.approx(alone[1], abs=1e-6)
        assert val_auc == pytest.approx(ref_val, abs=1e-3)
        assert params["k"] == ref_params["k"] == family.defaults["k"]
