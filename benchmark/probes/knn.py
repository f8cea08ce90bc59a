"""k-nearest neighbours; k is searched on a log2 grid up to min(n - 1, 100)."""

from __future__ import annotations

import numpy as np
from sklearn.neighbors import KNeighborsClassifier

from benchmark.probes.base import BinaryProbe, Family, Params, log2_grid
from benchmark.protocols.protocol import KNNRules


class KNNProbe(BinaryProbe):
    def __init__(self, n_neighbors: int = 1, standardize: bool = True) -> None:
        self.n_neighbors = n_neighbors
        self.standardize = standardize

    def _fit(self, X: np.ndarray, y: np.ndarray) -> None:
        self._fit_scaler(X, self.standardize)
        k = max(1, min(self.n_neighbors, len(X)))
        self.model_ = KNeighborsClassifier(n_neighbors=k).fit(self._scaled(X), y)

    def _positive_scores(self, X: np.ndarray) -> np.ndarray:
        return self.model_.predict_proba(self._scaled(X))[:, 1]


def knn_family(rules: KNNRules) -> Family:
    def candidates(n_fit: int, _n_features: int) -> list[Params]:
        largest = min(n_fit - 1, rules.max_k)
        return [{**fixed, "n_neighbors": k} for k in log2_grid(largest, rules.grid_points)]

    fixed: Params = {"standardize": rules.standardize}
    return Family("knn", KNNProbe, candidates, defaults={**fixed, "n_neighbors": 1})
