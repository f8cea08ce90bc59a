"""Cells drawn as sae-probes 0.4.2 draws them (the ``paper`` protocol's ``splits.original``).

Its every split is one call of the same sampler, ``np.random.RandomState(seed)``: choose
ceil(ratio x n_train) positives and the rest negatives, then the test rows from what is left
(ceil(ratio x n_test) positives), then permute each set. Probes see the rows in that order (its
holdout is the tail of it). Its sizes:

- normal: n_train = min(N - 100, 1024) with N every row of the file, n_test = R - n_train - 1
  with R = min(N, 5000) the rows it reads, ratio 0.5;
- scarcity: each size n <= N - 100, n_test = R - n - 1: a new test set per size;
- imbalance: from every row's labels, T = int(min(Q / (1 - f_min), P / f_max)),
  n_train = min(T - 100, 1024), n_test = max(100, T - n_train - 1), ratio = the level;
- label noise: the normal rows, int(f x n) training labels flipped by its own
  ``RandomState(seed).choice``;
- covariate shift: 1,024 training rows, ratio 0.5, from the first 1,500 rows; every OOD row tests.

A draw the original cannot make (too few rows of a class, or fewer than n_train + 100 rows read)
raised an error there; here that cell does not exist.
"""

from __future__ import annotations

import math

import numpy as np

from benchmark.protocols.protocol import OriginalDraws, Protocol
from benchmark.regimes.cells import Cell, CellSplit, RegimeName
from datasets_registry.rows import LabeledPrompts

Indices = tuple[np.ndarray, np.ndarray]


def original_draw(
    labels: np.ndarray, n_train: int, n_test: int, ratio: float, seed: int
) -> Indices:
    """(train, test) row indices, in the order of the original's sampler (ValueError where it
    raised one: a class without enough rows)."""
    rng = np.random.RandomState(seed)
    positives, negatives = np.flatnonzero(labels == 1), np.flatnonzero(labels == 0)
    train_pos_n, test_pos_n = math.ceil(ratio * n_train), math.ceil(ratio * n_test)
    train_pos = rng.choice(positives, size=train_pos_n, replace=False)
    train_neg = rng.choice(negatives, size=n_train - train_pos_n, replace=False)
    test_pos = rng.choice(np.setdiff1d(positives, train_pos), size=test_pos_n, replace=False)
    test_neg = rng.choice(
        np.setdiff1d(negatives, train_neg), size=n_test - test_pos_n, replace=False
    )
    train = rng.permutation(np.concatenate([train_pos, train_neg]))
    test = rng.permutation(np.concatenate([test_pos, test_neg]))
    return train, test


def corrupted_labels(labels: np.ndarray, fraction: float, seed: int) -> np.ndarray:
    """int(fraction x n) labels flipped, chosen by ``RandomState(seed)`` (the original's)."""
    flipped = labels.copy()
    chosen = np.random.RandomState(seed).choice(len(labels), int(len(labels) * fraction), False)
    flipped[chosen] = 1 - flipped[chosen]
    return flipped


def imbalance_sizes(
    labels: np.ndarray, fractions: list[float], min_test: int, max_train: int
) -> tuple[int, int]:
    """(n_train, n_test) of every imbalance level, from the labels of every row."""
    n_pos = int(labels.sum())
    total = int(min((len(labels) - n_pos) / (1 - min(fractions)), n_pos / max(fractions)))
    n_train = min(total - min_test, max_train)
    return n_train, max(min_test, total - n_train - 1)


def sae_fractions(fractions: list[float]) -> list[float]:
    """The levels as the original's SAE code drew them: np.linspace between the first and the
    last, unrounded (its baselines rounded them to 0.05, which the protocol lists)."""
    return np.linspace(fractions[0], fractions[-1], len(fractions)).tolist()


