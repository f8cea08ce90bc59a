"""Class imbalance: at each positive fraction f, train and test with the same fraction f.

Train and test sizes are fixed per dataset so that every level is feasible: with P positives and
Q negatives, the pool is T = floor(min(Q / (1 - f_min), P / f_max)); train on min(T - 100, 1024)
rows and test on the rest. Each level draws its own disjoint rows.
"""

from __future__ import annotations

import math

from benchmark.protocols.protocol import Protocol
from benchmark.regimes.cells import Cell, CellSplit, ClassPools, cell_rng
from datasets_registry.rows import LabeledPrompts


def imbalance_sizes(
    n_pos: int, n_neg: int, fractions: list[float], min_test: int, max_train: int
) -> tuple[int, int]:
    """(n_train, n_test) shared by every level of the regime."""
    pool = math.floor(min(n_neg / (1 - min(fractions)), n_pos / max(fractions)))
    n_train = max(min(pool - min_test, max_train), 0)
    return n_train, pool - n_train


def count_positives(n: int, fraction: float) -> int:
    """Positives among ``n`` rows at ``fraction``, at least one of each class when n >= 2."""
    return min(max(round(fraction * n), 1), n - 1)


def imbalance_cells(data: LabeledPrompts, protocol: Protocol, seed: int) -> list[CellSplit]:
    rules = protocol.regimes.imbalance
    n_pos, n_neg = int(data.labels.sum()), int(len(data.labels) - data.labels.sum())
    n_train, n_test = imbalance_sizes(
        n_pos, n_neg, rules.positive_fractions, protocol.splits.min_test, protocol.splits.max_train
    )
    if n_train < 2:
        return []
    cells = []
    for fraction in rules.positive_fractions:
        rng = cell_rng(seed, data.dataset_id, "imbalance", fraction)
        pools = ClassPools.shuffled(data.labels, rng)
        train_pos, test_pos = count_positives(n_train, fraction), count_positives(n_test, fraction)
        train = pools.take(train_pos, n_train - train_pos)
        test = pools.take(test_pos, n_test - test_pos, train_pos, n_train - train_pos)
        cell = Cell(data.dataset_id, "imbalance", fraction, seed)
        cells.append(CellSplit(cell, train, data.labels[train], test, data.labels[test]))
    return cells
