"""All cells of a dataset for the requested regimes and the protocol's seeds."""

from __future__ import annotations

from collections.abc import Sequence

from benchmark.errors import SaeprobeError
from benchmark.protocols.protocol import Protocol
from benchmark.regimes.cells import REGIMES, CellSplit, RegimeName
from benchmark.regimes.covariate_shift import covariate_shift_cells
from benchmark.regimes.imbalance import imbalance_cells
from benchmark.regimes.label_noise import label_noise_cells
from benchmark.regimes.multitoken import multitoken_cells
from benchmark.regimes.normal import normal_cells
from benchmark.regimes.original import original_cells
from benchmark.regimes.scarcity import scarcity_cells
from datasets_registry.rows import LabeledPrompts


def parse_regimes(names: Sequence[str] | None) -> list[RegimeName]:
    if not names:
        return list(REGIMES)
    unknown = [name for name in names if name not in REGIMES]
    if unknown:
        raise SaeprobeError(f"unknown regime(s) {', '.join(unknown)}; known: {', '.join(REGIMES)}")
    return [regime for regime in REGIMES if regime in names]


def dataset_cells(
    data: LabeledPrompts,
    ood: LabeledPrompts | None,
    protocol: Protocol,
    regimes: Sequence[RegimeName],
    for_sae: bool = False,
) -> list[CellSplit]:
    """``for_sae``: the SAE arm's cells, which differ from the baselines' only where the
    protocol reproduces the original's SAE draws (``splits.original``)."""
    cells: list[CellSplit] = []
    draws = protocol.splits.original
    for seed in protocol.seeds:
        for regime in regimes:
            if draws is not None:
                cells += original_cells(data, ood, protocol, draws, regime, seed, for_sae)
            elif regime == "normal":
                cells += normal_cells(data, protocol, seed)
            elif regime == "scarcity":
                cells += scarcity_cells(data, protocol, seed)
            elif regime == "imbalance":
                cells += imbalance_cells(data, protocol, seed)
            elif regime == "label_noise":
                cells += label_noise_cells(data, protocol, seed)
            elif regime == "covariate_shift":
                cells += covariate_shift_cells(data, ood, protocol, seed)
            else:
                cells += multitoken_cells(data, protocol, seed)
    return cells
