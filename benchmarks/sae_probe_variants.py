"""What a faster SAE probe would cost in results: the lean search under v1's SAE-probe rules
against variants of them (fewer liblinear iterations, a C grid without its weakest penalties,
that grid only above some training size), on the same cells, in one run, one BLAS thread. Per
variant: CPU seconds, how many probes choose another C, how far the test AUC of the probe a
practitioner would pick (best validation AUC among the k values) moves, and how many such picks
are constant (test AUC exactly 0.5: no candidate beat chance in validation and the picked probe
kept no weight). A decision record for protocols v2 and v3, not a result.

    python benchmarks/sae_probe_variants.py [--submission ref-topk-2048] [--datasets ID ...]
                                            [--regimes R ...]

Needs the demo's cached activations and the submission's control in the cache.
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

import numpy as np
from scipy import sparse
from threadpoolctl import threadpool_limits

from benchmark.activations.catalog import DEFAULT_MODEL, EMBEDDED
from benchmark.activations.hooks import Hook
from benchmark.activations.models import resolve_model
from benchmark.probes.sae_probe import sae_k_values
from benchmark.probes.sae_search import SAEProbeSearch
from benchmark.probes.search import ProbeOutcome
from benchmark.protocols.protocol import SAEProbeRules, load_protocol
from benchmark.regimes.cells import CellSplit
from benchmark.regimes.generate import dataset_cells
from benchmark.results.comparisons import Scored, pick
from benchmark.run.cells import cell_rows
from benchmark.run.context import RunContext, load_suite_arrays
from benchmark.saes.load import load_sae_folder
from benchmark.selection import ValidationPlan, plan_validation
from benchmark.submissions.intake import open_submission
from benchmark.workflows.evaluate import control_of
from datasets_registry.load import PACKAGED
from datasets_registry.suites import select_suite

DATASETS = ["5_hist_fig_ismale", "87_glue_cola"]
LAST_TOKEN = ["normal", "scarcity", "imbalance", "label_noise", "covariate_shift"]


Variant = Callable[[int], SAEProbeRules]
"""The SAE probe's rules for a cell with this many training rows."""

SMALL_TRAIN = 16  # constant picks are counted apart in cells of at most this many rows


def variants(rules: SAEProbeRules) -> dict[str, Variant]:
    """v1's rules, one change at a time, then the protocols v2 and v3 as their files say."""
    weak = max(c for c in rules.C if c <= 50)
    capped = rules.model_copy(update={"C": [c for c in rules.C if c <= weak]})
    v2, v3 = load_protocol("v2").sae_probe, load_protocol("v3").sae_probe
    return {
        "v1": lambda _n: rules,
        "max_iter 25": lambda _n: rules.model_copy(update={"max_iter": 25}),
        f"C <= {weak:.3g}": lambda _n: capped,
        "v2 (both)": lambda _n: v2,
        f"v2, v1's grid up to {SMALL_TRAIN} rows": partial(v1_grid_up_to, rules, v2, SMALL_TRAIN),
        "v2, v1's grid up to 127 rows": partial(v1_grid_up_to, rules, v2, 127),
        "v3 (v1 up to 127 rows, v2 above)": lambda _n: v3,
    }


def v1_grid_up_to(v1: SAEProbeRules, v2: SAEProbeRules, rows: int, n: int) -> SAEProbeRules:
    return v2.model_copy(update={"C": v1.C}) if n <= rows else v2


def picked_auc(outcomes: list[ProbeOutcome]) -> float:
    return pick([Scored(o.method, o.val_auc, o.test_auc) for o in outcomes], set(), "mean").test_auc


