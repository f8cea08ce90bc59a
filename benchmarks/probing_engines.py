"""Time the logistic probes of one SAE through the five regimes with the batched torch engine
and with the scikit-learn reference, on the same cells.

    python benchmarks/probing_engines.py [--sae FOLDER] [--datasets 2] [--device cpu]

Only the probes the engines differ on run (the L2 logistic baseline and the SAE probes); the
other baselines do not use a logistic solver. Without --sae, an untrained SAELens StandardSAE
(4x width, seeded) stands in. Prints per regime and in total: the time of each engine, the
ratio, the largest test-AUC difference and how many selections differ.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
import torch
from threadpoolctl import threadpool_limits

from benchmark.activations.hooks import Hook
from benchmark.activations.models import DEFAULT_MODEL, EMBEDDED, resolve_model
from benchmark.probes.registry import baseline_families
from benchmark.probes.sae_probe import sae_family, sae_k_values
from benchmark.probes.search import run_family
from benchmark.protocols.protocol import load_protocol
from benchmark.regimes.cells import REGIMES
from benchmark.regimes.generate import dataset_cells
from benchmark.run import RunContext, cell_matrices, load_suite_arrays
from benchmark.saes.load import LoadedSAE, load_sae_folder
from benchmark.selection import plan_validation
from datasets_registry.suites import Suite, get_suite


def untrained_sae(d_in: int, hook: str) -> Path:
    from sae_lens import StandardSAE, StandardSAEConfig

    torch.manual_seed(0)
    config = StandardSAEConfig(d_in=d_in, d_sae=4 * d_in)
    config.metadata.hook_name = hook
    sae = StandardSAE(config)
    with torch.no_grad():
        sae.W_enc.normal_(0, d_in**-0.5)
        sae.b_enc.fill_(-1.0)
    folder = Path(tempfile.mkdtemp(prefix="untrained-sae-"))
    sae.save_model(folder)
    return folder


def time_cells(ctx: RunContext, arrays: list, sae: LoadedSAE, engine: str) -> dict:  # type: ignore[type-arg]
    """{(regime): seconds} and {(cell key, method): (test AUC, params)} for one engine."""
    logistic = baseline_families(ctx.protocol, ("logistic",))[0]
    seconds: dict[str, float] = defaultdict(float)
    results = {}
    for item in arrays:
        latents = sae.encode(np.asarray(item.X))
        latents_ood = sae.encode(np.asarray(item.X_ood)) if item.X_ood is not None else None
        for split in dataset_cells(item.data, item.ood, ctx.protocol, list(REGIMES)):
            plan = plan_validation(split.train_labels, ctx.protocol.selection, split.cell.seed)
            ks = [
                k for k in sae_k_values(ctx.protocol.sae_probe, split.cell.regime) if k <= sae.d_sae
            ]
            jobs = [(logistic, cell_matrices(split, item.X, item.X_ood))]
            jobs += [
                (sae_family(ctx.protocol.sae_probe, k), cell_matrices(split, latents, latents_ood))
                for k in ks
            ]
            for family, (X_train, X_test) in jobs:
                started = time.perf_counter()
                with threadpool_limits(limits=1):
                    outcome = run_family(
                        family,
                        X_train,
                        split.train_labels,
                        X_test,
                        split.test_labels,
                        plan,
                        engine,
                        ctx.device,
                    )  # type: ignore[arg-type]
                seconds[split.cell.regime] += time.perf_counter() - started
                results[(split.cell.key, family.name)] = (
                    outcome.test_auc,
                    outcome.params.get("C"),
                    outcome.val_auc,
                )
    return {"seconds": seconds, "results": results}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sae", type=Path)
    parser.add_argument(
        "--datasets", type=int, default=2, help="first N datasets of the demo suite"
    )
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    hook = EMBEDDED[DEFAULT_MODEL].default_hook
    ctx = RunContext(
        resolve_model(DEFAULT_MODEL),
        Hook.parse(hook),
        load_protocol("v1"),
        device=args.device,
        progress=False,
    )
    demo = get_suite("demo")
    subset = Suite(
        name="bench",
        description="",
        datasets=demo.specs_ids()[: args.datasets],
        max_rows=demo.max_rows,
    )
    arrays = load_suite_arrays(ctx, subset)
    sae = load_sae_folder(args.sae or untrained_sae(arrays[0].X.shape[1], hook), device=args.device)
    print(f"{args.datasets} demo datasets, SAE {sae.architecture} d_sae={sae.d_sae}")
    print(f"device {args.device}")
    runs = {engine: time_cells(ctx, arrays, sae, engine) for engine in ("sklearn", "batched")}
    print(f"{'regime':<16}{'sklearn s':>11}{'batched s':>11}{'ratio':>8}")
    for regime in REGIMES:
        a, b = runs["sklearn"]["seconds"][regime], runs["batched"]["seconds"][regime]
        print(f"{regime:<16}{a:>11.1f}{b:>11.1f}{a / b:>8.2f}")
    total_a, total_b = (sum(runs[e]["seconds"].values()) for e in ("sklearn", "batched"))
    ratio = total_a / total_b
    print(f"{'total':<16}{total_a:>11.1f}{total_b:>11.1f}{ratio:>8.2f}  (sklearn / batched)")
    reference, batched = runs["sklearn"]["results"], runs["batched"]["results"]
    differences = [abs(reference[key][0] - batched[key][0]) for key in reference]
    changed = sum(reference[key][1] != batched[key][1] for key in reference)
    print(f"largest |test AUC difference| {max(differences):.4g} over {len(differences)} probes; "
          f"{changed} selections of C differ")  # fmt: skip
    print("largest differences (probe: C and validation / test AUC, sklearn vs batched):")
    worst = sorted(reference, key=lambda key: -abs(reference[key][0] - batched[key][0]))[:8]
    for key in worst:
        (ta, ca, va), (tb, cb, vb) = reference[key], batched[key]
        print(
            f"  {key[0]} {key[1]}: C {ca:.3g} vs {cb:.3g}, val {va:.4f} vs {vb:.4f}, "
            f"test {ta:.4f} vs {tb:.4f}"
        )


if __name__ == "__main__":
    main()
