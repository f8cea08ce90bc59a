"""The noise floor of each regime: how far "SAE probe minus best baseline" moves when only the
protocol's seed changes (which rows each cell draws, the validation folds, the probes' seeds).

A reference submission's cells on a few demo datasets are recomputed under another seed (the
baselines too) and compared with its shipped seed-0 records (multi-token: with its seed-0
cells recomputed, see ``RECOMPUTED_REFERENCE``). Per regime and dataset, the change
of the dataset's mean delta is one draw of pure seed noise; the noise floor is the half-width of
the 95% normal interval of a regime mean over the demo suite's 16 datasets,
``1.96 * rms(change) / sqrt(16)``. The site shows it next to each regime's deltas. A run adds
its regimes and datasets to those already in ``--out`` (same protocol and submission).

    python benchmarks/noise_floor.py [--submission ref-topk-2048] [--protocol v3]
                                     [--datasets ID ...] [--regimes R ...] [--seed 1]
                                     [--workers 2] [--out FILE]

``--out`` defaults to ``benchmark/leaderboard/noise-floors/<protocol>.json``; the submission's
records under ``--protocol`` must exist (restored from its summary).

Needs the demo's cached activations (saeprobe activations extract --suite demo; multitoken:
--all-tokens, extracted on first use otherwise).
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any, get_args

import numpy as np
from threadpoolctl import threadpool_limits

from benchmark.activations.catalog import DEFAULT_MODEL, EMBEDDED
from benchmark.activations.hooks import Hook
from benchmark.activations.models import resolve_model
from benchmark.atomic_io import write_text_atomic
from benchmark.leaderboard.noise_floor import noise_floor_file
from benchmark.probes.registry import BASELINES
from benchmark.protocols.protocol import DEFAULT_PROTOCOL, load_protocol
from benchmark.regimes.cells import RegimeName
from benchmark.results.comparisons import deltas_of
from benchmark.results.store import load_record, protocol_folder, record_path
from benchmark.results.summary import submission_results
from benchmark.run.arms import sae_runners
from benchmark.run.cells import baseline_cell
from benchmark.run.context import DatasetArrays, RunContext, load_suite_arrays
from benchmark.run.jobs import plan_cells
from benchmark.saes.load import LoadedSAE, load_sae_folder
from benchmark.submissions.intake import open_submission
from datasets_registry.suites import get_suite, select_suite

DATASETS = ["5_hist_fig_ismale", "66_living-room", "87_glue_cola", "73_control-group"]
REGIMES: list[RegimeName] = ["normal", "scarcity", "imbalance", "label_noise", "covariate_shift"]
# The shipped multi-token records were made from all-token activations extracted in other
# batches (README, "Known limitation"), so their seed-0 cells are recomputed here too: the
# change then holds the seed's effect alone.
RECOMPUTED_REFERENCE = {"multitoken"}
SUITE_DATASETS = len(get_suite("demo").specs_ids())


def dataset_changes(
    submission_id: str, protocol: str, dataset: str, seed: int, regimes: list[RegimeName]
) -> dict[str, float]:
    """Per regime: the dataset's mean probe delta under ``seed`` minus under the shipped seed
    (from the shipped records; recomputed for ``RECOMPUTED_REFERENCE`` regimes)."""
    shipped = load_protocol(protocol)
    reseeded = shipped.model_copy(update={"seeds": [seed]})
    ref = resolve_model(DEFAULT_MODEL)
    hook = Hook.parse(EMBEDDED[DEFAULT_MODEL].default_hook)
    ctx = RunContext(ref, hook, reseeded, progress=False)
    submission = open_submission(submission_id)
    sae = load_sae_folder(submission.sae_folder())
    suite = select_suite("demo", [dataset])
    (item,) = load_suite_arrays(ctx, suite, all_tokens="multitoken" in regimes)
    results = submission_results(submission.folder) / protocol_folder(shipped) / "sae"
    changes: dict[str, float] = {}
    with threadpool_limits(limits=1):
        for regime in regimes:
            new = probe_deltas(ctx, sae, item, regime)
            if regime in RECOMPUTED_REFERENCE:
                old = probe_deltas(replace(ctx, protocol=shipped), sae, item, regime)
            else:
                record = load_record(record_path(results, dataset, item.data_key("bf16"), regime))
                old = [] if record is None else [deltas_of(c, None)["probe"] for c in record.cells]
            if new and old:
                changes[regime] = float(np.mean(new) - np.mean(old))
    return changes


def probe_deltas(
    ctx: RunContext, sae: LoadedSAE, item: DatasetArrays, regime: RegimeName
) -> list[float]:
    """SAE probe minus best baseline of each of the regime's cells under ``ctx.protocol``, the
    baselines and the SAE probes computed afresh."""
    splits = plan_cells([item], ctx.protocol, [regime])[(item.data.dataset_id, regime)]
    baselines = {s.cell.key: baseline_cell(ctx, BASELINES, item, s)[0] for s in splits}
    runner = sae_runners(ctx, sae, [regime], lambda _d, _r: baselines)(item)(regime)
    return [deltas_of(runner(s)[0], None)["probe"] for s in splits]


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
    parser.add_argument("--protocol", default=DEFAULT_PROTOCOL)
    parser.add_argument("--datasets", nargs="+", default=DATASETS)
    parser.add_argument("--regimes", nargs="+", default=REGIMES, choices=get_args(RegimeName))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, help="default: noise-floors/<protocol>.json")
    args = parser.parse_args()
    protocol = load_protocol(args.protocol)
    out = args.out or noise_floor_file(protocol.name)

    started = time.perf_counter()
    with ProcessPoolExecutor(args.workers) as pool:
        per_dataset = dict(
            zip(
                args.datasets,
                pool.map(
                    dataset_changes,
                    [args.submission] * len(args.datasets),
                    [args.protocol] * len(args.datasets),
                    args.datasets,
                    [args.seed] * len(args.datasets),
                    [args.regimes] * len(args.datasets),
                ),
                strict=True,
            )
        )
    run = {
        "regimes": args.regimes, "datasets": args.datasets, "seeds": [0, args.seed],
        "wall_seconds": round(time.perf_counter() - started, 1),
        "cpu_seconds": round(children_cpu_seconds(), 1),
    }  # fmt: skip
    report = merged_report(out, protocol.content_hash(), args.submission, per_dataset, run)
    print("| regime | datasets | change per dataset | noise floor (16 datasets) |")
    print("|---|---:|---|---:|")
    for regime, floor in report["noise_floor"].items():
        changes = [c[regime] for c in report["changes"].values() if regime in c]
        shown = ", ".join(f"{c:+.4f}" for c in changes)
        print(f"| {regime} | {len(changes)} | {shown} | {floor:.4f} |")
    write_text_atomic(out, json.dumps(report, indent=1, sort_keys=True) + "\n")
    print(f"wrote {out} ({run['wall_seconds']} s, {run['cpu_seconds']} CPU s)")


def merged_report(
    out: Path,
    protocol_hash: str,
    submission: str,
    per_dataset: dict[str, dict[str, float]],
    run: dict[str, Any],
) -> dict[str, Any]:
    """This run's changes over those already in ``out`` (same protocol and submission: a run
    of other regimes or datasets adds to it), and every regime's floor from the merged
    changes."""
    earlier = json.loads(out.read_text()) if out.is_file() else {}
    if earlier.get("protocol_hash") != protocol_hash or earlier.get("submission") != submission:
        earlier = {}
    changes = {dataset: dict(values) for dataset, values in earlier.get("changes", {}).items()}
    for dataset, by_regime in per_dataset.items():
        changes.setdefault(dataset, {}).update(by_regime)
    regimes = sorted({regime for by_regime in changes.values() for regime in by_regime})
    floors = {}
    for regime in regimes:
        values = [c[regime] for c in changes.values() if regime in c]
        if len(values) >= 2:
            floors[regime] = noise_floor(values)
    return {
        "comparison": "probe",
        "estimator": "1.96 * rms(changes) / sqrt(suite_datasets)",
        "protocol_hash": protocol_hash,
        "submission": submission,
        "suite_datasets": SUITE_DATASETS,
        "changes": changes,
        "noise_floor": floors,
        "runs": [*earlier_runs(earlier), run],
    }


def earlier_runs(earlier: dict[str, Any]) -> list[dict[str, Any]]:
    """The runs recorded in an earlier report (one written before runs were listed: its own
    fields)."""
    if "runs" in earlier:
        return list(earlier["runs"])
    if not earlier:
        return []
    regimes = sorted({r for by_regime in earlier["changes"].values() for r in by_regime})
    return [
        {
            "regimes": regimes, "datasets": earlier["datasets"], "seeds": earlier["seeds"],
            "wall_seconds": earlier["wall_seconds"], "cpu_seconds": earlier["cpu_seconds"],
        }
    ]  # fmt: skip


if __name__ == "__main__":
    main()
