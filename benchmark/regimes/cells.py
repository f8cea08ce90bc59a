"""Cells and their index sets, and the seeded random streams they are drawn from."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Literal

import numpy as np

from datasets_registry.rows import Split

RegimeName = Literal[
    "normal", "scarcity", "imbalance", "label_noise", "covariate_shift", "multitoken"
]
REGIMES: tuple[RegimeName, ...] = (
    "normal",
    "scarcity",
    "imbalance",
    "label_noise",
    "covariate_shift",
    "multitoken",
)


@dataclass(frozen=True)
class Cell:
    """One evaluation unit; ``level`` is the training size, fraction or flip rate (or None)."""

    dataset: str
    regime: RegimeName
    level: float | None
    seed: int

    @property
    def key(self) -> str:
        level = "-" if self.level is None else f"{self.level:g}"
        return f"{self.dataset}|{self.regime}|{level}|{self.seed}"


@dataclass(frozen=True, eq=False)
class CellSplit:
    """Row indices of a cell. ``train_labels`` are what probes see (noisy under label noise);
    test rows index the main data, or the OOD data when ``test_split`` is ``ood``."""

    cell: Cell
    train: np.ndarray
    train_labels: np.ndarray
    test: np.ndarray
    test_labels: np.ndarray
    test_split: Split = "main"

    def __post_init__(self) -> None:
        if len(self.train) != len(self.train_labels) or len(self.test) != len(self.test_labels):
            raise ValueError("one label per index")
        if self.test_split == "main" and np.intersect1d(self.train, self.test).size:
            raise ValueError(f"{self.cell.key}: a test row is also a training row")


def cell_rng(seed: int, *parts: object) -> np.random.Generator:
    """An independent, reproducible stream for (seed, dataset, regime, level, ...)."""
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return np.random.default_rng([seed, int.from_bytes(digest[:8], "little")])


@dataclass(frozen=True)
class ClassPools:
    """Row indices of each class in a seeded random order."""

    positives: np.ndarray
    negatives: np.ndarray

    @classmethod
    def shuffled(cls, labels: np.ndarray, rng: np.random.Generator) -> ClassPools:
        return cls(
            positives=rng.permutation(np.flatnonzero(labels == 1)),
            negatives=rng.permutation(np.flatnonzero(labels == 0)),
        )

    def take(self, n_pos: int, n_neg: int, skip_pos: int = 0, skip_neg: int = 0) -> np.ndarray:
        if skip_pos + n_pos > len(self.positives) or skip_neg + n_neg > len(self.negatives):
            raise ValueError("not enough rows of one class")
        pos = self.positives[skip_pos : skip_pos + n_pos]
        neg = self.negatives[skip_neg : skip_neg + n_neg]
        return np.sort(np.concatenate([pos, neg]))
