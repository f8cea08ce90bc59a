"""Data scarcity: nested class-balanced training sets of the protocol's sizes (2 .. 1024), drawn
from the normal split's training pool and tested on its test set, so every level sees the same
test rows. Sizes beyond the pool are skipped.
"""

from __future__ import annotations

from benchmark.protocols.protocol import Protocol
from benchmark.regimes.cells import Cell, CellSplit
from benchmark.regimes.normal import normal_split
from datasets_registry.rows import LabeledPrompts


def scarcity_cells(data: LabeledPrompts, protocol: Protocol, seed: int) -> list[CellSplit]:
    split = normal_split(data.labels, protocol.splits, seed, data.dataset_id)
    test = split.test()
    cells = []
    for size in protocol.regimes.scarcity.train_sizes:
        if size > split.n_train:
            continue
        train = split.train(size)
        cell = Cell(data.dataset_id, "scarcity", float(size), seed)
        cells.append(CellSplit(cell, train, data.labels[train], test, data.labels[test]))
    return cells
