"""Validation AUCs of logistic probes for every (candidate C, fold) of a cell in one batched
solve. Folds are standardized on their own fitting rows, as the scikit-learn estimators do.

When a fold has fewer fitting rows than features, the L2 optimum lies in the span of its
(standardized) fitting rows (representer theorem), so the problem is solved exactly in an
orthonormal basis of that span: leave-pair-out and small k-fold cells shrink from d features to
at most n.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from benchmark.probes.batched_logistic import Solution, solve_l1, solve_l2
from benchmark.selection import ValidationPlan, fold_auc

DTYPE = torch.float64


def fold_design(X: np.ndarray, fit: np.ndarray, standardize: bool, reduce: bool) -> np.ndarray:
    """All training rows in the fold's coordinates: standardized on the fit rows, then
    projected on an orthonormal basis of the fit rows' span when that is smaller."""
    if standardize:
        mean, scale = X[fit].mean(axis=0), X[fit].std(axis=0)
        X = (X - mean) / np.where(scale > 0, scale, 1.0)
    if reduce and len(fit) < X.shape[1]:
        basis, _ = np.linalg.qr(X[fit].T)  # [d, n_fit], columns span the fit rows
        X = X @ basis
    return X


def stack(designs: Sequence[np.ndarray]) -> torch.Tensor:
    width = max(design.shape[1] for design in designs)
    padded = [np.pad(design, ((0, 0), (0, width - design.shape[1]))) for design in designs]
    return torch.from_numpy(np.stack(padded)).to(DTYPE)


def fold_masks(plan: ValidationPlan, n: int) -> torch.Tensor:
    masks = np.zeros((len(plan.folds), n))
    for index, fold in enumerate(plan.folds):
        masks[index, fold.fit] = 1.0
    return torch.from_numpy(masks).to(DTYPE)


def validation_aucs(
    solution: Solution,
    designs: torch.Tensor,
    y: np.ndarray,
    plan: ValidationPlan,
    n_candidates: int,
) -> np.ndarray:
    """[candidates, folds] AUCs; problems are ordered candidate-major."""
    logits = solution.decision(designs).cpu().numpy()
    n_folds = len(plan.folds)
    aucs = np.empty((n_candidates, n_folds))
    for c in range(n_candidates):
        for f, fold in enumerate(plan.folds):
            aucs[c, f] = fold_auc(y[fold.val], logits[c * n_folds + f, fold.val])
    return aucs


def design_aucs(
    designs: Sequence[np.ndarray], y: np.ndarray, plan: ValidationPlan, Cs: Sequence[float],
    penalty: str, device: str = "cpu",
) -> np.ndarray:  # fmt: skip
    """Validation AUCs [len(Cs), folds] with one design matrix (all training rows) per fold."""
    solve = {"l1": solve_l1, "l2": solve_l2}[penalty]
    n_folds = len(plan.folds)
    batch = stack(designs).repeat(len(Cs), 1, 1).to(device)
    solution = solve(
        batch,
        torch.from_numpy(y).to(DTYPE).expand(len(batch), -1).to(device),
        fold_masks(plan, len(y)).repeat(len(Cs), 1).to(device),
        torch.tensor(np.repeat(Cs, n_folds), dtype=DTYPE, device=device),
    )
    return validation_aucs(solution, batch, y, plan, len(Cs))


def logistic_aucs(
    X: np.ndarray, y: np.ndarray, plan: ValidationPlan, Cs: Sequence[float],
    standardize: bool, device: str = "cpu",
) -> np.ndarray:  # fmt: skip
    """Validation AUC of L2 logistic regression for every C and fold: [len(Cs), folds]."""
    designs = [fold_design(X, fold.fit, standardize, reduce=True) for fold in plan.folds]
    return design_aucs(designs, y, plan, Cs, "l2", device)


def l1_aucs(
    Z: np.ndarray, y: np.ndarray, plan: ValidationPlan, Cs: Sequence[float],
    features: Sequence[np.ndarray], device: str = "cpu",
) -> np.ndarray:  # fmt: skip
    """Validation AUC of L1 logistic regression on raw features, one feature set per fold
    (e.g. the fold's own top-k latents): [len(Cs), folds]."""
    return design_aucs([Z[:, chosen] for chosen in features], y, plan, Cs, "l1", device)
