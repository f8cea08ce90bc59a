"""The SAE probe's L1 logistic regression, solved by liblinear without scikit-learn's per-call
machinery.

``LogisticRegression(solver="liblinear", l1_ratio=1)`` validates its input, inspects its
parameters and checks its target on every fit: for the thousands of tiny fits of an SAE arm
that overhead cost more than the solver. ``fit_l1`` hands the same arrays, with the same
settings, to the same liblinear routine scikit-learn calls (``sklearn.svm._base._fit_liblinear``)
and scores with the same arithmetic as ``predict_proba``; a test checks both against
``LogisticRegression`` so that a scikit-learn upgrade cannot silently change them.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy.special import expit
from sklearn.exceptions import ConvergenceWarning
from sklearn.svm._base import _fit_liblinear

from benchmark.probes.logistic import INTERCEPT_SCALING

TOL = 1e-4  # LogisticRegression's default, as the SAE probe has always used
RANDOM_STATE = 0


@dataclass(frozen=True)
class L1Fit:
    coef: np.ndarray  # [1, features]
    intercept: np.ndarray  # [1]
    n_iter: int

    def positive_scores(self, X: np.ndarray) -> np.ndarray:
        """P(y = 1), as ``LogisticRegression.predict_proba(X)[:, 1]`` computes it."""
        decision = (X @ self.coef.T + self.intercept).reshape(-1)
        return expit(decision)


def fit_l1(X: np.ndarray, y: np.ndarray, C: float, max_iter: int) -> L1Fit:
    """L1 logistic regression on float64 ``X`` and 0/1 ``y`` (both classes). liblinear reads
    a row-major copy, as ``LogisticRegression.fit`` makes one."""
    X = np.ascontiguousarray(X)
    with warnings.catch_warnings():  # a capped fit is recorded through its iterations
        warnings.simplefilter("ignore", ConvergenceWarning)
        coef, intercept, n_iter = _fit_liblinear(
            X, y, C, True, INTERCEPT_SCALING, None, "l1", False, 0, max_iter, TOL, RANDOM_STATE
        )
    return L1Fit(coef, intercept, int(np.max(n_iter)))
