"""PCA then logistic regression; the number of components is searched on a log2 grid."""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning

from benchmark.probes.base import BinaryProbe, Family, Params, log2_grid
from benchmark.probes.logistic import make_logistic
from benchmark.protocols.protocol import PCARules


class PCAProbe(BinaryProbe):
    def __init__(
        self,
        n_components: int = 100,
        standardize: bool = True,
        C: float = 1.0,
        max_iter: int = 1000,
    ) -> None:
        self.n_components = n_components
        self.standardize = standardize
        self.C = C
        self.max_iter = max_iter

    def _fit(self, X: np.ndarray, y: np.ndarray) -> None:
        self._fit_scaler(X, self.standardize)
        scaled = self._scaled(X)
        components = max(1, min(self.n_components, *scaled.shape))
        self.pca_ = PCA(n_components=components, svd_solver="full").fit(scaled)
        self.model_ = make_logistic(self.C, "l2", self.max_iter, 0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            self.model_.fit(self.pca_.transform(scaled), y)
        self.n_iter_ = int(np.max(self.model_.n_iter_))

    def _positive_scores(self, X: np.ndarray) -> np.ndarray:
        return self.model_.predict_proba(self.pca_.transform(self._scaled(X)))[:, 1]


def pca_family(rules: PCARules) -> Family:
    def candidates(n_fit: int, n_features: int) -> list[Params]:
        largest = min(n_fit, n_features, rules.max_components)
        return [{**fixed, "n_components": k} for k in log2_grid(largest, rules.grid_points)]

    fixed: Params = {"standardize": rules.standardize}
    return Family(
        "pca", PCAProbe, candidates, defaults={**fixed, "n_components": rules.max_components}
    )
