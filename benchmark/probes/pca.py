"""PCA then logistic regression; the number of components is searched on a log2 grid. The
principal axes of a fold are computed once and every candidate keeps its first components."""

from __future__ import annotations

import copy
import warnings
from collections.abc import Sequence

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

    @classmethod
    def candidate_scores(
        cls, candidates: Sequence[Params], X_fit: np.ndarray, y_fit: np.ndarray, X_val: np.ndarray
    ) -> list[np.ndarray]:
        """One scaler and one SVD for all candidates of the fold (they differ only in how many
        components they keep, and the full SVD does not depend on that)."""
        probes = [cls(**params) for params in candidates]
        if len({probe.standardize for probe in probes}) != 1:
            return super().candidate_scores(candidates, X_fit, y_fit, X_val)
        X, y01 = probes[0]._checked_fit_inputs(X_fit, y_fit)
        probes[0]._fit_scaler(X, probes[0].standardize)
        scaled = probes[0]._scaled(X)
        axes = principal_axes(scaled)
        scores = []
        for probe in probes:
            probe._checked_fit_inputs(X_fit, y_fit)
            probe.scaler_ = probes[0].scaler_
            probe._fit_on_axes(axes, scaled, y01)
            scores.append(probe.decision_scores(X_val))
        return scores

    def _fit(self, X: np.ndarray, y: np.ndarray) -> None:
        self._fit_scaler(X, self.standardize)
        scaled = self._scaled(X)
        self._fit_on_axes(principal_axes(scaled), scaled, y)

    def _fit_on_axes(self, axes: PCA, scaled: np.ndarray, y: np.ndarray) -> None:
        """Keep the first ``n_components`` of every principal axis of the fitting rows, then
        fit the logistic regression on the projections."""
        self.pca_ = first_components(axes, max(1, min(self.n_components, *scaled.shape)))
        self.model_ = make_logistic(self.C, "l2", self.max_iter, 0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            self.model_.fit(self.pca_.transform(scaled), y)
        self.n_iter_ = int(np.max(self.model_.n_iter_))

    def _positive_scores(self, X: np.ndarray) -> np.ndarray:
        return self.model_.predict_proba(self.pca_.transform(self._scaled(X)))[:, 1]


def principal_axes(X: np.ndarray) -> PCA:
    """A PCA of every component (full SVD): any count of components is its first rows."""
    return PCA(n_components=min(X.shape), svd_solver="full").fit(X)


def first_components(axes: PCA, count: int) -> PCA:
    """The PCA that ``PCA(n_components=count, svd_solver="full").fit`` gives on the same rows:
    the same full SVD, truncated, with what ``transform`` reads (contiguous, as sklearn keeps
    its truncated components)."""
    kept = copy.copy(axes)
    kept.n_components = kept.n_components_ = count
    kept.components_ = np.ascontiguousarray(axes.components_[:count])
    kept.explained_variance_ = axes.explained_variance_[:count].copy()
    kept.explained_variance_ratio_ = axes.explained_variance_ratio_[:count].copy()
    kept.singular_values_ = axes.singular_values_[:count].copy()
    return kept


def pca_family(rules: PCARules) -> Family:
    def candidates(n_fit: int, n_features: int) -> list[Params]:
        largest = min(n_fit, n_features, rules.max_components)
        return [{**fixed, "n_components": k} for k in log2_grid(largest, rules.grid_points)]

    fixed: Params = {"standardize": rules.standardize}
    return Family(
        "pca", PCAProbe, candidates, defaults={**fixed, "n_components": rules.max_components}
    )
