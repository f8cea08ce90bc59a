"""The CUDA path (``--device cuda``): extraction and SAE encoding on the GPU agree with the CPU.
These run where CUDA exists and are skipped elsewhere; ``benchmarks/gpu_check.sh`` measures the
same path at the demo's scale."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from test_extract import PROMPTS, extract_all

from benchmark.activations.extract import ExtractionSettings
from benchmark.activations.hooks import Hook
from benchmark.activations.models import load_model, resolve_model
from benchmark.saes.load import load_sae_folder

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")


def test_sae_encoding_on_cuda_matches_the_cpu(tiny_sae_dir: Path) -> None:
    cpu, gpu = (load_sae_folder(tiny_sae_dir, device=d) for d in ("cpu", "cuda"))
    rows = np.random.default_rng(0).normal(size=(300, cpu.d_in)).astype(np.float32)
    on_cpu, on_gpu = cpu.encode(rows), gpu.encode(rows)
    assert on_gpu.dtype == np.float32 and on_gpu.shape == on_cpu.shape
    np.testing.assert_allclose(on_gpu, on_cpu, atol=1e-4, rtol=1e-4)
    assert (gpu.encode_sparse(rows) != cpu.encode_sparse(rows)).nnz <= on_cpu.size // 1000


def test_extraction_on_cuda_matches_the_cpu(tiny_model_dir: Path) -> None:
    hook = Hook.parse("blocks.1.hook_resid_post")
    found = {}
    for device in ("cpu", "cuda"):
        loaded = load_model(resolve_model(str(tiny_model_dir)), dtype="fp32", device=device)
        found[device] = extract_all(loaded, hook, ExtractionSettings(device=device))
    assert found["cuda"].shape == (len(PROMPTS), found["cpu"].shape[1])
    np.testing.assert_allclose(found["cuda"], found["cpu"], atol=1e-4, rtol=1e-3)


def xgboost_has_cuda() -> bool:
    import xgboost

    return bool(xgboost.build_info().get("USE_CUDA"))


def test_xgboost_on_cuda_scores_like_the_cpu() -> None:
    if not xgboost_has_cuda():
        pytest.skip("this XGBoost has no CUDA build (xgboost-cpu)")
    from benchmark.probes.registry import baseline_family
    from benchmark.protocols.protocol import load_protocol

    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 40))
    y = (X[:, 0] + rng.normal(size=400) > 0).astype(int)
    protocol = load_protocol("v1")
    scores = {}
    for device in ("cpu", "cuda"):
        family = baseline_family(protocol, "xgboost", device)
        params = family.candidates(300, 40)[0]
        assert params.get("device", "cpu") == device
        scores[device] = family.estimator(params).fit(X[:300], y[:300]).decision_scores(X[300:])
    np.testing.assert_allclose(scores["cuda"], scores["cpu"], atol=0.02)
