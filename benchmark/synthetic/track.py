"""The synthetic track's rules (``track-v1.yaml``): the ground-truth model, the training budget
and the scoring. Versioned like a protocol: results carry the file's content hash."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path
from typing import Literal

import yaml
from pydantic import Field, ValidationError, field_validator, model_validator

from benchmark.protocols.protocol import ProtocolError, Rules, one_line
from benchmark.saes.recipes import Recipe, recipes

TRACKS = {  # version -> rules; a version's results stay readable after the next one ships
    version: Path(__file__).parent / f"track-v{version}.yaml" for version in (1, 2)
}
TRACK_FILE = TRACKS[2]  # the current track


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
    # per architecture, sparsity settings that replace its reference recipe's (whose values
    # were chosen on corpus activations, at another scale); empty in v1
    sparsity: dict[str, dict[str, float]] = Field(default_factory=dict)

    @field_validator("sparsity")
    @classmethod
    def _sorted(cls, sparsity: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
        """In name order, so that the content hash does not depend on the file's order."""
        return {name: dict(sorted(sparsity[name].items())) for name in sorted(sparsity)}

    @model_validator(mode="after")
    def _known_architectures(self) -> TrainingRules:
        known = recipes(self.width, self.k)
        for name, settings in self.sparsity.items():
            if name not in known:
                raise ValueError(f"sparsity: unknown architecture {name!r}")
            unknown = sorted(set(settings) - set(known[name].settings))
            if unknown:
                raise ValueError(f"sparsity: {name} has no setting {unknown[0]!r}")
        return self

    def recipes(self) -> dict[str, Recipe]:
        """The reference recipes at this width and k, with this track's sparsity settings."""
        return {
            name: replace(recipe, settings={**recipe.settings, **self.sparsity.get(name, {})})
            for name, recipe in recipes(self.width, self.k).items()
        }


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
        """Defaults left out, so that a field added with a default (``sparsity``) leaves the
        hashes of earlier tracks, and the runs cached under them, as they were."""
        return hashlib.sha256(self.model_dump_json(exclude_defaults=True).encode()).hexdigest()


def load_track(path: Path = TRACK_FILE) -> Track:
    try:
        return Track.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (yaml.YAMLError, ValidationError) as error:
        raise ProtocolError(f"{path}: {one_line(error)}") from error


def track_file_of(track_hash: str) -> Path | None:
    """The shipped track file whose content hash is ``track_hash`` (None: none of them)."""
    for path in TRACKS.values():
        if load_track(path).content_hash() == track_hash:
            return path
    return None
