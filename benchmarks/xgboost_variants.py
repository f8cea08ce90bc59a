"""What a cheaper XGBoost baseline would cost in results: v1's search (ten seeded random
configurations, each fit at its own number of trees, histograms of 64 bins) against variants of
it, on the same cells, in one run, one BLAS thread. The searched space stays v1's in every
variant; what changes is the histogram's bin count (a fixed setting, like v1's move from
XGBoost's default 256 to 64). Per variant: CPU seconds, how
many cells choose another configuration, how far XGBoost's test AUC moves (the configuration
picked by validation, refit on all training rows), and in how many cells the best baseline by
validation AUC (the other four families taken from the cached v1 baseline records) changes,
and by how much its test AUC moves. A decision record for a baseline protocol, not a result.

    python benchmarks/xgboost_variants.py [--datasets ID ...] [--regimes R ...]
                                          [--variants NAME ...]

Needs the demo's cached activations and v1's baseline records in the cache (shipped).
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
from threadpoolctl import threadpool_limits

from benchmark.activations.catalog import DEFAULT_MODEL, EMBEDDED
from benchmark.activations.hooks import Hook
from benchmark.activations.models import resolve_model
from benchmark.probes.base import Family
from benchmark.probes.search import ProbeOutcome, select_and_score
from benchmark.probes.xgboost_probe import xgboost_family
from benchmark.protocols.protocol import XGBoostRules, load_protocol
from benchmark.regimes.generate import dataset_cells
from benchmark.results.baselines import baselines_dir
from benchmark.results.comparisons import Scored, pick
from benchmark.results.schema import CellResult
from benchmark.results.store import load_record, record_path
from benchmark.run.cells import cell_matrices
from benchmark.run.context import RunContext, load_suite_arrays
from benchmark.selection import plan_validation
from datasets_registry.suites import select_suite

DATASETS = ["5_hist_fig_ismale", "87_glue_cola"]
LAST_TOKEN = ["normal", "scarcity", "imbalance", "label_noise", "covariate_shift"]


def variants(rules: XGBoostRules) -> dict[str, Family]:
    """v1's family, then the same search on coarser histograms."""
    return {
        "v1 (64 bins)": xgboost_family(rules),
        **{
            f"{bins} bins": xgboost_family(rules.model_copy(update={"max_bin": bins}))
            for bins in (32, 16, 8)
        },
    }


def best_baseline(others: list[Scored], xgboost: ProbeOutcome) -> float:
    """The test AUC of the best baseline by validation AUC (ties: their mean)."""
    return pick(
        [*others, Scored("xgboost", xgboost.val_auc, xgboost.test_auc)], set(), "mean"
    ).test_auc


@dataclass
class Tally:
    seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    other_params: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    moves: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    best_moves: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    unlike_cache: int = 0  # cells where v1 here differs from the cached v1 record

    def add(self, found: dict[str, ProbeOutcome], others: list[Scored], cached: float) -> None:
        v1 = found["v1 (64 bins)"]
        self.unlike_cache += abs(v1.test_auc - cached) > 1e-6
        for name, outcome in found.items():
            self.other_params[name] += outcome.params | {"max_bin": 0} != v1.params | {"max_bin": 0}
            self.moves[name].append(outcome.test_auc - v1.test_auc)
            self.best_moves[name].append(best_baseline(others, outcome) - best_baseline(others, v1))

    def report(self) -> None:
        print(
            "| variant | CPU s | vs v1 | cells with another configuration | XGBoost's test AUC "
            "moves (mean abs / mean / max abs) | cells whose best baseline moves | its test AUC "
            "moves (mean / max abs) |"
        )
        print("|---|---:|---:|---:|---:|---:|---:|")
        reference = self.seconds["v1 (64 bins)"]
        for name, moves in self.moves.items():
            move, best = np.array(moves), np.array(self.best_moves[name])
            moved = int((np.abs(best) > 1e-6).sum())
            print(
                f"| {name} | {self.seconds[name]:.1f} | {reference / self.seconds[name]:.2f}x | "
                f"{self.other_params[name]} | {np.abs(move).mean():.4f} / {move.mean():+.4f} / "
                f"{np.abs(move).max():.4f} | {moved} | {best.mean():+.4f} / "
                f"{np.abs(best).max():.4f} |",
                flush=True,
            )


def cached(cell: CellResult) -> tuple[list[Scored], float]:
    """The other four families' (val AUC, test AUC) in the cached v1 baseline cell, and
    XGBoost's test AUC there."""
    others = [
        Scored.of(m.method, m.val_auc, m.test_auc) for m in cell.methods if m.method != "xgboost"
    ]
    (xgboost,) = [m.test_auc for m in cell.methods if m.method == "xgboost"]
    return others, xgboost


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", nargs="+", default=DATASETS)
    parser.add_argument("--regimes", nargs="+", default=LAST_TOKEN)
    parser.add_argument("--variants", nargs="+", help="names to run (v1 always runs); all if unset")
    args = parser.parse_args()

    protocol = load_protocol("v1")
    ref = resolve_model(DEFAULT_MODEL)
    hook = Hook.parse(EMBEDDED[DEFAULT_MODEL].default_hook)
    ctx = RunContext(ref, hook, protocol, progress=False)
    families = {
        name: family
        for name, family in variants(protocol.baselines.xgboost).items()
        if name.startswith("v1") or not args.variants or name in args.variants
    }
    records = baselines_dir(ref, hook.name, protocol)
    tally, cells = Tally(), 0
    for dataset in args.datasets:
        (item,) = load_suite_arrays(ctx, select_suite("demo", [dataset]))
        regimes = [r for r in args.regimes if r != "covariate_shift" or item.ood is not None]
        for regime in regimes:
            record = load_record(record_path(records, dataset, item.data_key("bf16"), regime))
            assert record is not None, f"no cached v1 baselines for {dataset} {regime}"
            recorded = {cell.key: cell for cell in record.cells}
            for split in dataset_cells(item.data, item.ood, protocol, [regime]):
                X_train, X_test = cell_matrices(split, item.X, item.X_ood)
                plan = plan_validation(split.train_labels, protocol.selection, split.cell.seed)
                found = {}
                for name, family in families.items():
                    started = time.process_time()
                    with threadpool_limits(limits=1):
                        found[name] = select_and_score(
                            family, X_train, split.train_labels, X_test, split.test_labels, plan
                        )
                    tally.seconds[name] += time.process_time() - started
                tally.add(found, *cached(recorded[split.cell.key]))
                cells += 1
    print(f"{cells} cells; v1 here differs from the cached v1 record in {tally.unlike_cache}")
    tally.report()


if __name__ == "__main__":
    main()
