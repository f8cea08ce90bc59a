"""The synthetic track's rules (``track-v1.yaml``): the ground-truth model, the training budget
and the scoring. Versioned like a protocol: results carry the file's content hash."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Literal

import yaml
from pydantic import Field, ValidationError, model_validator

from benchmark.protocols.protocol import ProtocolError, Rules, one_line

TRACK_FILE = Path(__file__).parent / "track-v1.yaml"


class FiringRules(Rules):
    exponent: float = Field(gt=0)
    max_prob: float = Field(gt=0, le=1)
    min_prob: float = Field(gt=0, le=1)


class CorrelationRules(Rules):
    rank: int = Field(ge=1)
    scale: float = Field(ge=0)


class HierarchyRules(Rules):
    roots: int = Field(ge=1)
    branching: int = Field(ge=1)
    depth: int = Field(ge=1)
    compensate: bool


class GroundTruthRules(Rules):
    num_features: int = Field(ge=1)
    hidden_dim: int = Field(ge=1)
    seed: int
    firing: FiringRules
    correlation: CorrelationRules | None = None
    hierarchy: HierarchyRules | None = None


class TrainingRules(Rules):
    width: int = Field(ge=1)
    k: int = Field(ge=1)
    samples: int = Field(ge=1)
    batch_size: int = Field(ge=1)
    lr: float = Field(gt=0)
    seeds: list[int] = Field(min_length=1)


class ScoringRules(Rules):
    samples: int = Field(ge=1)
    batch_size: int = Field(ge=1)
    seed: int
    recovery_cosine: float = Field(gt=0, lt=1)


class ProbingRules(Rules):
    rows: int = Field(ge=2)
    seed: int
    tasks: int = Field(ge=1)
    min_rate: float = Field(gt=0, lt=1)
    max_rate: float = Field(gt=0, lt=1)
    protocol: str
    regimes: list[Literal["normal", "scarcity", "imbalance", "label_noise"]]

    @model_validator(mode="after")
    def _enough_positives(self) -> ProbingRules:
        """The rarest task needs a balanced split with training rows besides 100 test rows."""
        if self.rows * self.min_rate < 100:
            raise ValueError("probing rows x min_rate must be at least 100")
        return self


class Track(Rules):
    name: str
    version: int = Field(ge=1)
    model: GroundTruthRules
    training: TrainingRules
    scoring: ScoringRules
    probing: ProbingRules

    @model_validator(mode="after")
    def _seeds_apart(self) -> Track:
        """The model draws its features from torch's generator under its seed; an SAE
        initialised under the same seed would start at the true dictionary."""
        if self.model.seed in self.training.seeds:
            raise ValueError("the model's seed must not be a training seed")
        return self

    def content_hash(self) -> str:
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()


def load_track(path: Path = TRACK_FILE) -> Track:
    try:
        return Track.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (yaml.YAMLError, ValidationError) as error:
        raise ProtocolError(f"{path}: {one_line(error)}") from error
