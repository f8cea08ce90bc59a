"""Batched extraction: tokenize, left-truncate, bucket by length, right-pad, run the model up to
the hooked layer, and read the residual stream at each prompt's last real token, or at every
real token after the BOS (multi-token probing).

Right padding keeps every real token's position and attention exactly as in an unpadded pass
(causal attention never looks right), so batched results equal one-prompt forward passes up to
floating-point rounding. That rounding depends on the batch's shape: on CPU, a SmolLM2-135M
prompt extracted alone and in a batch differed by up to 0.375 at its last token and 8.0 over
its tokens (one bf16 step of a large value) in bf16, and by 1.4e-5 and 0.0039 in fp32. So a
prompt's activations depend on the batch it was extracted in, that is, on the order in which
datasets were extracted (see the README, "Activations").
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from benchmark.activations.hooks import Hook, capture
from benchmark.activations.models import LoadedModel


@dataclass(frozen=True)
class ExtractionSettings:
    max_length: int = 1024
    batch_size: int = 32
    max_batch_tokens: int = 8192
    device: str = "cpu"


@dataclass(frozen=True)
class Batch:
    indices: np.ndarray
    input_ids: torch.Tensor
    attention_mask: torch.Tensor
    lengths: torch.Tensor

    @property
    def n_tokens(self) -> int:
        return int(self.lengths.sum())


def special_prefix_length(tokenizer: object) -> int:
    """How many special tokens (BOS) the tokenizer puts before the text."""
    with_special = tokenizer("x", add_special_tokens=True)["input_ids"]  # type: ignore[operator]
    without = tokenizer("x", add_special_tokens=False)["input_ids"]  # type: ignore[operator]
    return len(with_special) - len(without) if with_special[-len(without) :] == without else 0


def tokenize(tokenizer: object, prompts: Sequence[str], max_length: int) -> list[list[int]]:
    """Token ids per prompt, left-truncated to ``max_length`` while keeping a leading BOS."""
    encoded = tokenizer(list(prompts), add_special_tokens=True)["input_ids"]  # type: ignore[operator]
    prefix = special_prefix_length(tokenizer)
    truncated = []
    for ids in encoded:
        if len(ids) > max_length:
            ids = ids[:prefix] + ids[len(ids) - (max_length - prefix) :]
        if len(ids) == 0:
            raise ValueError("a prompt tokenized to zero tokens; it has no last token to read")
        truncated.append(ids)
    return truncated


def length_buckets(
    lengths: Sequence[int], batch_size: int, max_batch_tokens: int
) -> Iterator[np.ndarray]:
    """Indices grouped into batches of similar length (longest first), within both budgets."""
    order = np.argsort(-np.asarray(lengths), kind="stable")
    batch: list[int] = []
    for index in order:
        longest = lengths[batch[0]] if batch else lengths[index]
        if batch and (len(batch) >= batch_size or (len(batch) + 1) * longest > max_batch_tokens):
            yield np.array(batch)
            batch = []
        batch.append(int(index))
    if batch:
        yield np.array(batch)


def make_batch(token_ids: Sequence[list[int]], indices: np.ndarray, pad_id: int) -> Batch:
    lengths = torch.tensor([len(token_ids[i]) for i in indices])
    input_ids = torch.full((len(indices), int(lengths.max())), pad_id, dtype=torch.long)
    for row, index in enumerate(indices):
        input_ids[row, : lengths[row]] = torch.tensor(token_ids[index])
    mask = (torch.arange(input_ids.shape[1])[None, :] < lengths[:, None]).long()
    return Batch(indices=indices, input_ids=input_ids, attention_mask=mask, lengths=lengths)


def iter_last_token(
    loaded: LoadedModel,
    hook: Hook,
    prompts: Sequence[str],
    settings: ExtractionSettings,
    on_batch: Callable[[int], object] | None = None,
    token_ids: Sequence[list[int]] | None = None,
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield (prompt indices, float32 activations [n, d]) batch by batch, in bucketed order.
    ``token_ids`` may pass the prompts already tokenized by :func:`tokenize`."""
    for batch, hidden in iter_hidden(loaded, hook, prompts, settings, on_batch, token_ids):
        last = hidden[torch.arange(len(batch.indices)), (batch.lengths - 1).to(hidden.device)]
        yield batch.indices, last.float().cpu().numpy()


def iter_all_tokens(
    loaded: LoadedModel,
    hook: Hook,
    prompts: Sequence[str],
    settings: ExtractionSettings,
    on_batch: Callable[[int], object] | None = None,
    token_ids: Sequence[list[int]] | None = None,
) -> Iterator[tuple[np.ndarray, list[np.ndarray]]]:
    """Yield (prompt indices, one float32 array [real tokens, d] per prompt), BOS excluded.
    ``settings.max_length`` counts the BOS: pass the token cap plus the special prefix."""
    prefix = special_prefix_length(loaded.tokenizer)
    for batch, hidden in iter_hidden(loaded, hook, prompts, settings, on_batch, token_ids):
        rows = hidden.float().cpu().numpy()
        yield batch.indices, [rows[i, prefix : int(n)] for i, n in enumerate(batch.lengths)]


def iter_hidden(
    loaded: LoadedModel,
    hook: Hook,
    prompts: Sequence[str],
    settings: ExtractionSettings,
    on_batch: Callable[[int], object] | None,
    token_ids: Sequence[list[int]] | None,
) -> Iterator[tuple[Batch, torch.Tensor]]:
    """Each length bucket's batch and its residual stream at the hook [b, T, d]."""
    if token_ids is None:
        token_ids = tokenize(loaded.tokenizer, prompts, settings.max_length)
    pad_id = _pad_id(loaded.tokenizer)
    lengths = [len(ids) for ids in token_ids]
    for indices in length_buckets(lengths, settings.batch_size, settings.max_batch_tokens):
        batch = make_batch(token_ids, indices, pad_id)
        hidden = _resid(loaded, hook, batch, settings.device)
        if on_batch is not None:
            on_batch(batch.n_tokens)
        yield batch, hidden


def _resid(loaded: LoadedModel, hook: Hook, batch: Batch, device: str) -> torch.Tensor:
    """One forward pass up to the hook; the hook is removed before returning, so the model is
    left untouched between batches (callers may use it while iterating)."""
    with torch.inference_mode(), capture(loaded.model, hook) as captured:
        return captured.run(
            loaded.model,
            input_ids=batch.input_ids.to(device),
            attention_mask=batch.attention_mask.to(device),
            use_cache=False,
        )


def count_tokens(tokenizer: object, prompts: Sequence[str], max_length: int) -> int:
    return sum(len(ids) for ids in tokenize(tokenizer, prompts, max_length))


def _pad_id(tokenizer: object) -> int:
    for candidate in ("pad_token_id", "eos_token_id"):
        value = getattr(tokenizer, candidate, None)
        if value is not None:
            return int(value)
    return 0
