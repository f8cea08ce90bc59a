"""Validation AUCs of logistic probes from batched solves: every (candidate C, fold) of a
problem, and many problems at once (the k values of a cell, the cells of a regime).

A problem is one family's search on one cell: a design matrix per fold (all training rows in
the fold's coordinates), the training labels, the folds and the C grid. ``solve_problems`` pads
the (problem, C, fold) solves of each size class to a common row and feature count (padded
rows are masked out, padded features are zero and stay at zero weight) and solves them
together, in chunks that keep each batch under a memory budget.

Folds are standardized on their own fitting rows, as the scikit-learn estimators do. When a
fold has fewer fitting rows than features, the L2 optimum lies in the span of its
(standardized) fitting rows (representer theorem), so the problem is solved exactly in an
orthonormal basis of that span: leave-pair-out and small k-fold cells shrink from d features to
at most n.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from benchmark.probes.batched_logistic import solve_l1, solve_l2
from benchmark.selection import ValidationPlan, fold_auc

DTYPE = torch.float64
MAX_ELEMENTS = 40_000_000  # float64 values in one batch's design tensor: 320 MB
SOLVERS = {"l1": solve_l1, "l2": solve_l2}


@dataclass(frozen=True, eq=False)
class ValidationProblem:
    """One family's search on one cell: ``designs[f]`` holds all training rows for fold f."""

    designs: Sequence[np.ndarray]
    y: np.ndarray
    plan: ValidationPlan
    Cs: Sequence[float]
    penalty: str

    def __post_init__(self) -> None:
        if len(self.designs) != len(self.plan.folds):
            raise ValueError("one design per fold")
        if self.penalty not in SOLVERS:
            raise ValueError(f"unknown penalty {self.penalty!r}")


@dataclass(frozen=True)
class _Part:
    """One (problem, C, fold) solve."""

    problem: int
    candidate: int
    fold: int
    rows: int
    features: int


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


def solve_problems(
    problems: Sequence[ValidationProblem], device: str = "cpu", max_elements: int = MAX_ELEMENTS
) -> list[np.ndarray]:
    """Validation AUCs [len(Cs), folds] of every problem, from batched solves (one per penalty
    and size class, split further where a batch would exceed ``max_elements``)."""
    aucs = [np.empty((len(p.Cs), len(p.plan.folds))) for p in problems]
    for penalty in sorted({p.penalty for p in problems}):
        parts = [part for part in _parts(problems) if problems[part.problem].penalty == penalty]
        for chunk in _chunks(parts, max_elements):
            _solve_chunk(problems, chunk, penalty, device, aucs)
    return aucs


def _parts(problems: Sequence[ValidationProblem]) -> Iterator[_Part]:
    for index, problem in enumerate(problems):
        for candidate in range(len(problem.Cs)):
            for fold, design in enumerate(problem.designs):
                yield _Part(index, candidate, fold, design.shape[0], design.shape[1])


def _chunks(parts: list[_Part], max_elements: int) -> Iterator[list[_Part]]:
    """Parts grouped by size class (rows and features each rounded up to a power of two), so
    padding at most doubles either dimension, and split so that each padded batch stays
    within ``max_elements``."""
    chunk: list[_Part] = []
    rows = features = 0
    for part in sorted(parts, key=lambda p: (_size_class(p), p.rows, p.features)):
        grown = (len(chunk) + 1) * max(rows, part.rows) * max(features, part.features)
        if chunk and (grown > max_elements or _size_class(part) != _size_class(chunk[0])):
            yield chunk
            chunk, rows, features = [], 0, 0
        chunk.append(part)
        rows, features = max(rows, part.rows), max(features, part.features)
    if chunk:
        yield chunk


def _size_class(part: _Part) -> tuple[int, int]:
    return (part.rows - 1).bit_length(), (part.features - 1).bit_length()


def _solve_chunk(
    problems: Sequence[ValidationProblem], chunk: list[_Part], penalty: str, device: str,
    aucs: list[np.ndarray],
) -> None:  # fmt: skip
    rows = max(part.rows for part in chunk)
    features = max(part.features for part in chunk)
    X = np.zeros((len(chunk), rows, features))
    y = np.zeros((len(chunk), rows))
    mask = np.zeros((len(chunk), rows))
    C = np.empty(len(chunk))
    for b, part in enumerate(chunk):
        problem = problems[part.problem]
        X[b, : part.rows, : part.features] = problem.designs[part.fold]
        y[b, : part.rows] = problem.y
        mask[b, problem.plan.folds[part.fold].fit] = 1.0
        C[b] = problem.Cs[part.candidate]
    design = torch.from_numpy(X).to(DTYPE).to(device)
    solution = SOLVERS[penalty](
        design,
        torch.from_numpy(y).to(DTYPE).to(device),
        torch.from_numpy(mask).to(DTYPE).to(device),
        torch.from_numpy(C).to(DTYPE).to(device),
    )
    logits = solution.decision(design).cpu().numpy()
    for b, part in enumerate(chunk):
        problem = problems[part.problem]
        val = problem.plan.folds[part.fold].val
        aucs[part.problem][part.candidate, part.fold] = fold_auc(problem.y[val], logits[b, val])


def logistic_problem(
    X: np.ndarray, y: np.ndarray, plan: ValidationPlan, Cs: Sequence[float], standardize: bool
) -> ValidationProblem:
    """L2 logistic regression on (standardized) inputs, reduced to each fold's row span."""
    designs = [fold_design(X, fold.fit, standardize, reduce=True) for fold in plan.folds]
    return ValidationProblem(designs, y, plan, Cs, "l2")


def l1_problem(
    Z: np.ndarray, y: np.ndarray, plan: ValidationPlan, Cs: Sequence[float],
    features: Sequence[np.ndarray],
) -> ValidationProblem:  # fmt: skip
    """L1 logistic regression on raw features, one feature set per fold (e.g. the fold's own
    top-k latents)."""
    return ValidationProblem([Z[:, chosen] for chosen in features], y, plan, Cs, "l1")


def logistic_aucs(
    X: np.ndarray, y: np.ndarray, plan: ValidationPlan, Cs: Sequence[float],
    standardize: bool, device: str = "cpu",
) -> np.ndarray:  # fmt: skip
    """Validation AUC of L2 logistic regression for every C and fold: [len(Cs), folds]."""
    return solve_problems([logistic_problem(X, y, plan, Cs, standardize)], device)[0]


def l1_aucs(
    Z: np.ndarray, y: np.ndarray, plan: ValidationPlan, Cs: Sequence[float],
    features: Sequence[np.ndarray], device: str = "cpu",
) -> np.ndarray:  # fmt: skip
    """Validation AUC of L1 logistic regression for every C and fold: [len(Cs), folds]."""
    return solve_problems([l1_problem(Z, y, plan, Cs, features)], device)[0]
