"""Hyper-parameter selection by training size, then refit.

    n <= 3       no search: the family's defaults
    4 .. 12      leave-pair-out: each fold holds out one example of each class
    13 .. 127    stratified k-fold (6 folds)
    >= 128       a holdout of 20% of the training rows, capped at 100

Every fold keeps both classes in its training part and in its validation part. Candidates are
ranked by mean validation ROC-AUC; the first best in grid order wins; the winner is refit on
all training rows. Validation never sees a test row.
"""

from __future__ import annotations

import itertools
import warnings
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy.integrate import trapezoid
from sklearn.model_selection import StratifiedKFold

from benchmark.protocols.protocol import SelectionRules

Strategy = Literal["none", "leave_pair_out", "kfold", "holdout"]


@dataclass(frozen=True)
class Fold:
    """Positions (into the cell's training rows) used to fit and to validate."""

    fit: np.ndarray
    val: np.ndarray


@dataclass(frozen=True)
class ValidationPlan:
    strategy: Strategy
    folds: tuple[Fold, ...]

    @property
    def searches(self) -> bool:
        return bool(self.folds)


def plan_validation(labels: np.ndarray, rules: SelectionRules, seed: int) -> ValidationPlan:
    if rules.folds == "original":
        return original_plan(labels, rules, seed)
    n = len(labels)
    if n <= rules.no_search_max or min(labels.sum(), n - labels.sum()) < 2:
        return ValidationPlan("none", ())
    if n <= rules.leave_pair_out_max:
        return _usable("leave_pair_out", leave_pair_out(labels), labels)
    if n <= rules.kfold_max:
        return _usable("kfold", stratified_kfold(labels, rules.kfold_splits, seed), labels)
    return _usable("holdout", (holdout(labels, rules, seed),), labels)


def original_plan(labels: np.ndarray, rules: SelectionRules, seed: int) -> ValidationPlan:
    """sae-probes 0.4.2's folds (``get_cv`` and ``get_splits``): LeavePOut(2) in its order and
    StratifiedKFold(6) whatever the classes' sizes, keeping the folds whose validation rows
    hold both classes (a fold whose fitting rows hold one is kept: the search scores it 0.5);
    the holdout is the tail of the rows in the order given. Where its holdout held one class the
    original failed (``roc_auc_score`` raises); here the cell is not searched."""
    n = len(labels)
    if n <= rules.no_search_max:
        return ValidationPlan("none", ())
    if n <= rules.leave_pair_out_max:
        pairs = itertools.combinations(range(n), 2)
        folds = tuple(Fold(np.setdiff1d(np.arange(n), pair), np.array(pair)) for pair in pairs)
        return _usable("leave_pair_out", folds, labels, fit_classes=False)
    if n <= rules.kfold_max:
        splitter = StratifiedKFold(n_splits=rules.kfold_splits, shuffle=True, random_state=seed)
        with warnings.catch_warnings():  # a class smaller than the folds: as the original
            warnings.simplefilter("ignore", UserWarning)
            folds = tuple(Fold(fit, val) for fit, val in splitter.split(np.zeros(n), labels))
        return _usable("kfold", folds, labels, fit_classes=False)
    size = min(int(rules.holdout_fraction * n), rules.holdout_max)
    fold = Fold(fit=np.arange(n - size), val=np.arange(n - size, n))
    return _usable("holdout", (fold,), labels, fit_classes=False)


def one_class(labels: np.ndarray) -> bool:
    """A fold's fitting labels of one class: the original scored such a fold 0.5 (only its
    folds, ``SelectionRules.folds: original``, keep them)."""
    return bool(np.all(labels == labels[0]))


SINGLE_CLASS_FOLD_AUC = 0.5


def leave_pair_out(labels: np.ndarray) -> tuple[Fold, ...]:
    everyone = np.arange(len(labels))
    pairs = itertools.product(np.flatnonzero(labels == 1), np.flatnonzero(labels == 0))
    return tuple(
        Fold(fit=np.setdiff1d(everyone, [pos, neg]), val=np.array([pos, neg])) for pos, neg in pairs
    )


def stratified_kfold(labels: np.ndarray, n_splits: int, seed: int) -> tuple[Fold, ...]:
    n_splits = min(n_splits, int(min(labels.sum(), len(labels) - labels.sum())))
    splitter = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    return tuple(Fold(fit, val) for fit, val in splitter.split(np.zeros(len(labels)), labels))


def holdout(labels: np.ndarray, rules: SelectionRules, seed: int) -> Fold:
    n = len(labels)
    size = min(int(rules.holdout_fraction * n), rules.holdout_max)
    order = np.random.default_rng(seed).permutation(n)
    if rules.holdout == "tail":
        val = np.sort(order[n - size :])
    else:
        n_pos = int(labels.sum())
        val_pos = min(max(round(size * n_pos / n), 1), n_pos - 1)
        positives = order[labels[order] == 1][:val_pos]
        negatives = order[labels[order] == 0][: size - val_pos]
        val = np.sort(np.concatenate([positives, negatives]))
    return Fold(fit=np.setdiff1d(np.arange(n), val), val=val)


def _usable(
    strategy: Strategy, folds: tuple[Fold, ...], labels: np.ndarray, fit_classes: bool = True
) -> ValidationPlan:
    """The folds whose validation rows hold both classes (and, with ``fit_classes``, whose
    fitting rows do too); no search when none is left."""
    kept = tuple(
        fold
        for fold in folds
        if len(np.unique(labels[fold.val])) == 2
        and (not fit_classes or len(np.unique(labels[fold.fit])) == 2)
    )
    return ValidationPlan(strategy, kept) if kept else ValidationPlan("none", ())


def fold_auc(labels: np.ndarray, scores: np.ndarray) -> float:
    """ROC-AUC of one validation fold (0/1 labels of both classes, finite scores): the same
    arithmetic as ``roc_auc_score`` (its ROC curve with intermediate points dropped, then the
    trapezoidal rule), bit for bit, without its per-call input checks. Selection picks the
    first best mean, so even last-bit differences between equal AUCs would change choices."""
    order = np.argsort(-scores, kind="stable")
    ranked, positives = scores[order], labels[order].astype(np.float64)
    thresholds = np.concatenate([np.nonzero(np.diff(ranked))[0], [len(ranked) - 1]])
    tps = np.cumsum(positives, dtype=np.float64)[thresholds]
    fps = 1 + thresholds.astype(np.float64) - tps
    if len(fps) > 2:
        corners = np.logical_or(np.diff(fps, 2), np.diff(tps, 2))
        keep = np.flatnonzero(np.concatenate([[True], corners, [True]]))
        fps, tps = fps[keep], tps[keep]
    fpr = np.concatenate([[0.0], fps]) / fps[-1]
    tpr = np.concatenate([[0.0], tps]) / tps[-1]
    return float(trapezoid(tpr, fpr))


@dataclass(frozen=True)
class Selection:
    """The winning candidate and the mean validation AUC of every candidate (NaN: no search)."""

    best: int
    mean_val_auc: np.ndarray

    @property
    def val_auc(self) -> float:
        return float(self.mean_val_auc[self.best])


def select_best(val_aucs: np.ndarray) -> Selection:
    """``val_aucs`` is [candidates, folds]; the first candidate with the best mean wins."""
    means = val_aucs.mean(axis=1)
    return Selection(best=int(np.argmax(means)), mean_val_auc=means)


def no_search() -> Selection:
    return Selection(best=0, mean_val_auc=np.array([np.nan]))
