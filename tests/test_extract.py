"""Extraction equals a direct transformers forward pass at the last real token."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from benchmark.activations.extract import (
    ExtractionSettings,
    iter_last_token,
    length_buckets,
    special_prefix_length,
    tokenize,
)
from benchmark.activations.hooks import Hook, HookError, capture, decoder_layers
from benchmark.activations.models import LoadedModel, load_model, resolve_model

PROMPTS = [
    "a",
    "The cat sat on the mat.",
    "Paris is the capital of France, and it is large.",
    "x" * 3,
    "Short one",
    "A much longer prompt that goes on and on so that it must be left-truncated by the extractor.",
]


@pytest.fixture(scope="module")
def tiny(tiny_model_dir: Path) -> LoadedModel:
    return load_model(resolve_model(str(tiny_model_dir)), dtype="fp32")


def direct_resid(loaded: LoadedModel, ids: list[int], layer: int) -> np.ndarray:
    """Reference: one unpadded forward pass with all hidden states; [layer + 1] is layer's out.

    transformers applies the final norm to the last entry, which TransformerLens's
    hook_resid_post of the last block does not: compare that layer after the norm instead.
    """
    with torch.no_grad():
        out = loaded.model(torch.tensor([ids]), output_hidden_states=True)
    return out.hidden_states[layer + 1][0, -1].numpy()


def comparable(loaded: LoadedModel, extracted: np.ndarray, layer: int) -> np.ndarray:
    if layer < loaded.n_layers - 1:
        return extracted
    with torch.no_grad():
        return loaded.model.model.norm(torch.from_numpy(extracted)).numpy()


def extract_all(loaded: LoadedModel, hook: Hook, settings: ExtractionSettings) -> np.ndarray:
    rows = np.zeros((len(PROMPTS), loaded.d_model), dtype=np.float32)
    for indices, values in iter_last_token(loaded, hook, PROMPTS, settings):
        rows[indices] = values
    return rows


@pytest.mark.parametrize("layer", [0, 1, 2])
def test_batched_extraction_matches_unpadded_forward(tiny: LoadedModel, layer: int) -> None:
    settings = ExtractionSettings(max_length=512, batch_size=4)
    got = extract_all(tiny, Hook.parse(f"blocks.{layer}.hook_resid_post"), settings)
    for row, prompt in enumerate(PROMPTS):
        ids = tiny.tokenizer(prompt)["input_ids"]
        expected = direct_resid(tiny, ids, layer)
        np.testing.assert_allclose(comparable(tiny, got[row], layer), expected, atol=1e-5)


def test_left_truncation_keeps_bos_and_the_last_tokens(tiny: LoadedModel) -> None:
    max_length = 12
    got = extract_all(tiny, Hook.parse("blocks.1.hook_resid_post"), ExtractionSettings(max_length))
    long_prompt = PROMPTS[-1]
    ids = tiny.tokenizer(long_prompt)["input_ids"]
    truncated = [ids[0], *ids[-(max_length - 1) :]]
    assert truncated[0] == tiny.tokenizer.bos_token_id
    assert tokenize(tiny.tokenizer, [long_prompt], max_length)[0] == truncated
    np.testing.assert_allclose(got[-1], direct_resid(tiny, truncated, 1), atol=1e-5)


def test_special_prefix_is_detected(tiny: LoadedModel) -> None:
    assert special_prefix_length(tiny.tokenizer) == 1


def test_length_buckets_respect_both_budgets() -> None:
    lengths = [5, 100, 7, 90, 3, 50, 50, 2]
    batches = list(length_buckets(lengths, batch_size=3, max_batch_tokens=150))
    assert sorted(np.concatenate(batches).tolist()) == list(range(len(lengths)))
    for batch in batches:
        assert len(batch) <= 3
        assert len(batch) * max(lengths[i] for i in batch) <= 150 or len(batch) == 1
    firsts = [lengths[batch[0]] for batch in batches]
    assert firsts == sorted(firsts, reverse=True)


def test_capture_stops_before_later_layers(tiny: LoadedModel) -> None:
    ran = []
    layers = decoder_layers(tiny.model)
    handle = layers[2].register_forward_hook(lambda *_: ran.append(True))
    try:
        with capture(tiny.model, Hook.parse("blocks.0.hook_resid_post")) as captured:
            captured.run(tiny.model, input_ids=torch.tensor([[1, 5, 6]]))
    finally:
        handle.remove()
    assert captured.value is not None and captured.value.shape == (1, 3, tiny.d_model)
    assert ran == []


@pytest.mark.parametrize(
    "name", ["blocks.x.hook_resid_post", "blocks.1.hook_resid_pre", "layer.1", ""]
)
def test_malformed_hooks_are_rejected(name: str) -> None:
    with pytest.raises(HookError):
        Hook.parse(name)


def test_hook_beyond_the_model_is_rejected(tiny: LoadedModel) -> None:
    with pytest.raises(HookError, match="model has 3"):
        list(
            iter_last_token(
                tiny, Hook.parse("blocks.3.hook_resid_post"), ["a"], ExtractionSettings()
            )
        )


def test_model_is_untouched_between_yielded_batches(tiny: LoadedModel) -> None:
    settings = ExtractionSettings(batch_size=2)
    for _indices, _rows in iter_last_token(
        tiny, Hook.parse("blocks.0.hook_resid_post"), PROMPTS, settings
    ):
        with torch.no_grad():
            logits = tiny.model(torch.tensor([[1, 5, 6]])).logits
        assert logits.shape == (1, 3, len(tiny.tokenizer))
