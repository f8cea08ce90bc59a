"""Extraction throughput on the embedded model versus bare forward loops at the same batch size.

    python benchmarks/extraction_speed.py [--prompts 512] [--batch-sizes 8 32 64]
                                          [--dtypes bf16 fp32] [--device cpu|cuda]

For each dtype and batch size, on the same prompts (two datasets: short and ~120-token prompts):
  saeprobe  the harness's extraction (length buckets, right padding, cut at the hook)
  bare-cut  a plain loop over the prompts in order, tokenizer padding, layers 0..L only
  bare-full a plain loop running the whole base model (all 30 layers, no LM head)
Tokens/s counts real (non-pad) tokens.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import torch

from benchmark.activations.catalog import DEFAULT_MODEL, EMBEDDED
from benchmark.activations.extract import ExtractionSettings, count_tokens, iter_last_token
from benchmark.activations.hooks import Hook, decoder_layers
from benchmark.activations.models import LoadedModel, load_model, resolve_model
from datasets_registry.load import load_labeled
from datasets_registry.spec import get_spec

DATASETS = {"short (sciq_tf)": "36_sciq_tf", "long (wikidata)": "56_wikidatasex_or_gender"}


def timed(run: Callable[..., None], *args: object) -> float:
    started = time.perf_counter()
    run(*args)
    return time.perf_counter() - started


def bare_loop(
    loaded: LoadedModel, prompts: list[str], batch_size: int, n_layers: int, device: str
) -> None:
    layers = decoder_layers(loaded.model)
    kept = torch.nn.ModuleList(list(layers)[:n_layers])
    base = loaded.model.model
    original = base.layers
    base.layers = kept
    try:
        with torch.inference_mode():
            for start in range(0, len(prompts), batch_size):
                encoded = loaded.tokenizer(
                    prompts[start : start + batch_size], return_tensors="pt", padding=True
                ).to(device)
                base(**encoded, use_cache=False)
    finally:
        base.layers = original


def harness(
    loaded: LoadedModel, hook: Hook, prompts: list[str], batch_size: int, device: str
) -> None:
    settings = ExtractionSettings(batch_size=batch_size, device=device)
    for _ in iter_last_token(loaded, hook, prompts, settings):
        pass


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--prompts", type=int, default=512)
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[8, 32, 64])
    parser.add_argument("--dtypes", nargs="+", default=["bf16", "fp32"])
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    device = args.device
    torch.set_num_threads(torch.get_num_threads())
    hook = Hook.parse(EMBEDDED[DEFAULT_MODEL].default_hook)
    ref = resolve_model(DEFAULT_MODEL)
    print(f"torch threads: {torch.get_num_threads()}; hook {hook.name}; device {device}")
    header = ["prompts", "dtype", "batch", "saeprobe", "bare-cut", "bare-full"]
    print("{:<18}{:<6}{:>6}{:>11}{:>11}{:>11}  (tok/s)".format(*header))
    for dtype in args.dtypes:
        loaded = load_model(ref, dtype=dtype, device=device)
        for label, dataset_id in DATASETS.items():
            prompts = list(load_labeled(get_spec(dataset_id)).prompts[: args.prompts])
            tokens = count_tokens(loaded.tokenizer, prompts, 1024)
            harness(loaded, hook, prompts[:32], 8, device)  # warm-up
            for size in args.batch_sizes:
                ours = tokens / timed(harness, loaded, hook, prompts, size, device)
                cut = tokens / timed(bare_loop, loaded, prompts, size, hook.layer + 1, device)
                full = tokens / timed(bare_loop, loaded, prompts, size, loaded.n_layers, device)
                row = [label, dtype, size, ours, cut, full]
                print("{:<18}{:<6}{:>6}{:>11.0f}{:>11.0f}{:>11.0f}".format(*row), flush=True)


if __name__ == "__main__":
    main()
