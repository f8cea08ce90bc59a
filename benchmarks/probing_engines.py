"""Time the logistic probes of one SAE through the five last-token regimes with the
scikit-learn reference and with the batched torch engine, on the same cells.

    python benchmarks/probing_engines.py [--sae FOLDER] [--datasets 2] [--device cpu]

Three engines: ``sklearn`` (one estimator per candidate and fold), ``batched`` (one solve per
cell: every C x fold x probe of the cell) and ``batched-regime`` (one solve per regime: every
C x fold x probe x cell, chunked under a memory budget). Only the probes the engines differ on
run (the L2 logistic baseline and the SAE probes); the other baselines do not use a logistic
solver. Without --sae, an untrained SAELens StandardSAE (4x width, seeded) stands in. Prints per
regime and in total: the time of each engine, the ratio of scikit-learn to the fastest batched
form, the largest test-AUC difference and how many selections differ.
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

from benchmark.activations.catalog import DEFAULT_MODEL, EMBEDDED
from benchmark.activations.hooks import Hook
from benchmark.activations.models import resolve_model
from benchmark.probes.registry import baseline_families
from benchmark.probes.sae_probe import sae_family, sae_k_values
from benchmark.probes.search import Search, choose_all, refit_and_score
from benchmark.protocols.protocol import load_protocol
from benchmark.regimes.cells import REGIMES
from benchmark.regimes.generate import dataset_cells
from benchmark.run.cells import cell_matrices
from benchmark.run.context import RunContext, load_suite_arrays
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


ENGINES = ("sklearn", "batched", "batched-regime")
FIVE = tuple(r for r in REGIMES if r != "multitoken")  # last-token regimes


def regime_searches(ctx: RunContext, item, sae: LoadedSAE, regime: str) -> list:  # type: ignore[no-untyped-def, type-arg]
    """(cell key, family, training and test matrices, labels, plan) of every probe the engines
    differ on (the L2 logistic baseline and the SAE probes) on the regime's cells."""
    logistic = baseline_families(ctx.protocol, ("logistic",))[0]
    latents = sae.encode(np.asarray(item.X))
    latents_ood = sae.encode(np.asarray(item.X_ood)) if item.X_ood is not None else None
    probes = []
    for split in dataset_cells(item.data, item.ood, ctx.protocol, [regime]):
        plan = plan_validation(split.train_labels, ctx.protocol.selection, split.cell.seed)
        ks = sae_k_values(ctx.protocol.sae_probe, regime, sae.d_sae)
        families = [(logistic, cell_matrices(split, item.X, item.X_ood))]
        families += [
            (sae_family(ctx.protocol.sae_probe, k), cell_matrices(split, latents, latents_ood))
            for k in ks
        ]
        probes += [(split, family, train, test, plan) for family, (train, test) in families]
    return probes


def time_cells(ctx: RunContext, arrays: list, sae: LoadedSAE, engine: str) -> dict:  # type: ignore[type-arg]
    """{regime: seconds} and {(cell key, method): (test AUC, C, val AUC)} for one engine:
    ``sklearn`` and ``batched`` select per cell (batched: all of a cell's probes in one solve),
    ``batched-regime`` selects every probe of a regime's cells in one solve."""
    seconds: dict[str, float] = defaultdict(float)
    results = {}
    for item in arrays:
        for regime in FIVE:
            probes = regime_searches(ctx, item, sae, regime)
            started = time.perf_counter()
            with threadpool_limits(limits=1):
                chosen = choose_for(probes, engine, ctx.device)
                for (split, family, train, test, _), choice in zip(probes, chosen, strict=True):
                    outcome = refit_and_score(
                        family, choice, train, split.train_labels, test, split.test_labels
                    )
                    results[(split.cell.key, family.name)] = (
                        outcome.test_auc,
                        outcome.params.get("C"),
                        outcome.val_auc,
                    )
            seconds[regime] += time.perf_counter() - started
    return {"seconds": seconds, "results": results}


def choose_for(probes: list, engine: str, device: str) -> list:  # type: ignore[type-arg]
    searches = [Search(family, train, split.train_labels, plan)
                for split, family, train, _, plan in probes]  # fmt: skip
    if engine == "batched-regime":
        return choose_all(searches, "batched", device)
    chosen = []
    by_cell: dict[str, list[Search]] = defaultdict(list)
    for (split, *_), search in zip(probes, searches, strict=True):
        by_cell[split.cell.key].append(search)
    for cell_searches in by_cell.values():  # probes are grouped by cell, in order
        chosen += choose_all(cell_searches, engine, device)  # type: ignore[arg-type]
    return chosen


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sae", type=Path)
    parser.add_argument(
        "--datasets", type=int, default=2, help="first N datasets of the demo suite"
    )
    parser.add_argument("--device", default="cpu")
    parser.add_argument(
        "--engines", nargs="+", choices=ENGINES[1:], default=list(ENGINES[1:]),
        help="batched forms to time against scikit-learn (default: both)",
    )  # fmt: skip
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
    engines = ["sklearn", *args.engines]
    runs = {engine: time_cells(ctx, arrays, sae, engine) for engine in engines}
    print(f"{'regime':<16}" + "".join(f"{e + ' s':>18}" for e in engines) + f"{'best ratio':>12}")
    for regime in FIVE:
        times = [runs[e]["seconds"][regime] for e in engines]
        print(f"{regime:<16}" + "".join(f"{t:>18.1f}" for t in times)
              + f"{times[0] / min(times[1:]):>12.2f}")  # fmt: skip
    totals = [sum(runs[e]["seconds"].values()) for e in engines]
    print(f"{'total':<16}" + "".join(f"{t:>18.1f}" for t in totals)
          + f"{totals[0] / min(totals[1:]):>12.2f}  (sklearn / fastest batched)")  # fmt: skip
    reference = runs["sklearn"]["results"]
    for engine in engines[1:]:
        compare(reference, runs[engine]["results"], engine)


def compare(reference: dict, batched: dict, engine: str) -> None:  # type: ignore[type-arg]
    differences = [abs(reference[key][0] - batched[key][0]) for key in reference]
    changed = sum(reference[key][1] != batched[key][1] for key in reference)
    print(f"{engine}: largest |test AUC difference| {max(differences):.4g} over "
          f"{len(differences)} probes; {changed} selections of C differ")  # fmt: skip
    print("  largest differences (probe: C and validation / test AUC, sklearn vs batched):")
    worst = sorted(reference, key=lambda key: -abs(reference[key][0] - batched[key][0]))[:5]
    for key in worst:
        (ta, ca, va), (tb, cb, vb) = reference[key], batched[key]
        print(
            f"    {key[0]} {key[1]}: C {ca:.3g} vs {cb:.3g}, val {va:.4f} vs {vb:.4f}, "
            f"test {ta:.4f} vs {tb:.4f}"
        )


if __name__ == "__main__":
    main()
