"""The normal regime: a class-balanced training set of min(N - 100, 1024) rows, test on the
balanced rest. Scarcity, label noise and covariate shift reuse this split.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from benchmark.protocols.protocol import Protocol, SplitRules
from benchmark.regimes.cells import Cell, CellSplit, ClassPools, cell_rng
from datasets_registry.rows import LabeledPrompts


@dataclass(frozen=True)
class NormalSplit:
    """Per-class shuffled pools; training takes a prefix of each, test the next rows."""

    pools: ClassPools
    n_train: int
    n_test_per_class: int

    def train(self, n: int | None = None) -> np.ndarray:
        """The first ``n`` training rows (default: all), half of each class, nested in n."""
        n = self.n_train if n is None else n
        if n > self.n_train:
            raise ValueError(f"only {self.n_train} training rows available")
        return self.pools.take((n + 1) // 2, n // 2)

    def test(self) -> np.ndarray:
        k = self.n_test_per_class
        return self.pools.take(k, k, skip_pos=(self.n_train + 1) // 2, skip_neg=self.n_train // 2)


def normal_split(labels: np.ndarray, rules: SplitRules, seed: int, dataset: str) -> NormalSplit:
    pools = ClassPools.shuffled(labels, cell_rng(seed, dataset, "normal-split"))
    n_pos, n_neg = len(pools.positives), len(pools.negatives)
    size = 2 * min(n_pos, n_neg) if rules.pool == "balanced" else n_pos + n_neg
    n_train = max(min(size - rules.min_test, rules.max_train), 0)
    left = min(n_pos - (n_train + 1) // 2, n_neg - n_train // 2)
    if n_train < 2 or left < 1:
        raise ValueError(f"{dataset}: too few rows of one class for a normal split")
    return NormalSplit(pools=pools, n_train=n_train, n_test_per_class=left)


def normal_cells(data: LabeledPrompts, protocol: Protocol, seed: int) -> list[CellSplit]:
    split = normal_split(data.labels, protocol.splits, seed, data.dataset_id)
    train, test = split.train(), split.test()
    cell = Cell(data.dataset_id, "normal", None, seed)
    return [CellSplit(cell, train, data.labels[train], test, data.labels[test])]
