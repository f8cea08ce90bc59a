"""``saeprobe synthetic run``: the synthetic ground-truth track."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from benchmark.run.workers import default_workers

RUN_EPILOG = """examples:
  saeprobe synthetic run                               (every architecture, the track's seeds)
  saeprobe synthetic run --architectures topk untrained --seeds 0
  saeprobe synthetic run --out leaderboard/synthetic-track.json   (the results the site shows)

Trains each reference architecture with SAELens's trainer on activations generated from the
track's known features (benchmark/synthetic/track-v1.yaml, sae_lens.synthetic), scores how many
features each recovers, and prints the mean and 95% interval over seeds. Finished runs are
cached and never recomputed.
"""


def register(groups: argparse._SubParsersAction) -> None:
    synthetic = groups.add_parser("synthetic", help="the synthetic ground-truth track")
    commands = synthetic.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = commands.add_parser(
        "run",
        help="train and score every architecture on the synthetic track",
        epilog=RUN_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument("--architectures", nargs="+", default=[], metavar="NAME")
    run.add_argument("--seeds", nargs="+", type=int, default=[], metavar="SEED")
    run.add_argument("--track", type=Path, help="a track file (default: track-v1.yaml)")
    run.add_argument("--out", type=Path, help="summary JSON (default: in the cache)")
    run.add_argument("--no-probing", action="store_true", help="skip the probing tasks")
    run.add_argument(
        "--workers", type=int, default=default_workers(),
        help="runs in parallel, one process each (default: the usable CPUs, %(default)s)",
    )  # fmt: skip
    run.add_argument("--no-progress", action="store_true")
    run.add_argument("--json", action="store_true", help="print the summary as JSON")
    run.set_defaults(handler=run_command)


def run_command(args: argparse.Namespace) -> int:
    from benchmark.synthetic.track import TRACK_FILE
    from benchmark.workflows.synthetic import SyntheticOptions, run_synthetic_track

    options = SyntheticOptions(
        architectures=tuple(args.architectures),
        seeds=tuple(args.seeds),
        track_file=args.track or TRACK_FILE,
        out=args.out,
        probing=not args.no_probing,
        progress=not args.no_progress,
        workers=args.workers,
    )
    report = run_synthetic_track(options)
    if args.json:
        sys.stdout.write(report.path.read_text(encoding="utf-8") + "\n")
        return 0
    columns = ("recovered", "mcc", "f1", "explained_variance", "l0", "dead_latents")
    sys.stdout.write(f"synthetic track {report.track_hash[:12]}: {report.path}\n")
    sys.stdout.write(f"{'architecture':<12}" + "".join(f"{c:>24}" for c in columns) + "\n")
    for name, metrics in report.summary.items():
        cells = "".join(
            f"{metrics[c].mean:>9.3f} [{metrics[c].low:.3f}, {metrics[c].high:.3f}]".rjust(24)
            for c in columns
        )
        sys.stdout.write(f"{name:<12}{cells}\n")
    for name, gaps in report.probing.items():
        for gap in gaps:
            key = f"{gap.regime} sae - {gap.comparison} ({gap.tasks}, n={gap.count})"
            interval = gap.interval
            sys.stdout.write(
                f"probing {name:<12} {key:<44} {interval.mean:+.4f} "
                f"[{interval.low:+.4f}, {interval.high:+.4f}]\n"
            )
    return 0
