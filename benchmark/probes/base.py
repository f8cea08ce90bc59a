"""The shared estimator base for binary probes, and the family abstraction."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.preprocessing import StandardScaler
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_is_fitted, validate_data

Params = dict[str, Any]


class BinaryProbe(ClassifierMixin, BaseEstimator):
    """Binary classifier base: validates input, records ``classes_``, maps labels to 0/1.

    Subclasses implement ``_fit(X, y01)`` and ``_positive_scores(X)`` (the probability of
    ``classes_[1]``).
    """

    @classmethod
    def candidate_scores(
        cls, candidates: Sequence[Params], X_fit: np.ndarray, y_fit: np.ndarray, X_val: np.ndarray
    ) -> list[np.ndarray]:
        """Each candidate fit on ``(X_fit, y_fit)``, scoring ``X_val``: one validation fold of a
        search. Families whose candidates share work (one SVD, one neighbour search) override
        this; an override must return exactly, bit for bit, what this loop returns."""
        return [cls(**params).fit(X_fit, y_fit).decision_scores(X_val) for params in candidates]

    def fit(self, X: np.ndarray, y: np.ndarray) -> BinaryProbe:
        X, y01 = self._checked_fit_inputs(X, y)
        self._fit(X, y01)
        return self

    def _checked_fit_inputs(self, X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Validated float64 rows and 0/1 labels; records ``classes_`` and the input width."""
        X, y = validate_data(self, X, y, dtype=np.float64)
        check_classification_targets(y)
        target = type_of_target(y, input_name="y", raise_unknown=True)
        if target not in ("binary", "unknown") and len(np.unique(y)) > 2:
            raise ValueError(
                f"Only binary classification is supported. The type of the target is {target}."
            )
        self.classes_ = np.unique(y)
        if len(self.classes_) < 2:
            raise ValueError("a binary probe needs both classes; y has only one class")
        return X, (y == self.classes_[1]).astype(np.int64)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        check_is_fitted(self, "classes_")
        X = validate_data(self, X, dtype=np.float64, reset=False)
        positive = np.clip(self._positive_scores(X), 0.0, 1.0)
        return np.column_stack([1.0 - positive, positive])

    def decision_scores(self, X: np.ndarray) -> np.ndarray:
        """Scores that rank the positive class (used for ROC-AUC)."""
        return self.predict_proba(X)[:, 1]

    def predict(self, X: np.ndarray) -> np.ndarray:
        positive = self.predict_proba(X)[:, 1] > 0.5
        return self.classes_[positive.astype(int)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        return tags

    def _fit_scaler(self, X: np.ndarray, enabled: bool) -> None:
        """Standardize on the rows being fit (a fold's fitting rows during selection)."""
        self.scaler_ = StandardScaler().fit(X) if enabled else None

    def _scaled(self, X: np.ndarray) -> np.ndarray:
        return self.scaler_.transform(X) if self.scaler_ is not None else X

    def _fit(self, X: np.ndarray, y: np.ndarray) -> None:
        raise NotImplementedError

    def _positive_scores(self, X: np.ndarray) -> np.ndarray:
        raise NotImplementedError


@dataclass(frozen=True)
class Family:
    """A probe family: its estimator and the protocol's candidates for a training set.

    ``candidates(n_fit, n_features)`` gets the smallest number of rows any fit sees (a fold's
    fitting part, or the whole training set when there is no search). ``refit`` holds settings
    of the final fit alone (not recorded as parameters: e.g. the original's row shuffle).
    """

    name: str
    build: type[BinaryProbe]
    candidates: Callable[[int, int], list[Params]]
    defaults: Params = field(default_factory=dict)
    refit: Params = field(default_factory=dict)

    def estimator(self, params: Params) -> BinaryProbe:
        return self.build(**params)


def log2_grid(maximum: int, points: int) -> list[int]:
    """Unique integers spaced evenly on a log2 scale from 1 to ``maximum``."""
    if maximum < 1:
        return [1]
    values = np.logspace(0, np.log2(maximum), num=points, base=2)
    return sorted({round(v) for v in values})


def sample_configs(space: dict[str, list[Any]], n_configs: int, seed: int) -> list[Params]:
    """A seeded random search: ``n_configs`` draws, each key sampled independently."""
    rng = np.random.default_rng(seed)
    configs = []
    for _ in range(n_configs):
        config = {key: values[int(rng.integers(len(values)))] for key, values in space.items()}
        configs.append(config)
    return configs
