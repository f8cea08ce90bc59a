"""Time of the synthetic ground-truth track: each (architecture, seed) run's CPU seconds for
training and in all (training, scoring, probing), the probing context's (the logistic baseline,
computed once), the wall time with --workers processes, and the whole default track projected
from the measured runs.

    python benchmarks/synthetic_track.py [--architectures topk untrained] [--seeds 0]
                                         [--workers 2] [--no-probing] [--reuse]

Runs into a scratch cache (``$SAEPROBE_CACHE`` pointed at a temporary folder) unless --reuse
is given, so nothing is read from an earlier run.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--architectures", nargs="+", default=["topk", "untrained"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0])
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--no-probing", action="store_true")
    parser.add_argument("--reuse", action="store_true", help="use the cache as it is")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="saeprobe-synthetic-bench-") as scratch:
        if not args.reuse:
            os.environ["SAEPROBE_CACHE"] = scratch
        measure(args, Path(scratch))


def measure(args: argparse.Namespace, scratch: Path) -> None:
    from benchmark.synthetic.ground_truth import ground_truth_model
    from benchmark.synthetic.probing import ProbingContext
    from benchmark.synthetic.run import architectures
    from benchmark.synthetic.track import load_track
    from benchmark.workflows.synthetic import SyntheticOptions, run_synthetic_track

    track = load_track()
    started = time.process_time()
    if not args.no_probing:
        ProbingContext.build(ground_truth_model(track.model), track.probing)
    context_seconds = time.process_time() - started
    options = SyntheticOptions(
        architectures=tuple(args.architectures), seeds=tuple(args.seeds),
        out=scratch / "summary.json", probing=not args.no_probing, progress=False,
        workers=args.workers,
    )  # fmt: skip
    wall = time.perf_counter()
    report = run_synthetic_track(options)
    wall = time.perf_counter() - wall
    print("| architecture | seed | training CPU s | run CPU s (train, score, probe) |")
    print("|---|---:|---:|---:|")
    totals: dict[str, float] = {}
    for run in report.runs:
        total = run.total_seconds or float("nan")
        totals[run.architecture] = totals.get(run.architecture, 0.0) + total / len(args.seeds)
        print(f"| {run.architecture} | {run.seed} | {run.train_seconds:.1f} | {total:.1f} |")
    print(f"\nprobing context (logistic baseline, once per track run): {context_seconds:.1f} CPU s")
    print(f"wall time of the runs with {args.workers} worker(s): {wall:.1f} s")
    every = architectures(track)
    trained = [totals[a] for a in totals if a != "untrained"]
    if not trained:
        print("no trained architecture measured: nothing to project the track from")
        return
    per_trained = sum(trained) / len(trained)
    projected = sum(totals.get(a, per_trained) for a in every) * len(track.training.seeds)
    print(
        f"projected default track ({len(every)} architectures x {len(track.training.seeds)} "
        f"seeds, unmeasured trained architectures at the measured mean): "
        f"{(projected + context_seconds) / 60:.1f} CPU-minutes; on 2 workers about "
        f"{(projected / 2 + context_seconds) / 60:.1f} minutes of wall time"
    )


if __name__ == "__main__":
    main()
