"""Label noise: the normal split, with exactly floor(f * n_train) training labels flipped at
each flip fraction f (0 .. 0.5). Selection sees the noisy labels; the test labels stay clean.
"""

from __future__ import annotations

import math

import numpy as np

from benchmark.protocols.protocol import Protocol
from benchmark.regimes.cells import Cell, CellSplit, cell_rng
from benchmark.regimes.normal import normal_split
from datasets_registry.rows import LabeledPrompts


def flip_labels(labels: np.ndarray, fraction: float, rng: np.random.Generator) -> np.ndarray:
    n_flip = math.floor(fraction * len(labels) + 1e-9)
    flipped = labels.copy()
    chosen = rng.choice(len(labels), size=n_flip, replace=False)
    flipped[chosen] = 1 - flipped[chosen]
    return flipped


def label_noise_cells(data: LabeledPrompts, protocol: Protocol, seed: int) -> list[CellSplit]:
    split = normal_split(data.labels, protocol.splits, seed, data.dataset_id)
    train, test = split.train(), split.test()
    cells = []
    for fraction in protocol.regimes.label_noise.flip_fractions:
        rng = cell_rng(seed, data.dataset_id, "label_noise", fraction)
        noisy = flip_labels(data.labels[train], fraction, rng)
        cell = Cell(data.dataset_id, "label_noise", fraction, seed)
        cells.append(CellSplit(cell, train, noisy, test, data.labels[test]))
    return cells
