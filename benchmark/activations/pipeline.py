"""Fill the activation store for a list of datasets: compute each missing prompt once, commit
chunks as they finish (so a crash resumes), then materialize one array per dataset.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from tqdm import tqdm

from benchmark.activations.extract import (
    ExtractionSettings,
    iter_all_tokens,
    iter_last_token,
    special_prefix_length,
    tokenize,
)
from benchmark.activations.hooks import Hook
from benchmark.activations.models import LoadedModel, ModelRef, load_model
from benchmark.activations.store import ActivationSpace, ActivationStore, SpaceKey
from datasets_registry.rows import LabeledPrompts

log = logging.getLogger(__name__)
DEFAULT_SETTINGS = ExtractionSettings()


@dataclass(frozen=True)
class ExtractionReport:
    space: str
    datasets: int
    datasets_cached: int
    prompts_total: int
    prompts_computed: int
    tokens_computed: int
    seconds: float

    @property
    def tokens_per_second(self) -> float:
        return self.tokens_computed / self.seconds if self.seconds > 0 else 0.0


def space_for(
    store: ActivationStore, ref: ModelRef, hook: Hook, settings: ExtractionSettings, dtype: str
) -> ActivationSpace:
    key = SpaceKey(ref.name, ref.weights_hash, hook.name, settings.max_length, dtype)
    return store.space(key)


def extract_to_store(
    ref: ModelRef,
    hook: Hook,
    datasets: Sequence[LabeledPrompts],
    store: ActivationStore,
    settings: ExtractionSettings = DEFAULT_SETTINGS,
    dtype: str = "bf16",
    progress: bool = True,
    flush_every: int = 1024,
    loaded: LoadedModel | None = None,
) -> ExtractionReport:
    """Make sure every dataset's last-token activations exist; load the model only if needed."""
    started = time.perf_counter()
    space = space_for(store, ref, hook, settings, dtype)
    pending = [data for data in datasets if not space.has(data)]
    todo = space.bank.missing([prompt for data in pending for prompt in data.prompts])
    tokens = 0
    if todo:
        loaded = loaded or load_model(ref, dtype=dtype, device=settings.device)
        hook.check_fits(loaded.n_layers)
        space.ensure_meta(loaded.d_model)
        tokens = _compute_into_bank(
            loaded, hook, todo, settings, progress, flush_every, iter_last_token, space.bank.append
        )
    for data in pending:
        space.materialize(data)
    return extraction_report(space, datasets, pending, todo, tokens, started)


def extract_all_tokens_to_store(
    ref: ModelRef,
    hook: Hook,
    datasets: Sequence[LabeledPrompts],
    store: ActivationStore,
    max_tokens: int,
    settings: ExtractionSettings = DEFAULT_SETTINGS,
    dtype: str = "bf16",
    progress: bool = True,
    flush_every: int = 256,
    loaded: LoadedModel | None = None,
) -> ExtractionReport:
    """Make sure every dataset's all-token activations (BOS excluded, at most ``max_tokens``
    real tokens per prompt, the last ones) exist."""
    started = time.perf_counter()
    space = space_for(store, ref, hook, settings, dtype)
    pending = [data for data in datasets if not space.has_all_tokens(data, max_tokens)]
    bank = space.token_bank(max_tokens)
    todo = bank.missing([prompt for data in pending for prompt in data.prompts])
    tokens = 0
    if todo:
        loaded = loaded or load_model(ref, dtype=dtype, device=settings.device)
        hook.check_fits(loaded.n_layers)
        space.ensure_meta(loaded.d_model)
        prefix = special_prefix_length(loaded.tokenizer)
        capped = replace(settings, max_length=max_tokens + prefix)
        tokens = _compute_into_bank(
            loaded, hook, todo, capped, progress, flush_every, iter_all_tokens, bank.append
        )
    for data in pending:
        space.materialize_all_tokens(data, max_tokens)
    return extraction_report(space, datasets, pending, todo, tokens, started)


def extraction_report(
    space: ActivationSpace,
    datasets: Sequence[LabeledPrompts],
    pending: Sequence[LabeledPrompts],
    computed: Sequence[str],
    tokens: int,
    started: float,
) -> ExtractionReport:
    return ExtractionReport(
        space=space.key.digest(),
        datasets=len(datasets),
        datasets_cached=len(datasets) - len(pending),
        prompts_total=sum(len(data) for data in datasets),
        prompts_computed=len(computed),
        tokens_computed=tokens,
        seconds=time.perf_counter() - started,
    )


def _compute_into_bank(
    loaded: LoadedModel,
    hook: Hook,
    prompts: list[str],
    settings: ExtractionSettings,
    progress: bool,
    flush_every: int,
    iterate: Callable[..., Iterator[tuple[np.ndarray, Any]]],
    append: Callable[[list[str], Any], None],
) -> int:
    """Run ``iterate`` over the prompts and commit its rows with ``append`` every
    ``flush_every`` prompts; returns the number of tokens computed."""
    token_ids = tokenize(loaded.tokenizer, prompts, settings.max_length)
    total = sum(len(ids) for ids in token_ids)
    bar = tqdm(
        total=total,
        unit="tok",
        unit_scale=True,
        desc=f"{hook.name} {len(prompts)} prompts",
        disable=not progress,
        smoothing=0.1,
    )
    pending_rows: list[Any] = []
    pending_indices: list[np.ndarray] = []

    def flush() -> None:
        if pending_indices:
            indices = np.concatenate(pending_indices)
            append([prompts[i] for i in indices], join(pending_rows))
            pending_rows.clear()
            pending_indices.clear()

    with bar:
        for indices, rows in iterate(loaded, hook, prompts, settings, bar.update, token_ids):
            pending_indices.append(indices)
            pending_rows.append(rows)
            if sum(len(i) for i in pending_indices) >= flush_every:
                flush()
        flush()
    return total


def join(parts: list[Any]) -> Any:
    """Batches of last-token rows are arrays (stacked); all-token batches are lists (chained)."""
    if isinstance(parts[0], np.ndarray):
        return np.concatenate(parts)
    return [row for part in parts for row in part]
