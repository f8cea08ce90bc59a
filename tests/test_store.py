"""The activation store: content addressing, shared prompts once, crash and resume, atomicity."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from benchmark.activations import pipeline
from benchmark.activations.catalog import ModelRef
from benchmark.activations.extract import ExtractionSettings
from benchmark.activations.hooks import Hook
from benchmark.activations.models import LoadedModel, load_model, resolve_model
from benchmark.activations.store import ActivationStore, MissingActivationsError
from benchmark.atomic_io import atomic_path, save_npy_atomic
from datasets_registry.rows import LabeledPrompts

HOOK = Hook.parse("blocks.1.hook_resid_post")
SETTINGS = ExtractionSettings(max_length=64, batch_size=4)


def dataset(name: str, prompts: list[str]) -> LabeledPrompts:
    n = len(prompts)
    return LabeledPrompts(name, "main", prompts, np.arange(n) % 2, np.arange(n))


@pytest.fixture(scope="module")
def tiny(tiny_model_dir: Path) -> tuple[ModelRef, LoadedModel]:
    ref = resolve_model(str(tiny_model_dir))
    return ref, load_model(ref, dtype="fp32")


def fill(tiny: tuple[ModelRef, LoadedModel], store: ActivationStore, data, **kw):  # type: ignore[no-untyped-def]
    ref, loaded = tiny
    return pipeline.extract_to_store(
        ref, HOOK, data, store, SETTINGS, "fp32", progress=False, loaded=loaded, **kw
    )


def space(tiny: tuple[ModelRef, LoadedModel], store: ActivationStore):  # type: ignore[no-untyped-def]
    return pipeline.space_for(store, tiny[0], HOOK, SETTINGS, "fp32")


def test_shared_prompts_are_computed_once_and_reruns_compute_nothing(tmp_path: Path, tiny) -> None:  # type: ignore[no-untyped-def]
    store = ActivationStore(tmp_path)
    first = dataset("a", [f"prompt {i}" for i in range(10)])
    second = dataset("b", [f"prompt {i}" for i in range(5, 15)] + ["prompt 5"])
    report = fill(tiny, store, [first, second])
    assert report.prompts_computed == 15
    again = fill(tiny, store, [first, second])
    assert (again.prompts_computed, again.datasets_cached) == (0, 2)
    a, b = space(tiny, store).load(first), space(tiny, store).load(second)
    assert isinstance(a, np.memmap) and a.shape == (10, 32)
    np.testing.assert_array_equal(a[5:10], b[:5])
    np.testing.assert_array_equal(b[0], b[-1])


def test_interrupted_extraction_resumes_and_matches_a_clean_run(
    tmp_path: Path,
    tiny,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
) -> None:
    data = [dataset("a", [f"row {i} " * (1 + i % 5) for i in range(40)])]
    real = pipeline.iter_last_token

    def crash_after_three_batches(*args, **kwargs) -> Iterator:  # type: ignore[no-untyped-def]
        for number, item in enumerate(real(*args, **kwargs)):
            if number == 3:
                raise RuntimeError("simulated crash")
            yield item

    monkeypatch.setattr(pipeline, "iter_last_token", crash_after_three_batches)
    store = ActivationStore(tmp_path / "resumed")
    with pytest.raises(RuntimeError, match="simulated crash"):
        fill(tiny, store, data, flush_every=4)
    assert not space(tiny, store).has(data[0])
    with pytest.raises(MissingActivationsError):
        space(tiny, store).load(data[0])
    banked = len(space(tiny, store).bank.index())
    assert 0 < banked < 40

    monkeypatch.setattr(pipeline, "iter_last_token", real)
    resumed = fill(tiny, ActivationStore(tmp_path / "resumed"), data)
    assert resumed.prompts_computed == 40 - banked
    clean = ActivationStore(tmp_path / "clean")
    fill(tiny, clean, data)
    np.testing.assert_allclose(
        space(tiny, store).load(data[0]), space(tiny, clean).load(data[0]), atol=1e-6
    )


def test_cache_key_separates_dtype_hook_and_content(tmp_path: Path, tiny) -> None:  # type: ignore[no-untyped-def]
    store = ActivationStore(tmp_path)
    ref = tiny[0]
    keys = {
        pipeline.space_for(store, ref, HOOK, SETTINGS, "fp32").directory,
        pipeline.space_for(store, ref, HOOK, SETTINGS, "bf16").directory,
        pipeline.space_for(
            store, ref, Hook.parse("blocks.0.hook_resid_post"), SETTINGS, "fp32"
        ).directory,
        pipeline.space_for(store, ref, HOOK, ExtractionSettings(max_length=32), "fp32").directory,
    }
    assert len(keys) == 4
    sp = space(tiny, store)
    assert sp.dataset_path(dataset("a", ["x", "y"])) != sp.dataset_path(dataset("a", ["y", "x"]))


def test_atomic_writes_leave_nothing_behind_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "out.npy"
    with pytest.raises(ValueError), atomic_path(target) as temporary:
        temporary.write_bytes(b"partial")
        raise ValueError("crash mid-write")
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []
    save_npy_atomic(target, np.ones((2, 3)))
    np.testing.assert_array_equal(np.load(target), np.ones((2, 3)))
