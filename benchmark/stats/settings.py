"""The leaderboard's statistical settings. They shape how results are summarized, not the
results themselves, so they live here and not in the protocol (whose hash keys the results)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class StatsSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    resamples: int = Field(10_000, ge=100)
    seed: int = 0
    confidence: float = Field(0.95, gt=0, lt=1)
    correction: Literal["holm", "bh"] = "holm"
    tie_tolerance: float = Field(1e-9, ge=0, description="|delta| at most this is a tie")

    @property
    def alpha(self) -> float:
        return 1 - self.confidence
