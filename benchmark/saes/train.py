"""The reference SAE suite: ReLU, TopK, BatchTopK, JumpReLU and Matryoshka-BatchTopK SAEs
trained with SAELens's own trainer and training classes on the same activations (one middle
layer of the embedded model over the stdlib corpus), with the same width and token budget.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from benchmark.activations.extract import tokenize
from benchmark.activations.hooks import Hook, capture
from benchmark.activations.models import LoadedModel
from benchmark.saes.frozen import Constraint, constraint_for
from benchmark.saes.recipes import Recipe, TrainingSettings, recipes


def corpus_activations(
    loaded: LoadedModel, hook: Hook, paragraphs: Sequence[str], max_length: int = 256,
    batch_size: int = 16,
) -> Iterator[np.ndarray]:  # fmt: skip
    """Hook activations of every real token after BOS, one array [tokens, d] per batch."""
    token_ids = tokenize(loaded.tokenizer, paragraphs, max_length)
    pad = loaded.tokenizer.pad_token_id or 0
    order = np.argsort([len(ids) for ids in token_ids], kind="stable")
    for start in range(0, len(order), batch_size):
        chosen = [token_ids[i] for i in order[start : start + batch_size]]
        width = max(len(ids) for ids in chosen)
        ids = torch.full((len(chosen), width), pad, dtype=torch.long)
        mask = torch.zeros((len(chosen), width), dtype=torch.long)
        for row, sequence in enumerate(chosen):
            ids[row, : len(sequence)] = torch.tensor(sequence)
            mask[row, : len(sequence)] = 1
        with torch.inference_mode(), capture(loaded.model, hook) as captured:
            hidden = captured.run(loaded.model, input_ids=ids, attention_mask=mask, use_cache=False)
        keep = mask.bool()
        keep[:, 0] = False  # BOS: a huge-norm outlier that says nothing about the text
        yield hidden[keep].float().numpy()


def batches(activations: np.ndarray, batch_size: int, seed: int) -> Iterator[torch.Tensor]:
    """Endless shuffled mini-batches (a new permutation each pass)."""
    generator = np.random.default_rng(seed)
    while True:
        order = generator.permutation(len(activations))
        for start in range(0, len(order) - batch_size + 1, batch_size):
            yield torch.from_numpy(activations[order[start : start + batch_size]])


def train_sae(
    recipe: Recipe, activations: np.ndarray, settings: TrainingSettings, baseline: str | None = None
) -> Any:
    """Train on shuffled mini-batches of ``activations``; returns the trained training-SAE.
    ``baseline``: one of the sanity-check paper's constraints (``benchmark.saes.frozen``)."""
    constraint = constraint_for(baseline, activations, settings.seed) if baseline else None
    torch.manual_seed(settings.seed)
    data = batches(activations, settings.batch_size, settings.seed)
    return fit_sae(recipe, data, activations.shape[1], settings, constraint)


def training_sae(recipe: Recipe, d_in: int, width: int, normalize: str = "none") -> Any:
    """The recipe's SAELens training SAE as SAELens initialises it (under the caller's seed)."""
    import sae_lens

    config_class = getattr(sae_lens, f"{recipe.trainer_class}Config")
    config = config_class(
        d_in=d_in, d_sae=width, normalize_activations=normalize, **recipe.settings
    )
    return getattr(sae_lens, recipe.trainer_class)(config)


def fit_sae(
    recipe: Recipe,
    data: Iterator[torch.Tensor],
    d_in: int,
    settings: TrainingSettings,
    constraint: Constraint | None = None,
) -> Any:
    """Build the recipe's SAELens training SAE (under the caller's torch seed) and train it
    with ``sae_lens.SAETrainer`` on ``data``'s batches, under ``constraint`` if one is given;
    the input scaling it estimates is folded into the returned SAE's weights, so it reads raw
    activations."""
    from sae_lens.config import LoggingConfig, SAETrainerConfig
    from sae_lens.training.sae_trainer import SAETrainer

    sae = training_sae(recipe, d_in, settings.width, "expected_average_only_in")
    if constraint is not None:
        constraint.prepare(sae)
    trainer_config = SAETrainerConfig(
        total_training_samples=settings.samples,
        train_batch_size_samples=settings.batch_size,
        lr=settings.lr,
        lr_end=settings.lr,
        lr_warm_up_steps=50,
        lr_scheduler_name="constant",
        device="cpu",
        n_batches_for_norm_estimate=20,
        logger=LoggingConfig(log_to_wandb=False),
    )
    trainer = SAETrainer(trainer_config, sae, data)
    if constraint is not None:
        constraint.attach(trainer)
    return trainer.fit()


@dataclass(frozen=True)
class Trained:
    name: str
    seconds: float
    sae: Any
    baseline: str | None = None  # the random baseline's constraint, if it is one


def train_suite(
    jobs: Sequence[tuple[str, str | None]], activations: np.ndarray, settings: TrainingSettings
) -> Iterator[Trained]:
    """Each (architecture, baseline or None) trained in turn."""
    for name, baseline in jobs:
        started = time.perf_counter()
        recipe = recipes(settings.width, settings.k)[name]
        sae = train_sae(recipe, activations, settings, baseline)
        yield Trained(name, time.perf_counter() - started, sae, baseline)
