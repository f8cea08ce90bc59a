"""End to end on the embedded SmolLM2-135M: convert the packaged GGUF, extract two small
datasets through the CLI, and check the cached rows against a direct transformers forward pass.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from benchmark.activations.catalog import DEFAULT_MODEL
from benchmark.activations.extract import ExtractionSettings, iter_last_token
from benchmark.activations.hooks import Hook
from benchmark.activations.models import LoadedModel, load_model, resolve_model
from benchmark.activations.pipeline import space_for
from benchmark.activations.store import ActivationStore
from benchmark.cli.main import main
from benchmark.protocols.protocol import load_protocol
from datasets_registry.load import load_labeled
from datasets_registry.spec import get_spec

pytestmark = pytest.mark.slow
DATASETS = ["117_us_state_FL", "119_us_state_TX"]
HOOK = "blocks.15.hook_resid_post"


def test_extract_two_datasets_on_the_embedded_model(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["activations", "extract", "--no-progress", "--json"]
    for dataset_id in DATASETS:
        argv += ["--dataset", dataset_id]
    assert main(argv) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["datasets"] == 2 and report["prompts_computed"] > 1500

    ref = resolve_model(DEFAULT_MODEL)
    settings = ExtractionSettings(max_length=load_protocol("v1").activations.max_length)
    space = space_for(ActivationStore(), ref, Hook.parse(HOOK), settings, "bf16")
    loaded = load_model(ref, dtype="bf16")
    assert loaded.n_layers == 30 and loaded.d_model == 576
    for dataset_id in DATASETS:
        data = load_labeled(get_spec(dataset_id))
        cached = space.load(data)
        assert cached.shape == (len(data), 576) and np.isfinite(cached).all()
        for row in (0, len(data) // 2, len(data) - 1):
            direct = direct_last_token(loaded, data.prompts[row])
            # bf16 batched vs one-prompt passes: rounding differs, measured <= 1.9% relative
            assert relative_error(cached[row], direct) < 0.03
            assert cosine(cached[row], direct) > 0.999

    assert main(argv) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["prompts_computed"] == 0 and again["datasets_cached"] == 2


def direct_last_token(loaded: LoadedModel, prompt: str) -> np.ndarray:
    ids = loaded.tokenizer(prompt, return_tensors="pt").input_ids
    with torch.no_grad():
        hidden = loaded.model(ids, output_hidden_states=True).hidden_states[16]
    return hidden[0, -1].float().numpy()


def relative_error(got: np.ndarray, expected: np.ndarray) -> float:
    return float(np.linalg.norm(got - expected) / np.linalg.norm(expected))


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))


def test_fp32_batched_extraction_matches_direct_passes_on_the_embedded_model() -> None:
    loaded = load_model(resolve_model(DEFAULT_MODEL), dtype="fp32")
    prompts = list(load_labeled(get_spec("119_us_state_TX")).prompts[:40])
    for indices, rows in iter_last_token(loaded, Hook.parse(HOOK), prompts, ExtractionSettings()):
        for index, row in zip(indices, rows, strict=True):
            np.testing.assert_allclose(row, direct_last_token(loaded, prompts[index]), atol=1e-4)


def test_converted_model_matches_the_gguf_load() -> None:
    from transformers import AutoModelForCausalLM

    from benchmark.activations.catalog import EMBEDDED
    from datasets_registry.package_files import package_dir

    spec = EMBEDDED[DEFAULT_MODEL]
    folder = package_dir(spec.package, "")
    reference = AutoModelForCausalLM.from_pretrained(
        str(folder), gguf_file=spec.gguf_file, dtype=torch.float32
    )
    converted = load_model(resolve_model(DEFAULT_MODEL), dtype="fp32").model
    ids = torch.tensor([[1, 504, 3458, 282, 4649, 314]])
    with torch.no_grad():
        assert torch.equal(converted(ids).logits, reference(ids).logits)
