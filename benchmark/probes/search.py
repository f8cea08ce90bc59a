"""Select each probe family's hyper-parameters on validation folds, refit, score the test rows.

There is one engine: scikit-learn's (and XGBoost's) estimators, with the work a fold's
candidates share done once (``BinaryProbe.candidate_scores``). A batched torch engine (every C,
fold and cell of a regime in one solve) was retired: on the reference TopK SAE's arm it took
10.2x the CPU of the lean SAE search through 5_hist_fig_ismale's last-token regimes (473.9 s
against 46.2 s) and chose another C for 19 of 112 probes (README, "One engine")."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from sklearn.metrics import accuracy_score, roc_auc_score

from benchmark.probes.base import Family, Params
from benchmark.selection import (
    SINGLE_CLASS_FOLD_AUC,
    Fold,
    ValidationPlan,
    fold_auc,
    one_class,
    select_best,
)


@dataclass(frozen=True, eq=False)
class ProbeOutcome:
    """A method's result on a cell. ``val_auc`` is NaN when the cell is too small to search."""

    method: str
    params: Params
    val_auc: float
    test_scores: np.ndarray
    test_auc: float
    test_accuracy: float
    iterations: int | None = None  # the final refit's solver iterations, where it iterates


def outcome(
    method: str, params: Params, val_auc: float, scores: np.ndarray, y_test: np.ndarray,
    iterations: int | None = None,
) -> ProbeOutcome:  # fmt: skip
    return ProbeOutcome(
        method=method,
        params=params,
        val_auc=val_auc,
        test_scores=scores.astype(np.float32),
        test_auc=float(roc_auc_score(y_test, scores)),
        test_accuracy=float(accuracy_score(y_test, scores > 0.5)),
        iterations=iterations,
    )


def fold_aucs(
    family: Family, candidates: list[Params], X: np.ndarray, y: np.ndarray, fold: Fold
) -> list[float]:
    """The validation AUC of every candidate on one fold."""
    if one_class(y[fold.fit]):
        return [SINGLE_CLASS_FOLD_AUC] * len(candidates)
    scores = family.build.candidate_scores(candidates, X[fold.fit], y[fold.fit], X[fold.val])
    return [fold_auc(y[fold.val], candidate) for candidate in scores]


@dataclass(frozen=True, eq=False)
class Search:
    """One family's hyper-parameter search on one cell's training rows."""

    family: Family
    X: np.ndarray
    y: np.ndarray
    plan: ValidationPlan

    @functools.cached_property
    def candidates(self) -> list[Params]:
        n_fit = min(len(fold.fit) for fold in self.plan.folds)
        return self.family.candidates(n_fit, self.X.shape[1])

    def validation_aucs(self) -> np.ndarray:
        """[candidates, folds]: every candidate fit on each fold."""
        per_fold = [
            fold_aucs(self.family, self.candidates, self.X, self.y, fold)
            for fold in self.plan.folds
        ]
        # C order, as select_best's mean over folds has always summed it (numpy's pairwise
        # sum rounds differently over a strided axis)
        return np.ascontiguousarray(np.array(per_fold).T)

    def choose(self) -> tuple[Params, float]:
        """The candidate with the best mean validation AUC (the first of equals), or the
        family's defaults when the cell is too small to search (validation AUC NaN)."""
        if not self.plan.searches:
            return self.family.defaults, float("nan")
        selection = select_best(self.validation_aucs())
        return self.candidates[selection.best], selection.val_auc


def choose_params(
    family: Family, X: np.ndarray, y: np.ndarray, plan: ValidationPlan
) -> tuple[Params, float]:
    """The best candidate of one family on one cell (see ``Search.choose``)."""
    return Search(family, X, y, plan).choose()


def select_and_score(
    family: Family,
    X_train: np.ndarray,
    y_train: np.ndarray,
    X_test: np.ndarray,
    y_test: np.ndarray,
    plan: ValidationPlan,
) -> ProbeOutcome:
    """Select on the plan's folds, refit on all training rows, score the test rows."""
    chosen = Search(family, X_train, y_train, plan).choose()
    return refit_and_score(family, chosen, X_train, y_train, X_test, y_test)


def refit_and_score(
    family: Family,
    chosen: tuple[Params, float],
    X_train: np.ndarray,
    y_train: np.ndarray,
    X_test: np.ndarray,
    y_test: np.ndarray,
) -> ProbeOutcome:
    """Refit the chosen candidate on all training rows and score the test rows."""
    params, val_auc = chosen
    model = family.estimator({**params, **family.refit}).fit(X_train, y_train)
    iterations = getattr(model, "n_iter_", None)
    scores = model.decision_scores(X_test)
    return outcome(family.name, params, val_auc, scores, y_test, iterations)
