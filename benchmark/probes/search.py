"""Run one probe family on one cell: select on validation folds, refit, score the test rows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from sklearn.metrics import accuracy_score, roc_auc_score

from benchmark.probes.base import Family, Params
from benchmark.selection import Fold, ValidationPlan, fold_auc, select_best

Engine = Literal["batched", "sklearn"]
EngineChoice = Literal["auto", "batched", "sklearn"]


def resolve_engine(choice: EngineChoice, device: str) -> Engine:
    """``auto`` is scikit-learn on every device, as measured (benchmarks/probing_engines.py,
    one demo dataset through the five regimes with the reference TopK SAE): 9x faster than the
    batched engine on CPU, and the batched engine still selected a different C for 20 of 164
    probes on real SAE latents. ``batched`` stays selectable; ``device`` is kept for when a
    CUDA measurement shows it both faster and in agreement."""
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


def outcome(
    method: str, params: Params, val_auc: float, scores: np.ndarray, y_test: np.ndarray
) -> ProbeOutcome:
    return ProbeOutcome(
        method=method,
        params=params,
        val_auc=val_auc,
        test_scores=scores.astype(np.float32),
        test_auc=float(roc_auc_score(y_test, scores)),
        test_accuracy=float(accuracy_score(y_test, scores > 0.5)),
    )


def validation_auc(
    family: Family, params: Params, X: np.ndarray, y: np.ndarray, fold: Fold
) -> float:
    model = family.estimator(params).fit(X[fold.fit], y[fold.fit])
    return fold_auc(y[fold.val], model.decision_scores(X[fold.val]))


def choose_params(
    family: Family,
    X: np.ndarray,
    y: np.ndarray,
    plan: ValidationPlan,
    engine: Engine = "sklearn",
    device: str = "cpu",
) -> tuple[Params, float]:
    """The best candidate by mean validation AUC, or the defaults when there is no search.

    With the batched engine, families that have one solve every (candidate, fold) at once;
    the others (and the sklearn engine) fit one estimator per candidate and fold."""
    if not plan.searches:
        return family.defaults, float("nan")
    n_fit = min(len(fold.fit) for fold in plan.folds)
    candidates = family.candidates(n_fit, X.shape[1])
    if engine == "batched" and family.batched is not None:
        aucs = family.batched(X, y, plan, candidates, device)
    else:
        aucs = np.array(
            [[validation_auc(family, c, X, y, fold) for fold in plan.folds] for c in candidates]
        )
    selection = select_best(aucs)
    return candidates[selection.best], selection.val_auc


def run_family(
    family: Family,
    X_train: np.ndarray,
    y_train: np.ndarray,
    X_test: np.ndarray,
    y_test: np.ndarray,
    plan: ValidationPlan,
    engine: Engine = "sklearn",
    device: str = "cpu",
) -> ProbeOutcome:
    params, val_auc = choose_params(family, X_train, y_train, plan, engine, device)
    model = family.estimator(params).fit(X_train, y_train)
    return outcome(family.name, params, val_auc, model.decision_scores(X_test), y_test)
