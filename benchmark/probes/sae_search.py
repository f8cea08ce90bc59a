"""The SAE probe's search on one cell, lean and width-independent.

Latents stay sparse (CSR). Each validation fold, and the final refit, ranks latents once on its
fitting rows (``top_latents``) and densifies only the top max-k columns; every k and every C is
then fitted on slices of that small block. Each fit calls liblinear directly (``l1_solver``),
and validation folds are scored by ``fold_auc`` (roc_auc_score's arithmetic, without checks).

The inputs each solver call sees are the ones ``SAEProbe.fit`` builds for the same candidate
and fold (same columns, same order, same float64 values, same scaling), so the choices and
scores are the same as one ``SAEProbe`` per candidate and fold: tested against it, and against
the shipped reference records.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from scipy import sparse

from benchmark.probes.l1_solver import fit_l1
from benchmark.probes.sae_probe import (
    SAEProbe,
    latent_rms,
    sae_families,
    sae_family,
    top_latents,
)
from benchmark.probes.search import ProbeOutcome, outcome, select_and_score
from benchmark.protocols.protocol import SAEProbeRules
from benchmark.selection import Fold, ValidationPlan, fold_auc, select_best


@dataclass(frozen=True)
class Design:
    """The top-k latents of some rows, divided by their RMS on the fitting rows when scaled."""

    divisors: np.ndarray

    @classmethod
    def of(cls, kept: np.ndarray, scale: bool) -> Design:
        return cls(latent_rms(kept) if scale else np.ones(kept.shape[1]))

    def apply(self, kept: np.ndarray) -> np.ndarray:
        return kept / self.divisors


def first_columns(block: np.ndarray, k: int) -> np.ndarray:
    """The first k columns, column-major, as ``SAEProbe`` holds its kept latents (column
    indexing returns them so): numpy's reductions (the RMS) and the scoring product round
    differently by layout, and the probe's numbers must be bit-identical."""
    return np.asfortranarray(block[:, :k])


def dense_columns(latents: sparse.csr_matrix, columns: np.ndarray) -> np.ndarray:
    return latents[:, columns].toarray().astype(np.float64)


@dataclass(frozen=True)
class SAEProbeSearch:
    """Every k of the SAE probe on one cell: select C on the plan's folds, refit, score."""

    rules: SAEProbeRules
    ks: Sequence[int]

    def run(
        self,
        Z_train: sparse.csr_matrix,
        y_train: np.ndarray,
        Z_test: sparse.csr_matrix,
        y_test: np.ndarray,
        plan: ValidationPlan,
    ) -> list[ProbeOutcome]:
        rules = self.rules.for_rows(len(y_train))
        if rules is not self.rules:  # a small cell with rules of its own (v3): run under them
            return replace(self, rules=rules).run(Z_train, y_train, Z_test, y_test, plan)
        y = y_train.astype(np.int64)
        fixed = None if self.rules.rank_within_folds else self.top(Z_train, y)
        aucs = self.validation_aucs(Z_train, y, plan, fixed) if plan.searches else None
        top = fixed if fixed is not None else self.top(Z_train, y)
        train, test = dense_columns(Z_train, top), dense_columns(Z_test, top)
        return [self.refit(k, train, y, test, y_test, aucs) for k in self.ks]

    def top(self, Z: sparse.csr_matrix, y: np.ndarray) -> np.ndarray:
        return top_latents(Z, y, max(self.ks))

    def validation_aucs(
        self, Z: sparse.csr_matrix, y: np.ndarray, plan: ValidationPlan, fixed: np.ndarray | None
    ) -> dict[int, np.ndarray]:
        """k -> [C, folds] validation AUCs, ranking once per fold."""
        aucs = {k: np.empty((len(self.rules.C), len(plan.folds))) for k in self.ks}
        for f, fold in enumerate(plan.folds):
            top = fixed if fixed is not None else self.top(Z[fold.fit], y[fold.fit])
            for k, column in self.fold_aucs(Z, y, fold, top).items():
                aucs[k][:, f] = column
        return aucs

    def fold_aucs(
        self, Z: sparse.csr_matrix, y: np.ndarray, fold: Fold, top: np.ndarray
    ) -> dict[int, np.ndarray]:
        fit, val = dense_columns(Z[fold.fit], top), dense_columns(Z[fold.val], top)
        found = {}
        for k in self.ks:
            kept_fit, kept_val = first_columns(fit, k), first_columns(val, k)
            design = Design.of(kept_fit, self.rules.scale == "rms")
            X_fit, X_val = design.apply(kept_fit), design.apply(kept_val)
            fits = (fit_l1(X_fit, y[fold.fit], C, self.rules.max_iter) for C in self.rules.C)
            found[k] = np.array([fold_auc(y[fold.val], f.positive_scores(X_val)) for f in fits])
        return found

    def refit(
        self,
        k: int,
        train: np.ndarray,
        y: np.ndarray,
        test: np.ndarray,
        y_test: np.ndarray,
        aucs: dict[int, np.ndarray] | None,
    ) -> ProbeOutcome:
        params, val_auc = sae_family(self.rules, k).defaults, float("nan")
        if aucs is not None:
            selection = select_best(aucs[k])
            params = {**params, "C": self.rules.C[selection.best]}
            val_auc = selection.val_auc
        kept_train, kept_test = first_columns(train, k), first_columns(test, k)
        design = Design.of(kept_train, self.rules.scale == "rms")
        C = SAEProbe(**params).C  # the estimator's default when the cell is too small to search
        model = fit_l1(design.apply(kept_train), y, C, self.rules.max_iter)
        scores = model.positive_scores(design.apply(kept_test))
        return outcome(f"sae_k{k}", params, val_auc, scores, y_test, model.n_iter)


def per_candidate_outcomes(
    rules: SAEProbeRules,
    Z_train: np.ndarray,
    y_train: np.ndarray,
    Z_test: np.ndarray,
    y_test: np.ndarray,
    plan: ValidationPlan,
    ks: Sequence[int],
) -> list[ProbeOutcome]:
    """The path the lean search replaces and must equal: one ``SAEProbe`` per candidate and
    fold on dense float64 latents (kept for the tests and ``benchmarks/sae_arm.py``)."""
    families = sae_families(rules, ks, Z_train, y_train)
    return [select_and_score(f, Z_train, y_train, Z_test, y_test, plan) for f in families]