class OriginalSampler:
    """One dataset's draws under the original's rules."""

    def __init__(self, data: LabeledPrompts, protocol: Protocol, draws: OriginalDraws) -> None:
        self.data, self.protocol, self.draws = data, protocol, draws
        self.read = data.labels[: draws.max_rows]  # the rows the original reads

    def draw(self, n_train: int, n_test: int, ratio: float, seed: int) -> Indices | None:
        if n_train < 1 or n_train + min(self.protocol.splits.min_test, n_test) > len(self.read):
            return None
        try:
            return original_draw(self.read, n_train, n_test, ratio, seed)
        except ValueError:
            return None

    def split(
        self,
        regime: RegimeName,
        level: float | None,
        seed: int,
        n_train: int,
        n_test: int,
        ratio: float = 0.5,
    ) -> list[CellSplit]:
        drawn = self.draw(n_train, n_test, ratio, seed)
        if drawn is None:
            return []
        train, test = drawn
        labels = self.data.labels
        cell = Cell(self.data.dataset_id, regime, level, seed)
        return [CellSplit(cell, train, labels[train], test, labels[test])]

    def normal_size(self) -> tuple[int, int]:
        rules = self.protocol.splits
        n_train = min(len(self.data) - rules.min_test, rules.max_train)
        return n_train, len(self.read) - n_train - 1

    def normal(self, seed: int, regime: RegimeName = "normal") -> list[CellSplit]:
        return self.split(regime, None, seed, *self.normal_size())

    def scarcity(self, seed: int) -> list[CellSplit]:
        cells = []
        for size in self.protocol.regimes.scarcity.train_sizes:
            if size <= len(self.data) - self.protocol.splits.min_test:
                cells += self.split("scarcity", float(size), seed, size, len(self.read) - size - 1)
        return cells

    def imbalance(self, seed: int, for_sae: bool) -> list[CellSplit]:
        levels = self.protocol.regimes.imbalance.positive_fractions
        linspace = self.draws.sae_imbalance_fractions == "linspace"
        ratios = sae_fractions(levels) if for_sae and linspace else levels
        splits = self.protocol.splits
        sizes = imbalance_sizes(self.data.labels, levels, splits.min_test, splits.max_train)
        cells = []
        for level, ratio in zip(levels, ratios, strict=True):
            cells += self.split("imbalance", level, seed, *sizes, ratio=ratio)
        return cells

    def label_noise(self, seed: int) -> list[CellSplit]:
        cells = []
        for normal in self.normal(seed):
            for fraction in self.protocol.regimes.label_noise.flip_fractions:
                noisy = corrupted_labels(normal.train_labels, fraction, seed)
                cell = Cell(self.data.dataset_id, "label_noise", fraction, seed)
                cells.append(CellSplit(cell, normal.train, noisy, normal.test, normal.test_labels))
        return cells

    def covariate_shift(self, ood: LabeledPrompts | None, seed: int) -> list[CellSplit]:
        read = self.data.labels[: self.draws.covariate_shift_max_rows]
        n_train = self.protocol.splits.max_train
        if ood is None or len(np.unique(ood.labels)) < 2 or n_train > len(read):
            return []
        try:
            train, _ = original_draw(read, n_train, 0, 0.5, seed)
        except ValueError:
            return []
        cell = Cell(self.data.dataset_id, "covariate_shift", None, seed)
        test = np.arange(len(ood))
        labels = self.data.labels
        return [CellSplit(cell, train, labels[train], test, ood.labels, test_split="ood")]


def original_cells(
    data: LabeledPrompts,
    ood: LabeledPrompts | None,
    protocol: Protocol,
    draws: OriginalDraws,
    regime: RegimeName,
    seed: int,
    for_sae: bool,
) -> list[CellSplit]:
    """The cells of one regime as the original drew them; ``for_sae``: the SAE arm's draw."""
    sampler = OriginalSampler(data, protocol, draws)
    if regime in ("normal", "multitoken"):
        return sampler.normal(seed, regime)
    if regime == "scarcity":
        return sampler.scarcity(seed)
    if regime == "imbalance":
        return sampler.imbalance(seed, for_sae)
    if regime == "label_noise":
        return sampler.label_noise(seed)
    return sampler.covariate_shift(ood, seed)
