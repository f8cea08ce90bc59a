"""k-nearest neighbours; k is searched on a log2 grid up to min(n - 1, 100). A fold's neighbours
are found once, for the largest k, and every candidate votes with its first k of them."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.neighbors import KNeighborsClassifier

from benchmark.probes.base import BinaryProbe, Family, Params, log2_grid
from benchmark.protocols.protocol import KNNRules


class KNNProbe(BinaryProbe):
    def __init__(self, n_neighbors: int = 1, standardize: bool = True) -> None:
        self.n_neighbors = n_neighbors
        self.standardize = standardize

    @classmethod
    def candidate_scores(
        cls, candidates: Sequence[Params], X_fit: np.ndarray, y_fit: np.ndarray, X_val: np.ndarray
    ) -> list[np.ndarray]:
        """The share of positives among each candidate's k nearest fitting rows: what
        ``KNeighborsClassifier.predict_proba`` computes with uniform weights (a count over k,
        exact in float64), from one neighbour search at the largest k."""
        probes = [cls(**params) for params in candidates]
        if len({probe.standardize for probe in probes}) != 1:
            return super().candidate_scores(candidates, X_fit, y_fit, X_val)
        largest = max(probe.n_neighbors for probe in probes)
        widest = cls(n_neighbors=largest, standardize=probes[0].standardize).fit(X_fit, y_fit)
        queries = widest._scaled(np.asarray(X_val, dtype=np.float64))
        nearest = widest.model_.kneighbors(queries, return_distance=False)
        is_positive = np.asarray(y_fit) == widest.classes_[1]
        positives = np.cumsum(is_positive[nearest], axis=1, dtype=np.float64)
        return [
            np.clip(positives[:, k - 1] / k, 0.0, 1.0)
            for k in (max(1, min(probe.n_neighbors, len(X_fit))) for probe in probes)
        ]

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
