"""The reference suite's parts: the corpus (fixed, disjoint from benchmark prompts), all-token
activations without BOS or padding, and SAELens training of every architecture."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from benchmark.activations.hooks import Hook, capture
from benchmark.activations.models import load_model, resolve_model
from benchmark.saes.corpus import drop_overlaps, split_paragraphs, stdlib_paragraphs
from benchmark.saes.load import load_sae_folder
from benchmark.saes.recipes import TrainingSettings, recipes
from benchmark.saes.train import corpus_activations, train_suite
from benchmark.submissions.checks import check_sae_folder
from benchmark.submissions.manifest import build_manifest


def test_corpus_is_fixed_and_long_enough() -> None:
    paragraphs = stdlib_paragraphs()
    assert paragraphs == stdlib_paragraphs()
    assert len(paragraphs) > 5000 and len(set(paragraphs)) == len(paragraphs)
    assert all(len(p) >= 40 and "\n" not in p for p in paragraphs)


def test_split_paragraphs_joins_lines_and_drops_short_blocks() -> None:
    text = "A first paragraph that is long enough\nto be kept by the splitter here.\n\nshort"
    assert list(split_paragraphs([text])) == [
        "A first paragraph that is long enough to be kept by the splitter here."
    ]


def test_paragraphs_holding_a_benchmark_prompt_are_dropped() -> None:
    paragraphs = [
        "The quick brown fox jumps over the lazy dog, said the manual.",
        "Nothing to see in this paragraph about the os module at all.",
        "Also fine: Yes.",
    ]
    prompts = ["quick brown fox jumps over the lazy dog", "Yes."]  # the short one cannot match
    kept, dropped = drop_overlaps(paragraphs, prompts)
    assert kept == paragraphs[1:] and dropped == 1


def test_corpus_activations_skip_bos_and_padding(tiny_model_dir: Path) -> None:
    loaded = load_model(resolve_model(str(tiny_model_dir)), "fp32")
    hook = Hook.parse("blocks.1.hook_resid_post")
    texts = ["short one", "a somewhat longer paragraph"]
    rows = np.concatenate(list(corpus_activations(loaded, hook, texts, batch_size=2)))
    expected = []
    for text in texts:  # one at a time: no padding at all
        ids = torch.tensor([loaded.tokenizer(text)["input_ids"]])
        with torch.inference_mode(), capture(loaded.model, hook) as captured:
            hidden = captured.run(loaded.model, input_ids=ids, use_cache=False)
        expected.append(hidden[0, 1:].numpy())
    np.testing.assert_allclose(rows, np.concatenate(expected), atol=1e-5)
    assert len(rows) == sum(len(t) for t in texts)  # one row per character, BOS excluded


@pytest.mark.parametrize("name", ["relu", "topk", "batchtopk", "jumprelu", "matryoshka"])
def test_each_recipe_trains_and_saves_a_valid_sae(name: str, tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    activations = rng.normal(size=(4096, 32)).astype(np.float32)
    settings = TrainingSettings(width=64, k=4, samples=2048, batch_size=256)
    (trained,) = train_suite([(name, None)], activations, settings)
    trained.sae.save_inference_model(tmp_path)
    recipe = recipes(64, 4)[name]
    manifest = build_manifest(
        {
            "id": f"t-{name}", "display_name": name, "sae": {"folder": "sae"},
            "model": "tiny", "hook": "blocks.1.hook_resid_post",
            "architecture": recipe.architecture, "width": 64,
            "training": {"tokens": 2048, "corpus": "random"}, "authors": ["t"], "license": "MIT",
        }
    )  # fmt: skip
    check_sae_folder(tmp_path, manifest, hook_width=lambda: 32)
    loaded = load_sae_folder(tmp_path)
    latents = loaded.encode(activations[:100])
    assert latents.shape == (100, 64) and np.isfinite(latents).all()
    if name == "topk":
        assert ((latents != 0).sum(axis=1) <= 4).all()


def test_baselines_of_a_reference_not_yet_submitted_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from benchmark.cli.main import main

    monkeypatch.setenv("SAEPROBE_SUBMISSIONS", str(tmp_path))
    args = ["reference", "train", "--architectures", "topk", "--baselines", "frozen-decoder"]
    assert main(args) == 1
    assert "ref-topk-2048 is not submitted: train the reference first" in capsys.readouterr().err


def test_a_reference_claims_its_held_out_measures_and_a_random_baseline_states_them() -> None:
    from benchmark.activations.hooks import Hook
    from benchmark.saes.measure import Measured
    from benchmark.saes.train import Trained
    from benchmark.workflows.reference import manifest_fields

    settings, hook = TrainingSettings(), Hook.parse("blocks.15.hook_resid_post")
    measured = Measured(l0=53.4512, explained_variance=0.81234, rows=100, dead_fraction=0.5)
    reference = manifest_fields(Trained("relu", 1.0, None), settings, hook, measured, 10)
    assert reference["claims"] == {"l0": 53.45, "explained_variance": 0.8123}
    assert "random_baseline" not in reference
    baseline = manifest_fields(
        Trained("relu", 1.0, None, "frozen-decoder"), settings, hook, measured, 10
    )
    assert "claims" not in baseline
    assert baseline["random_baseline"] == {"of": "ref-relu-2048", "constraint": "frozen-decoder"}
    assert baseline["id"] == "ref-relu-2048-frozen-decoder"
    method = baseline["training"]["method"]
    assert method.endswith("on held-out corpus tokens L0 53.45, explained variance 0.8123")
    build_manifest({**baseline, "sae": {"folder": "sae"}})  # a valid manifest
