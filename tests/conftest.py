"""Shared fixtures: an isolated cache, and a tiny random Llama with a character tokenizer."""

from __future__ import annotations

import string
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

TINY_LAYERS = 3


@pytest.fixture(scope="session", autouse=True)
def session_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The same root for module- and session-scoped fixtures, which run before the per-test
    ``isolated_cache`` below: no test writes the user's ~/.cache, from any fixture."""
    root = tmp_path_factory.getbasetemp() / "saeprobe-cache"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SAEPROBE_CACHE", str(root))
        patch.setenv("SAEPROBE_BASELINES", str(root / "no-shipped-baselines"))
        yield root


@pytest.fixture(autouse=True)
def isolated_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Every test writes caches under one temporary root, never the user's ~/.cache, and
    computes its baselines: none is restored from the shipped ones unless the test says so."""
    root = tmp_path_factory.getbasetemp() / "saeprobe-cache"
    monkeypatch.setenv("SAEPROBE_CACHE", str(root))
    monkeypatch.setenv("SAEPROBE_BASELINES", str(root / "no-shipped-baselines"))
    return root


@pytest.fixture(autouse=True)
def seeded() -> None:
    torch.manual_seed(0)


def make_char_tokenizer():  # type: ignore[no-untyped-def]
    """A character-level fast tokenizer that prepends BOS, like Gemma's or Llama's."""
    from tokenizers import Regex, Tokenizer, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    symbols = ["<pad>", "<bos>", "<unk>", *(string.printable[:95])]
    vocab = {symbol: index for index, symbol in enumerate(dict.fromkeys(symbols))}
    backend = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    backend.pre_tokenizer = pre_tokenizers.Split(Regex("."), behavior="isolated")
    backend.post_processor = processors.TemplateProcessing(
        single="<bos> $A", special_tokens=[("<bos>", vocab["<bos>"])]
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=backend, bos_token="<bos>", pad_token="<pad>", unk_token="<unk>"
    )


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A saved tiny random LlamaForCausalLM folder (config, safetensors, tokenizer)."""
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    tokenizer = make_char_tokenizer()
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=TINY_LAYERS,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=512,
        bos_token_id=tokenizer.bos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    model = LlamaForCausalLM(config)
    folder = tmp_path_factory.mktemp("tiny-llama")
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


@pytest.fixture(scope="session")
def tiny_sae_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SAELens StandardSAE for the tiny model's layer 1 (d_in 32, 64 latents), saved by
    SAELens itself."""
    from sae_lens import StandardSAE, StandardSAEConfig

    torch.manual_seed(0)
    config = StandardSAEConfig(d_in=32, d_sae=64)
    config.metadata.hook_name = "blocks.1.hook_resid_post"
    sae = StandardSAE(config)
    with torch.no_grad():
        sae.W_enc.normal_(0, 0.3)
        sae.b_enc.fill_(-0.1)
    folder = tmp_path_factory.mktemp("tiny-sae")
    sae.save_model(folder)
    return folder
