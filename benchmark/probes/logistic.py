"""Logistic regression (L2 by default, L1 for the SAE probe), optionally on standardized inputs."""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression

from benchmark.probes.base import BinaryProbe, Family, Params
from benchmark.protocols.protocol import LogisticRules

INTERCEPT_SCALING = 10_000.0


class LogisticProbe(BinaryProbe):
    def __init__(
        self,
        C: float = 1.0,
        penalty: str = "l2",
        standardize: bool = True,
        max_iter: int = 1000,
        random_state: int = 0,
        tol: float = 1e-4,
        shuffle_seed: int | None = None,
    ) -> None:
        self.C = C
        self.penalty = penalty
        self.standardize = standardize
        self.max_iter = max_iter
        self.random_state = random_state
        self.tol = tol
        self.shuffle_seed = shuffle_seed

    def _fit(self, X: np.ndarray, y: np.ndarray) -> None:
        if self.shuffle_seed is not None:  # the rows in the original's refit order
            order = np.random.RandomState(self.shuffle_seed).permutation(len(X))
            X, y = X[order], y[order]
        self._fit_scaler(X, self.standardize)
        self.model_ = make_logistic(
            self.C, self.penalty, self.max_iter, self.random_state, self.tol
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            self.model_.fit(self._scaled(X), y)
        self.n_iter_ = int(np.max(self.model_.n_iter_))

    def _positive_scores(self, X: np.ndarray) -> np.ndarray:
        return self.model_.predict_proba(self._scaled(X))[:, 1]


def make_logistic(
    C: float, penalty: str, max_iter: int, random_state: int, tol: float = 1e-4
) -> LogisticRegression:
    """scikit-learn's solver for the penalty: lbfgs for L2; liblinear's coordinate descent for
    L1, which reaches the optimum in tens of iterations where saga stalls at max_iter on
    unscaled SAE latents. liblinear penalizes its intercept as a weight on a constant column;
    INTERCEPT_SCALING makes that column large so the intercept is all but unpenalized."""
    if penalty == "l1":
        return LogisticRegression(
            C=C,
            l1_ratio=1.0,
            solver="liblinear",
            intercept_scaling=INTERCEPT_SCALING,
            max_iter=max_iter,
            random_state=random_state,
            tol=tol,
        )
    if penalty == "l2":
        return LogisticRegression(C=C, max_iter=max_iter, random_state=random_state, tol=tol)
    raise ValueError(f"unknown penalty {penalty!r}")


def logistic_family(rules: LogisticRules) -> Family:
    def candidates(_n_fit: int, _n_features: int) -> list[Params]:
        return [{**fixed, "C": C} for C in rules.C]

    fixed: Params = {
        "standardize": rules.standardize,
        "max_iter": rules.max_iter,
        "tol": rules.tol,
    }
    shuffle = rules.refit_shuffle_seed
    refit: Params = {} if shuffle is None else {"shuffle_seed": shuffle}
    return Family("logistic", LogisticProbe, candidates, defaults=fixed, refit=refit)
