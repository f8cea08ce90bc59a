"""The multi-token regime: the normal split's rows, probed on every real token of each prompt
(the attention-pooled baseline, the max-pooled SAE probe) beside the last-token baselines."""

from __future__ import annotations

from dataclasses import replace

from benchmark.protocols.protocol import Protocol
from benchmark.regimes.cells import Cell, CellSplit
from benchmark.regimes.normal import normal_cells
from datasets_registry.rows import LabeledPrompts


def multitoken_cells(data: LabeledPrompts, protocol: Protocol, seed: int) -> list[CellSplit]:
    return [
        replace(split, cell=Cell(data.dataset_id, "multitoken", None, seed))
        for split in normal_cells(data, protocol, seed)
    ]
