"""Win / tie / loss counts of per-cell deltas."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class WinTieLoss:
    wins: int
    ties: int
    losses: int

    @property
    def display(self) -> str:
        return f"{self.wins}/{self.ties}/{self.losses}"


def win_tie_loss(deltas: Sequence[float], tolerance: float) -> WinTieLoss:
    d = np.asarray(deltas, dtype=float)
    wins = int(np.count_nonzero(d > tolerance))
    losses = int(np.count_nonzero(d < -tolerance))
    return WinTieLoss(wins, len(d) - wins - losses, losses)
