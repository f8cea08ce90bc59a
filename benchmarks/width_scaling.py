"""Width scaling of the SAE arm: random TopK SAEs (d_in 576, k 32) of growing width through the
same cells (one demo dataset's imbalance regime, 19 cells), each width in a fresh process, one
BLAS thread. Reports CPU seconds (user + sys, the process's own) of encoding the dataset (once
per dataset in a run, shared by all its regimes) and of the probes, per cell, and peak RSS.

    python benchmarks/width_scaling.py [--widths 2048 16384 65536 262144]
                                       [--engine lean|reference] [--dataset ID] [--regime R]

``reference`` is the path before the lean search (dense float64 latents, one SAEProbe per
candidate and fold); ``lean`` is the harness's. Needs the demo's cached activations.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

import torch

D_IN, K = 576, 32


def random_topk(width: int, folder: Path) -> Path:
    from sae_lens import TopKSAE, TopKSAEConfig

    torch.manual_seed(0)
    config = TopKSAEConfig(d_in=D_IN, d_sae=width, k=K)
    config.metadata.hook_name = "blocks.15.hook_resid_post"
    sae = TopKSAE(config)
    with torch.no_grad():
        sae.W_enc.normal_(0, D_IN**-0.5)
    sae.save_model(folder)
    return folder


def one_width(width: int, engine: str, dataset: str, regime: str) -> dict[str, float]:
    """Run in a child process: the SAE arm on the cells, measured from just before encoding."""
    from threadpoolctl import threadpool_limits

    from benchmark.activations.catalog import DEFAULT_MODEL, EMBEDDED
    from benchmark.activations.hooks import Hook
    from benchmark.activations.models import resolve_model
    from benchmark.protocols.protocol import load_protocol
    from benchmark.run.context import RunContext, load_suite_arrays
    from benchmark.saes.load import load_sae_folder
    from datasets_registry.suites import select_suite

    sys.path.insert(0, str(Path(__file__).parent))
    from sae_arm import encode, run_cells

    protocol = load_protocol("v1")
    hook = Hook.parse(EMBEDDED[DEFAULT_MODEL].default_hook)
    ctx = RunContext(resolve_model(DEFAULT_MODEL), hook, protocol, progress=False)
    (item,) = load_suite_arrays(ctx, select_suite("demo", [dataset]))
    with tempfile.TemporaryDirectory() as folder:
        sae = load_sae_folder(random_topk(width, Path(folder)))
    with threadpool_limits(limits=1):
        before = resource.getrusage(resource.RUSAGE_SELF)
        latents = encode(engine, sae, item, regime, protocol)
        encoded = resource.getrusage(resource.RUSAGE_SELF)
        found = run_cells(engine, protocol, latents, item, regime, width)
        after = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "width": width,
        "cells": len(found),
        "encode_s": cpu_between(before, encoded),
        "probe_s": cpu_between(encoded, after),
        "peak_rss_gb": after.ru_maxrss / 1e6,
    }


def cpu_between(before: resource.struct_rusage, after: resource.struct_rusage) -> float:
    """User + sys CPU seconds of this process between two readings."""
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--widths", nargs="+", type=int, default=[2048, 16384, 65536, 262144])
    parser.add_argument("--engine", choices=["lean", "reference"], default="lean")
    parser.add_argument("--dataset", default="5_hist_fig_ismale")
    parser.add_argument("--regime", default="imbalance")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one_width(args.one, args.engine, args.dataset, args.regime)))
        return
    print(f"engine {args.engine}, {args.dataset} {args.regime}")
    print("| width | cells | encode CPU s | probe CPU s | per cell | vs first | peak RSS GB |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    first = None
    for width in args.widths:
        command = [sys.executable, __file__, "--one", str(width), "--engine", args.engine,
                   "--dataset", args.dataset, "--regime", args.regime]  # fmt: skip
        out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
        row = json.loads(out.strip().splitlines()[-1])
        per_cell = row["probe_s"] / row["cells"]
        first = first or per_cell
        print(
            f"| {width:,} | {row['cells']} | {row['encode_s']:.1f} | {row['probe_s']:.1f} | "
            f"{per_cell:.3f} | {per_cell / first:.2f}x | {row['peak_rss_gb']:.2f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
