"""All-token activations: the store's rows equal a direct forward pass at every real token
(BOS excluded, the last tokens kept under the cap), shared prompts are computed once, an
interrupted extraction resumes, and ragged arrays slice correctly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from benchmark.activations import pipeline
from benchmark.activations.catalog import ModelRef
from benchmark.activations.extract import ExtractionSettings
from benchmark.activations.hooks import Hook
from benchmark.activations.models import LoadedModel, load_model, resolve_model
from benchmark.activations.store import ActivationStore, MissingActivationsError
from benchmark.ragged import Ragged, from_rows
from datasets_registry.rows import LabeledPrompts

HOOK = Hook.parse("blocks.1.hook_resid_post")
SETTINGS = ExtractionSettings(max_length=64, batch_size=3)
Tiny = tuple[ModelRef, LoadedModel]
PROMPTS = ["a", "The cat sat on the mat.", "Paris is large.", "x" * 40, "hello there"]


def dataset(name: str, prompts: list[str]) -> LabeledPrompts:
    n = len(prompts)
    return LabeledPrompts(name, "main", prompts, np.arange(n) % 2, np.arange(n))


@pytest.fixture(scope="module")
def tiny(tiny_model_dir: Path) -> tuple[ModelRef, LoadedModel]:
    ref = resolve_model(str(tiny_model_dir))
    return ref, load_model(ref, dtype="fp32")


def fill(tiny, store, data, max_tokens=16, **kw):  # type: ignore[no-untyped-def]
    ref, loaded = tiny
    return pipeline.extract_all_tokens_to_store(
        ref, HOOK, data, store, max_tokens, SETTINGS, "fp32", progress=False, loaded=loaded,
        **kw,
    )  # fmt: skip


def direct_tokens(loaded: LoadedModel, ids: list[int]) -> np.ndarray:
    """Reference: one unpadded forward pass; every position after the BOS at layer 1."""
    with torch.no_grad():
        out = loaded.model(torch.tensor([ids]), output_hidden_states=True)
    return out.hidden_states[2][0, 1:].numpy()


def test_store_rows_equal_a_direct_forward_pass(tiny: Tiny, tmp_path: Path) -> None:
    store = ActivationStore(tmp_path)
    data = dataset("d", PROMPTS)
    fill(tiny, store, [data])
    ref, loaded = tiny
    space = pipeline.space_for(store, ref, HOOK, SETTINGS, "fp32")
    ragged = space.load_all_tokens(data, 16)
    assert len(ragged) == len(PROMPTS)
    for i, prompt in enumerate(PROMPTS):
        ids = loaded.tokenizer(prompt)["input_ids"]
        capped = [ids[0], *ids[1:][-16:]]  # BOS, then the last 16 real tokens
        expected = direct_tokens(loaded, capped)
        assert ragged.row(i).shape == (min(len(ids) - 1, 16), loaded.d_model)
        np.testing.assert_allclose(ragged.row(i), expected, atol=1e-5)


def test_shared_prompts_are_computed_once_and_a_rerun_computes_nothing(
    tiny: Tiny, tmp_path: Path
) -> None:
    store = ActivationStore(tmp_path)
    first = fill(tiny, store, [dataset("a", PROMPTS[:3]), dataset("b", PROMPTS[1:])])
    assert first.prompts_computed == len(PROMPTS)
    again = fill(tiny, store, [dataset("a", PROMPTS[:3]), dataset("b", PROMPTS[1:])])
    assert again.prompts_computed == 0 and again.datasets_cached == 2


def test_an_interrupted_extraction_resumes_from_committed_chunks(
    tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = ActivationStore(tmp_path)
    data = dataset("d", PROMPTS)
    original = pipeline.iter_all_tokens
    calls = {"n": 0}

    def crash_after_one_batch(*args, **kwargs):  # type: ignore[no-untyped-def]
        for item in original(*args, **kwargs):
            calls["n"] += 1
            if calls["n"] == 2:
                raise KeyboardInterrupt
            yield item

    monkeypatch.setattr(pipeline, "iter_all_tokens", crash_after_one_batch)
    with pytest.raises(KeyboardInterrupt):
        fill(tiny, store, [data], flush_every=1)
    monkeypatch.setattr(pipeline, "iter_all_tokens", original)
    resumed = fill(tiny, store, [data])
    assert 0 < resumed.prompts_computed < len(PROMPTS)
    ref, _ = tiny
    space = pipeline.space_for(store, ref, HOOK, SETTINGS, "fp32")
    assert len(space.load_all_tokens(data, 16)) == len(PROMPTS)


def test_another_token_cap_is_another_array(tiny: Tiny, tmp_path: Path) -> None:
    store = ActivationStore(tmp_path)
    data = dataset("d", PROMPTS)
    fill(tiny, store, [data], max_tokens=16)
    ref, _ = tiny
    space = pipeline.space_for(store, ref, HOOK, SETTINGS, "fp32")
    with pytest.raises(MissingActivationsError, match="--all-tokens"):
        space.load_all_tokens(data, 4)
    fill(tiny, store, [data], max_tokens=4)
    assert space.load_all_tokens(data, 4).lengths.max() == 4
    assert space.load_all_tokens(data, 16).lengths.max() == 16


def test_ragged_take_and_validation() -> None:
    ragged = from_rows([np.full((n, 2), n, float) for n in (1, 3, 2)], 2)
    assert ragged.offsets.tolist() == [0, 1, 4, 6]
    taken = ragged.take([2, 0])
    assert taken.lengths.tolist() == [2, 1] and taken.row(0)[0, 0] == 2
    with pytest.raises(ValueError, match="offsets"):
        Ragged(np.zeros((3, 2)), np.array([0, 2]))


@pytest.mark.parametrize("pooling", ["max", "mean"])
def test_pooled_latents_pool_each_prompts_own_tokens(tiny_sae_dir: Path, pooling: str) -> None:
    from benchmark.saes.load import load_sae_folder
    from benchmark.saes.pooling import pooled_latents

    sae = load_sae_folder(tiny_sae_dir)
    rng = np.random.default_rng(0)
    ragged = from_rows([rng.normal(size=(n, 32)).astype(np.float32) for n in (1, 5, 2, 7)], 32)
    expected = np.stack(
        [getattr(sae.encode(ragged.row(i)), pooling)(axis=0) for i in range(len(ragged))]
    )
    for chunk in (1, 3, 100):  # chunk boundaries never split a prompt
        got = pooled_latents(sae, ragged, pooling, chunk=chunk)  # type: ignore[arg-type]
        np.testing.assert_allclose(got.toarray(), expected, rtol=1e-5, atol=1e-6)


def test_bos_is_not_in_the_rows_that_are_pooled(tiny: Tiny, tmp_path: Path) -> None:
    """The all-token rows start after the BOS: a max-pool over them never sees it."""
    store = ActivationStore(tmp_path)
    data = dataset("d", PROMPTS[2:3])
    fill(tiny, store, [data])
    ref, loaded = tiny
    ragged = pipeline.space_for(store, ref, HOOK, SETTINGS, "fp32").load_all_tokens(data, 16)
    ids = loaded.tokenizer(PROMPTS[2])["input_ids"]
    with torch.no_grad():
        states = loaded.model(torch.tensor([ids]), output_hidden_states=True).hidden_states[2][0]
    assert len(ragged.row(0)) == len(ids) - 1
    np.testing.assert_allclose(ragged.row(0), states[1:].numpy(), atol=1e-5)
