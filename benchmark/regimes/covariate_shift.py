"""Covariate shift: train on the normal split's in-distribution training rows, test on the
dataset's out-of-distribution file. Baselines and SAE probes train on the identical rows.
"""

from __future__ import annotations

import numpy as np

from benchmark.protocols.protocol import Protocol
from benchmark.regimes.cells import Cell, CellSplit
from benchmark.regimes.normal import normal_split
from datasets_registry.rows import LabeledPrompts


def covariate_shift_cells(
    data: LabeledPrompts, ood: LabeledPrompts | None, protocol: Protocol, seed: int
) -> list[CellSplit]:
    if ood is None:
        return []
    train = normal_split(data.labels, protocol.splits, seed, data.dataset_id).train()
    test = np.arange(len(ood))
    if protocol.regimes.covariate_shift.drop_train_overlap:
        seen = {data.prompts[i] for i in train}
        test = np.array([i for i in range(len(ood)) if ood.prompts[i] not in seen], dtype=np.int64)
    if len(np.unique(ood.labels[test])) < 2:
        return []
    cell = Cell(data.dataset_id, "covariate_shift", None, seed)
    return [CellSplit(cell, train, data.labels[train], test, ood.labels[test], test_split="ood")]
