"""Select each probe family's hyper-parameters on validation folds (one family on one cell, or
many families and cells at once with the batched engine), refit, score the test rows."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from sklearn.metrics import accuracy_score, roc_auc_score

from benchmark.probes.base import Family, Params
from benchmark.probes.batched_search import ValidationProblem, solve_problems
from benchmark.selection import Fold, ValidationPlan, fold_auc, select_best

Engine = Literal["batched", "sklearn"]
EngineChoice = Literal["auto", "batched", "sklearn"]


def resolve_engine(choice: EngineChoice, device: str) -> Engine:
    """``auto`` is scikit-learn on every device, as measured (benchmarks/probing_engines.py,
    one demo dataset through the five last-token regimes with the reference TopK SAE, 2 CPU
    cores): 5.0x faster than one batched solve per cell and 5.5x faster than one per regime.
    ``batched`` stays selectable; ``device`` is kept for when a CUDA measurement shows the
    batched engine faster."""
    del device
    return "sklearn" if choice == "auto" else choice


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


def validation_auc(
    family: Family, params: Params, X: np.ndarray, y: np.ndarray, fold: Fold
) -> float:
    model = family.estimator(params).fit(X[fold.fit], y[fold.fit])
    return fold_auc(y[fold.val], model.decision_scores(X[fold.val]))


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

    def problem(self) -> ValidationProblem:
        """The search as one problem for the batched engine."""
        if self.family.batched is None:
            raise ValueError(f"{self.family.name} has no batched form")
        return self.family.batched(self.X, self.y, self.plan, self.candidates)

    def sklearn_aucs(self) -> np.ndarray:
        """[candidates, folds]: one estimator per candidate and fold."""
        return np.array(
            [
                [validation_auc(self.family, c, self.X, self.y, fold) for fold in self.plan.folds]
                for c in self.candidates
            ]
        )


def choose_all(
    searches: Sequence[Search], engine: Engine = "sklearn", device: str = "cpu"
) -> list[tuple[Params, float]]:
    """The best candidate of each search by mean validation AUC, or the defaults when there is
    no search. With the batched engine, the searches of every family that has a batched form
    (e.g. all k values of a cell, or all cells of a regime) are solved together."""
    batched = [
        i
        for i, s in enumerate(searches)
        if engine == "batched" and s.family.batched is not None and s.plan.searches
    ]
    problems = [searches[i].problem() for i in batched]
    aucs = dict(zip(batched, solve_problems(problems, device), strict=True))
    chosen = []
    for index, search in enumerate(searches):
        if not search.plan.searches:
            chosen.append((search.family.defaults, float("nan")))
            continue
        selection = select_best(aucs[index] if index in aucs else search.sklearn_aucs())
        chosen.append((search.candidates[selection.best], selection.val_auc))
    return chosen


def choose_params(
    family: Family,
    X: np.ndarray,
    y: np.ndarray,
    plan: ValidationPlan,
    engine: Engine = "sklearn",
    device: str = "cpu",
) -> tuple[Params, float]:
    """The best candidate of one family on one cell (see ``choose_all``)."""
    return choose_all([Search(family, X, y, plan)], engine, device)[0]


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
    model = family.estimator(params).fit(X_train, y_train)
    iterations = getattr(model, "n_iter_", None)
    scores = model.decision_scores(X_test)
    return outcome(family.name, params, val_auc, scores, y_test, iterations)