@dataclass
class Tally:
    """Per variant: CPU seconds, probes choosing another C than v1, and per cell the arm, the
    training rows, the picked probe's test AUC and its move from v1's."""

    seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    other_C: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    cells: dict[str, list[tuple[str, int, float, float]]] = field(
        default_factory=lambda: defaultdict(list)
    )

    def add(self, arm: str, n: int, found: dict[str, list[ProbeOutcome]]) -> None:
        reference = picked_auc(found["v1"])
        for name, outcomes in found.items():
            self.other_C[name] += sum(
                a.params.get("C") != b.params.get("C")
                for a, b in zip(found["v1"], outcomes, strict=True)
            )
            auc = picked_auc(outcomes)
            self.cells[name].append((arm, n, auc, auc - reference))

    def constant(self, name: str, arm: str, small: bool) -> int:
        return sum(
            auc == 0.5 and a == arm and (n <= SMALL_TRAIN) == small
            for a, n, auc, _ in self.cells[name]
        )

    def report(self) -> None:
        print(
            "| variant | CPU s | vs v1 | probes with another C | picked probe's test AUC moves "
            f"(mean abs / mean / max abs) | constant picks, SAE / control, <= {SMALL_TRAIN} "
            "rows | the same, more rows |"
        )
        print("|---|---:|---:|---:|---:|---:|---:|")
        for name, cells in self.cells.items():
            move = np.array([m for *_, m in cells])
            small = [self.constant(name, arm, True) for arm in ("sae", "control")]
            large = [self.constant(name, arm, False) for arm in ("sae", "control")]
            print(
                f"| {name} | {self.seconds[name]:.1f} | "
                f"{self.seconds['v1'] / self.seconds[name]:.2f}x | {self.other_C[name]} | "
                f"{np.abs(move).mean():.4f} / {move.mean():+.4f} / {np.abs(move).max():.4f} | "
                f"{small[0]} / {small[1]} | {large[0]} / {large[1]} |"
            )


def run_variants(
    rules: dict[str, Variant],
    split: CellSplit,
    Z_train: sparse.csr_matrix,
    Z_test: sparse.csr_matrix,
    plan: ValidationPlan,
    ks: list[int],
    tally: Tally,
) -> dict[str, list[ProbeOutcome]]:
    found = {}
    for name, variant in rules.items():
        started = time.process_time()
        with threadpool_limits(limits=1):
            found[name] = SAEProbeSearch(variant(len(split.train_labels)), ks).run(
                Z_train, split.train_labels, Z_test, split.test_labels, plan
            )
        tally.seconds[name] += time.process_time() - started
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--submission", default="ref-topk-2048")
    parser.add_argument("--datasets", nargs="+", default=DATASETS)
    parser.add_argument("--regimes", nargs="+", default=LAST_TOKEN)
    parser.add_argument("--variants", nargs="+", help="names to run (v1 always runs); all if unset")
    args = parser.parse_args()

    protocol = load_protocol("v1")
    hook = Hook.parse(EMBEDDED[DEFAULT_MODEL].default_hook)
    ctx = RunContext(resolve_model(DEFAULT_MODEL), hook, protocol, progress=False)
    sae = load_sae_folder(open_submission(args.submission).sae_folder())
    arms = {"sae": sae, "control": control_of(ctx, sae, PACKAGED)}
    rules = {
        name: variant
        for name, variant in variants(protocol.sae_probe).items()
        if name == "v1" or not args.variants or name in args.variants
    }
    tally = Tally()
    for dataset in args.datasets:
        (item,) = load_suite_arrays(ctx, select_suite("demo", [dataset]))
        for arm, model in arms.items():
            Z = model.encode_sparse(np.asarray(item.X))
            Z_ood = model.encode_sparse(np.asarray(item.X_ood)) if item.X_ood is not None else None
            regimes = [r for r in args.regimes if r != "covariate_shift" or Z_ood is not None]
            for split in dataset_cells(item.data, item.ood, protocol, regimes):
                Z_train, Z_test = cell_rows(split, Z, Z_ood)
                plan = plan_validation(split.train_labels, protocol.selection, split.cell.seed)
                ks = sae_k_values(protocol.sae_probe, split.cell.regime, model.d_sae)
                found = run_variants(rules, split, Z_train, Z_test, plan, ks, tally)
                tally.add(arm, len(split.train_labels), found)
    print(f"{len(tally.cells['v1'])} cells")
    tally.report()


if __name__ == "__main__":
    main()
