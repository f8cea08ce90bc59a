"""CPU time of each baseline family per demo dataset through the last-token regimes: one
estimator per candidate and fold (the path before fold sharing) against the shipped search,
where candidates of a fold share its work (one SVD for PCA, one neighbour search for KNN, one
quantile matrix for XGBoost), in one run, on the same cells, one BLAS thread. Families without
shared work (logistic, MLP) run once: both paths are the same code for them.

Both paths must choose the same parameters and give the same validation and test AUCs, exactly;
the script counts cells where they do not. With --check, the quiver of baselines (the method a
practitioner would pick by validation AUC among all five families) is also compared with the
one the submission's shipped records hold (methods, and test AUC to 1e-6).

    python benchmarks/baselines.py [--datasets ID ...] [--regimes R ...]
                                   [--families F ...] [--check] [--submission ref-topk-2048]
                                   [--cells-json OUT] [--shared-only]

Needs the demo's cached activations (saeprobe activations extract --suite demo).
"""

from __future__ import annotations

import argparse
import json
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from benchmark.activations.catalog import DEFAULT_MODEL, EMBEDDED
from benchmark.activations.hooks import Hook
from benchmark.activations.models import resolve_model
from benchmark.probes.base import Family
from benchmark.probes.registry import BASELINES, baseline_family
from benchmark.probes.search import ProbeOutcome, Search, refit_and_score
from benchmark.protocols.protocol import Protocol, load_protocol
from benchmark.regimes.cells import CellSplit
from benchmark.regimes.generate import dataset_cells
from benchmark.results.comparisons import Scored, pick
from benchmark.results.store import load_record, protocol_folder, record_path
from benchmark.results.summary import submission_results
from benchmark.run.cells import cell_matrices
from benchmark.run.context import DatasetArrays, RunContext, load_suite_arrays
from benchmark.selection import fold_auc, plan_validation, select_best
from benchmark.submissions.intake import open_submission
from datasets_registry.suites import select_suite

DATASETS = ["5_hist_fig_ismale", "87_glue_cola", "66_living-room", "73_control-group"]
LAST_TOKEN = ["normal", "scarcity", "imbalance", "label_noise", "covariate_shift"]
SHARED = {"pca", "knn", "xgboost"}  # families whose candidates share a fold's work


def alone_aucs(search: Search) -> np.ndarray:
    """[candidates, folds], one estimator per candidate and fold."""
    X, y = search.X, search.y
    model = search.family.estimator
    return np.array(
        [
            [
                fold_auc(y[f.val], model(params).fit(X[f.fit], y[f.fit]).decision_scores(X[f.val]))
                for f in search.plan.folds
            ]
            for params in search.candidates
        ]
    )


def run_cell(
    path: str, family: Family, split: CellSplit, X_train: np.ndarray, X_test: np.ndarray,
    protocol: Protocol,
) -> ProbeOutcome:  # fmt: skip
    plan = plan_validation(split.train_labels, protocol.selection, split.cell.seed)
    search = Search(family, X_train, split.train_labels, plan)
    if path == "alone" and plan.searches:
        selection = select_best(alone_aucs(search))
        chosen = (search.candidates[selection.best], selection.val_auc)
    else:
        chosen = search.choose()
    return refit_and_score(family, chosen, X_train, split.train_labels, X_test, split.test_labels)


def same(a: ProbeOutcome, b: ProbeOutcome) -> bool:
    return (
        a.params == b.params
        and np.array_equal(a.val_auc, b.val_auc, equal_nan=True)
        and a.test_auc == b.test_auc
        and np.array_equal(a.test_scores, b.test_scores)
    )


