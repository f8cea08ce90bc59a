"""What a faster SAE probe would cost in results: the lean search under v1's SAE-probe rules
against variants of them (fewer liblinear iterations, a C grid without its weakest penalties),
on the same cells, in one run, one BLAS thread. Per variant: CPU seconds, how many probes choose
another C, and how far the test AUC of the probe a practitioner would pick (best validation AUC
among the k values) moves. A decision record for a protocol v2, not a result.

    python benchmarks/sae_probe_variants.py [--submission ref-topk-2048] [--datasets ID ...]
                                            [--regimes R ...]

Needs the demo's cached activations and the submission's control in the cache.
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict

import numpy as np
from threadpoolctl import threadpool_limits

from benchmark.activations.catalog import DEFAULT_MODEL, EMBEDDED
from benchmark.activations.hooks import Hook
from benchmark.activations.models import resolve_model
from benchmark.probes.sae_probe import sae_k_values
from benchmark.probes.sae_search import SAEProbeSearch
from benchmark.probes.search import ProbeOutcome
from benchmark.protocols.protocol import SAEProbeRules, load_protocol
from benchmark.regimes.generate import dataset_cells
from benchmark.results.comparisons import Scored, pick
from benchmark.run.cells import cell_rows
from benchmark.run.context import RunContext, load_suite_arrays
from benchmark.saes.load import load_sae_folder
from benchmark.selection import plan_validation
from benchmark.submissions.intake import open_submission
from benchmark.workflows.evaluate import control_of
from datasets_registry.load import PACKAGED
from datasets_registry.suites import select_suite

DATASETS = ["5_hist_fig_ismale", "87_glue_cola"]
LAST_TOKEN = ["normal", "scarcity", "imbalance", "label_noise", "covariate_shift"]


def variants(rules: SAEProbeRules) -> dict[str, SAEProbeRules]:
    weak = max(c for c in rules.C if c <= 50)
    kept = [c for c in rules.C if c <= weak]
    return {
        "v1": rules,
        "max_iter 25": rules.model_copy(update={"max_iter": 25}),
        f"C <= {weak:.3g}": rules.model_copy(update={"C": kept}),
        "both": rules.model_copy(update={"max_iter": 25, "C": kept}),
    }


def picked_auc(outcomes: list[ProbeOutcome]) -> float:
    return pick([Scored(o.method, o.val_auc, o.test_auc) for o in outcomes], set(), "mean").test_auc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--submission", default="ref-topk-2048")
    parser.add_argument("--datasets", nargs="+", default=DATASETS)
    parser.add_argument("--regimes", nargs="+", default=LAST_TOKEN)
    args = parser.parse_args()

    protocol = load_protocol("v1")
    hook = Hook.parse(EMBEDDED[DEFAULT_MODEL].default_hook)
    ctx = RunContext(resolve_model(DEFAULT_MODEL), hook, protocol, progress=False)
    sae = load_sae_folder(open_submission(args.submission).sae_folder())
    arms = {"sae": sae, "control": control_of(ctx, sae, PACKAGED)}
    rules = variants(protocol.sae_probe)
    seconds: dict[str, float] = defaultdict(float)
    other_C: dict[str, int] = defaultdict(int)
    moves: dict[str, list[float]] = defaultdict(list)
    probes = 0
    for dataset in args.datasets:
        (item,) = load_suite_arrays(ctx, select_suite("demo", [dataset]))
        for model in arms.values():
            Z = model.encode_sparse(np.asarray(item.X))
            Z_ood = model.encode_sparse(np.asarray(item.X_ood)) if item.X_ood is not None else None
            regimes = [r for r in args.regimes if r != "covariate_shift" or Z_ood is not None]
            for split in dataset_cells(item.data, item.ood, protocol, regimes):
                Z_train, Z_test = cell_rows(split, Z, Z_ood)
                plan = plan_validation(split.train_labels, protocol.selection, split.cell.seed)
                ks = sae_k_values(protocol.sae_probe, split.cell.regime, model.d_sae)
                found = {}
                for name, variant in rules.items():
                    started = time.process_time()
                    with threadpool_limits(limits=1):
                        found[name] = SAEProbeSearch(variant, ks).run(
                            Z_train, split.train_labels, Z_test, split.test_labels, plan
                        )
                    seconds[name] += time.process_time() - started
                probes += len(ks)
                for name, outcomes in found.items():
                    other_C[name] += sum(
                        a.params.get("C") != b.params.get("C")
                        for a, b in zip(found["v1"], outcomes, strict=True)
                    )
                    moves[name].append(abs(picked_auc(outcomes) - picked_auc(found["v1"])))
    print(f"{len(moves['v1'])} cells, {probes} probes per variant")
    header = "| variant | CPU s | vs v1 | probes with another C | picked probe's test AUC moves |"
    print(header)
    print("|---|---:|---:|---:|---:|")
    for name in rules:
        move = np.array(moves[name])
        print(
            f"| {name} | {seconds[name]:.1f} | {seconds['v1'] / seconds[name]:.2f}x | "
            f"{other_C[name]} | {move.mean():.4f} / {move.max():.4f} |"
        )


if __name__ == "__main__":
    main()
