"""Train one architecture on the track's ground-truth model under one seed, score it, and keep
the scores in the cache (a finished run is never recomputed). ``untrained`` is the chance floor:
a TopK SAE as SAELens initialises it, scored without training."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from benchmark.atomic_io import write_text_atomic
from benchmark.paths import cache_root
from benchmark.saes.recipes import TrainingSettings, recipes
from benchmark.saes.train import fit_sae
from benchmark.synthetic.scores import SyntheticScores, score_sae
from benchmark.synthetic.track import Track

UNTRAINED = "untrained"  # the chance floor: a TopK SAE at its initialisation


def architectures(track: Track) -> list[str]:
    return [*recipes(track.training.width, track.training.k), UNTRAINED]


@dataclass(frozen=True)
class SyntheticRun:
    architecture: str
    seed: int
    scores: SyntheticScores
    train_seconds: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "architecture": self.architecture,
            "seed": self.seed,
            "train_seconds": self.train_seconds,
            "scores": self.scores.as_dict(),
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> SyntheticRun:
        scores = SyntheticScores(**raw["scores"])
        return cls(raw["architecture"], raw["seed"], scores, raw["train_seconds"])


def runs_dir(track: Track) -> Path:
    return cache_root() / "synthetic" / f"{track.name}-{track.content_hash()[:12]}"


def trained_sae(track: Track, model: Any, architecture: str, seed: int) -> Any:
    """The recipe's SAE trained on the ground-truth model's activations (seeded init and data)."""
    from sae_lens.synthetic.training import SyntheticActivationIterator

    rules = track.training
    settings = TrainingSettings(
        width=rules.width, k=rules.k, samples=rules.samples, batch_size=rules.batch_size,
        lr=rules.lr, seed=seed,
    )  # fmt: skip
    name = "topk" if architecture == UNTRAINED else architecture
    recipe = recipes(rules.width, rules.k)[name]
    torch.manual_seed(seed)
    if architecture == UNTRAINED:
        return untrained_sae(recipe.trainer_class, recipe.settings, track)
    generator = model.activation_generator
    data = SyntheticActivationIterator(model.feature_dict, generator, rules.batch_size)
    return fit_sae(recipe, iter(data), track.model.hidden_dim, settings)


def untrained_sae(trainer_class: str, settings: dict[str, Any], track: Track) -> Any:
    import sae_lens

    config = getattr(sae_lens, f"{trainer_class}Config")(
        d_in=track.model.hidden_dim, d_sae=track.training.width, **settings
    )
    return getattr(sae_lens, trainer_class)(config)


def run_once(track: Track, model: Any, architecture: str, seed: int) -> SyntheticRun:
    """The cached run, or train, score and cache it."""
    path = runs_dir(track) / f"{architecture}-seed{seed}.json"
    if path.exists():
        return SyntheticRun.from_dict(json.loads(path.read_text(encoding="utf-8")))
    started = time.process_time()
    sae = trained_sae(track, model, architecture, seed)
    seconds = round(time.process_time() - started, 1)
    run = SyntheticRun(architecture, seed, score_sae(sae, model, track.scoring), seconds)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(path, json.dumps(run.as_dict(), indent=1))
    return run