def shipped_quiver_mismatches(
    by_cell: dict[str, list[ProbeOutcome]], item: DatasetArrays, regime: str, submission: str
) -> int:
    """Cells whose quiver of baselines differs from the shipped SAE record's."""
    results = submission_results(open_submission(submission).folder)
    folder = results / protocol_folder(load_protocol("v1"))
    record = load_record(
        record_path(folder / "sae", item.data.dataset_id, item.data_key("bf16"), regime)
    )
    shipped = {cell.key: cell.quiver for cell in record.cells} if record else {}
    bad = 0
    for key, outcomes in by_cell.items():
        chosen = pick([Scored(o.method, o.val_auc, o.test_auc) for o in outcomes], set(), "mean")
        recorded = shipped.get(key)
        bad += recorded is None or not (
            tuple(recorded.baseline_methods) == chosen.methods
            and abs(recorded.baseline_test_auc - chosen.test_auc) <= 1e-6
        )
    return bad


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", nargs="+", default=DATASETS)
    parser.add_argument("--regimes", nargs="+", default=LAST_TOKEN)
    parser.add_argument("--families", nargs="+", default=list(BASELINES))
    parser.add_argument("--check", action="store_true", help="compare quivers with records")
    parser.add_argument("--submission", default="ref-topk-2048")
    parser.add_argument("--cells-json", type=Path, help="write per-cell CPU seconds here")
    parser.add_argument("--shared-only", action="store_true", help="skip the one-by-one path")
    args = parser.parse_args()

    protocol = load_protocol("v1")
    ref = resolve_model(DEFAULT_MODEL)
    ctx = RunContext(
        ref, Hook.parse(EMBEDDED[DEFAULT_MODEL].default_hook), protocol, progress=False
    )
    print("| dataset | family | cells | alone CPU s | shared CPU s | ratio | differing cells |")
    print("|---|---|---:|---:|---:|---:|---:|")
    totals: dict[str, float] = defaultdict(float)
    measured: list[dict[str, object]] = []
    for dataset in args.datasets:
        (item,) = load_suite_arrays(ctx, select_suite("demo", [dataset]))
        regimes = [r for r in args.regimes if r != "covariate_shift" or item.ood is not None]
        splits = {r: dataset_cells(item.data, item.ood, protocol, [r]) for r in regimes}
        by_cell: dict[tuple[str, str], list[ProbeOutcome]] = defaultdict(list)
        for name in args.families:
            family = baseline_family(protocol, name)
            paths = ["alone", "shared"] if name in SHARED and not args.shared_only else ["shared"]
            seconds, differing, cells = dict.fromkeys(paths, 0.0), 0, 0
            for regime, cell_splits in splits.items():
                for split in cell_splits:
                    X_train, X_test = cell_matrices(split, item.X, item.X_ood)
                    found, cell_seconds = {}, {}
                    for path in paths:
                        started = time.process_time()
                        with threadpool_limits(limits=1):
                            found[path] = run_cell(path, family, split, X_train, X_test, protocol)
                        cell_seconds[path] = time.process_time() - started
                        seconds[path] += cell_seconds[path]
                    differing += not same(found[paths[0]], found["shared"])
                    measured.append(
                        {
                            "dataset": dataset, "method": name, "regime": regime,
                            "protocol": protocol.name, "n_train": len(split.train),
                            "cpu_s": cell_seconds["shared"],
                        }
                    )  # fmt: skip
                    by_cell[(regime, split.cell.key)].append(found["shared"])
                    cells += 1
            alone = seconds.get("alone", seconds["shared"])
            totals["alone"] += alone
            totals["shared"] += seconds["shared"]
            ratio = alone / max(seconds["shared"], 1e-9)
            print(
                f"| {dataset} | {name} | {cells} | {alone:.1f} | {seconds['shared']:.1f} | "
                f"{ratio:.2f}x | {differing} |",
                flush=True,
            )
        if args.check:
            for regime in regimes:
                cells_of = {key: o for (r, key), o in by_cell.items() if r == regime}
                bad = shipped_quiver_mismatches(cells_of, item, regime, args.submission)
                print(
                    f"| {dataset} | quiver vs shipped, {regime} | {len(cells_of)} | | | | {bad} |"
                )
    ratio = totals["alone"] / max(totals["shared"], 1e-9)
    print(f"| **total** | | | {totals['alone']:.1f} | {totals['shared']:.1f} | {ratio:.2f}x | |")
    if args.cells_json:
        args.cells_json.write_text(json.dumps(measured, indent=1))


if __name__ == "__main__":
    main()
