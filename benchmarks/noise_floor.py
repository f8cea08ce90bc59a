"""The noise floor of each regime: how far "SAE probe minus best baseline" moves when only the
protocol's seed changes (which rows each cell draws, the validation folds, the probes' seeds).

A reference submission's cells on a few demo datasets are recomputed under another seed (the
baselines too) and compared with its shipped seed-0 records. Per regime and dataset, the change
of the dataset's mean delta is one draw of pure seed noise; the noise floor is the half-width of
the 95% normal interval of a regime mean over the demo suite's 16 datasets,
``1.96 * rms(change) / sqrt(16)``. The site shows it next to each regime's deltas.

    python benchmarks/noise_floor.py [--submission ref-topk-2048] [--datasets ID ...]
                                     [--regimes R ...] [--seed 1] [--workers 2]
                                     [--out benchmark/leaderboard/noise-floor.json]

Needs the demo's cached activations (saeprobe activations extract --suite demo).
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from benchmark.activations.catalog import DEFAULT_MODEL, EMBEDDED
from benchmark.activations.hooks import Hook
from benchmark.activations.models import resolve_model
from benchmark.atomic_io import write_text_atomic
from benchmark.leaderboard.noise_floor import NOISE_FLOOR_FILE
from benchmark.probes.registry import BASELINES
from benchmark.protocols.protocol import load_protocol
from benchmark.results.comparisons import deltas_of
from benchmark.results.store import load_record, protocol_folder, record_path
from benchmark.run.arms import sae_runners
from benchmark.run.cells import baseline_cell
from benchmark.run.context import RunContext, load_suite_arrays
from benchmark.run.jobs import plan_cells
from benchmark.saes.load import load_sae_folder
from benchmark.submissions.intake import open_submission
from datasets_registry.suites import get_suite, select_suite

DATASETS = ["5_hist_fig_ismale", "66_living-room", "87_glue_cola", "73_control-group"]
REGIMES = ["normal", "scarcity", "imbalance", "label_noise", "covariate_shift"]
SUITE_DATASETS = len(get_suite("demo").specs_ids())


def dataset_changes(
    submission_id: str, dataset: str, seed: int, regimes: list[str]
) -> dict[str, float]:
    """Per regime: the dataset's mean probe delta under ``seed`` minus under the shipped seed."""
    shipped = load_protocol("v1")
    reseeded = shipped.model_copy(update={"seeds": [seed]})
    ref = resolve_model(DEFAULT_MODEL)
    hook = Hook.parse(EMBEDDED[DEFAULT_MODEL].default_hook)
    ctx = RunContext(ref, hook, reseeded, progress=False)
    submission = open_submission(submission_id)
    sae = load_sae_folder(submission.sae_folder())
    (item,) = load_suite_arrays(ctx, select_suite("demo", [dataset]))
    results = submission.folder / "results" / protocol_folder(shipped) / "sae"
    changes = {}
    with threadpool_limits(limits=1):
        for regime in regimes:
            splits = plan_cells([item], reseeded, [regime])[(dataset, regime)]
            record = load_record(record_path(results, dataset, item.data_key("bf16"), regime))
            if not splits or record is None:
                continue
            baselines = {s.cell.key: baseline_cell(ctx, BASELINES, item, s)[0] for s in splits}
            runner = sae_runners(ctx, sae, [regime], lambda _d, _r, b=baselines: b)(item)(regime)
            new = [deltas_of(runner(s)[0], None)["probe"] for s in splits]
            old = [deltas_of(cell, None)["probe"] for cell in record.cells]
            changes[regime] = float(np.mean(new) - np.mean(old))
    return changes


def noise_floor(changes: list[float]) -> float:
    """1.96 times the spread of a regime mean over the suite's datasets: the changes' root mean
    square about 0 (reseeding has no true effect, so no mean is estimated from a few datasets
    and subtracted), over the square root of the suite's dataset count."""
    spread = math.sqrt(float(np.mean(np.square(changes))))
    return 1.96 * spread / math.sqrt(SUITE_DATASETS)


def children_cpu_seconds() -> float:
    """User + system time of the finished worker processes (the work happens there)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--submission", default="ref-topk-2048")
    parser.add_argument("--datasets", nargs="+", default=DATASETS)
    parser.add_argument("--regimes", nargs="+", default=REGIMES)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=NOISE_FLOOR_FILE)
    args = parser.parse_args()

    started = time.perf_counter()
    with ProcessPoolExecutor(args.workers) as pool:
        per_dataset = dict(
            zip(
                args.datasets,
                pool.map(
                    dataset_changes,
                    [args.submission] * len(args.datasets),
                    args.datasets,
                    [args.seed] * len(args.datasets),
                    [args.regimes] * len(args.datasets),
                ),
                strict=True,
            )
        )
    floors = {}
    print("| regime | datasets | change per dataset | noise floor (16 datasets) |")
    print("|---|---:|---|---:|")
    for regime in args.regimes:
        changes = [c[regime] for c in per_dataset.values() if regime in c]
        if len(changes) < 2:
            continue
        floors[regime] = noise_floor(changes)
        shown = ", ".join(f"{c:+.4f}" for c in changes)
        print(f"| {regime} | {len(changes)} | {shown} | {floors[regime]:.4f} |")
    report = {
        "comparison": "probe",
        "protocol_hash": load_protocol("v1").content_hash(),
        "submission": args.submission,
        "seeds": [0, args.seed],
        "datasets": args.datasets,
        "suite_datasets": SUITE_DATASETS,
        "changes": per_dataset,
        "noise_floor": floors,
        "wall_seconds": round(time.perf_counter() - started, 1),
        "cpu_seconds": round(children_cpu_seconds(), 1),
    }
    write_text_atomic(args.out, json.dumps(report, indent=1, sort_keys=True) + "\n")
    print(f"wrote {args.out} ({report['wall_seconds']} s)")


if __name__ == "__main__":
    main()
