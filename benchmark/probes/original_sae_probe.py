"""The SAE probe as sae-probes 0.4.2 fits it (``sae_probe.solver: saga``, the ``paper``
protocol), for row-for-row reproduction of the original study:

- latents are ranked once on all training rows, in float32 torch arithmetic: each latent divided
  by its mean absolute non-zero value (+1e-6), then ``torch.argsort`` of |mean(pos) - mean(neg)|
  descending (not stable: ties fall as torch orders them);
- every k and C is an L1 logistic regression by scikit-learn's ``saga`` (``random_state`` = the
  cell's seed, tolerance 1e-4) on the float32 latents in float64, as scikit-learn converts the
  original's torch tensors, each validation fold scored by ``roc_auc_score``, a fold whose
  fitting rows hold one class scored 0.5;
- the winner is refit on the training rows shuffled by ``RandomState(seed).permutation``.

The lean search (``sae_search``) is the benchmark's own probe; this one trades its speed and
scale-invariance for the original's exact arithmetic. It holds the cell's training latents
dense (rows x width float32), as the original did.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from scipy import sparse
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from benchmark.probes.sae_probe import sae_family
from benchmark.probes.search import ProbeOutcome, outcome
from benchmark.protocols.protocol import SAEProbeRules
from benchmark.selection import (
    SINGLE_CLASS_FOLD_AUC,
    Fold,
    ValidationPlan,
    one_class,
    select_best,
)

EPSILON = 1e-6


def original_ranking(latents: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Latent indices as the original orders them (float32 torch, unstable descending sort)."""
    X = torch.from_numpy(np.ascontiguousarray(latents, dtype=np.float32))
    y = torch.from_numpy(np.asarray(labels))
    magnitude = X.abs().sum(dim=0) / ((X != 0).sum(dim=0) + EPSILON)
    normalised = X / (magnitude + EPSILON)
    difference = normalised[y == 1].mean(dim=0) - normalised[y == 0].mean(dim=0)
    return torch.argsort(torch.abs(difference), descending=True).numpy()


def saga_l1(C: float, seed: int, max_iter: int) -> LogisticRegression:
    return LogisticRegression(
        C=C, l1_ratio=1.0, solver="saga", random_state=seed, max_iter=max_iter
    )


def first(latents: np.ndarray, k: int) -> np.ndarray:
    """The first k columns, row-major, as the original's ``X[:, top_k]`` gather holds them."""
    return np.ascontiguousarray(latents[:, :k])


@dataclass(frozen=True)
class OriginalSAEProbeSearch:
    """Every k of the original's SAE probe on one cell: select C, refit, score."""

    rules: SAEProbeRules
    ks: Sequence[int]
    seed: int

    def run(
        self,
        Z_train: sparse.csr_matrix,
        y_train: np.ndarray,
        Z_test: sparse.csr_matrix,
        y_test: np.ndarray,
        plan: ValidationPlan,
    ) -> list[ProbeOutcome]:
        y = y_train.astype(np.int64)
        top = original_ranking(Z_train.toarray(), y)[: max(self.ks)]
        train = Z_train[:, top].toarray().astype(np.float64)
        test = Z_test[:, top].toarray().astype(np.float64)
        return [self.probe(k, first(train, k), y, first(test, k), y_test, plan) for k in self.ks]

    def probe(
        self,
        k: int,
        train: np.ndarray,
        y: np.ndarray,
        test: np.ndarray,
        y_test: np.ndarray,
        plan: ValidationPlan,
    ) -> ProbeOutcome:
        params, val_auc = dict(sae_family(self.rules, k).defaults), float("nan")
        C = 1.0  # LogisticRegression's default, where the cell is too small to search
        if plan.searches:
            folds = plan.folds
            aucs = np.array([[self.fold_auc(c, train, y, f) for f in folds] for c in self.rules.C])
            selection = select_best(aucs)
            C, val_auc = self.rules.C[selection.best], selection.val_auc
            params["C"] = C
        order = np.random.RandomState(self.seed).permutation(len(y))
        model = self.fit(C, train[order], y[order])
        scores = model.predict_proba(test)[:, 1]
        return outcome(f"sae_k{k}", params, val_auc, scores, y_test, int(np.max(model.n_iter_)))

    def fold_auc(self, C: float, X: np.ndarray, y: np.ndarray, fold: Fold) -> float:
        if one_class(y[fold.fit]):
            return SINGLE_CLASS_FOLD_AUC
        model = self.fit(C, X[fold.fit], y[fold.fit])
        return float(roc_auc_score(y[fold.val], model.predict_proba(X[fold.val])[:, 1]))

    def fit(self, C: float, X: np.ndarray, y: np.ndarray) -> LogisticRegression:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            return saga_l1(C, self.seed, self.rules.max_iter).fit(X, y)
