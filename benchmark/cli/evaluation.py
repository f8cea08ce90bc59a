"""``saeprobe baselines run|ship`` and ``saeprobe eval``: probe the suites under the protocol."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from benchmark.activations.catalog import DEFAULT_MODEL, DTYPE_NAMES
from benchmark.cli.options import (
    add_json_option,
    add_source_options,
    add_suite_options,
    datasets_from_args,
    source_from_args,
    write_json,
)
from benchmark.probes.registry import BASELINES
from benchmark.protocols.protocol import DEFAULT_PROTOCOL
from benchmark.regimes.cells import REGIMES
from benchmark.run.workers import default_workers

if TYPE_CHECKING:
    from benchmark.workflows.evaluate import RunOptions

BASELINES_EPILOG = """examples:
  saeprobe baselines run --suite demo
  saeprobe baselines run --suite demo --regimes normal scarcity --baselines logistic pca knn
  saeprobe baselines run --model google/gemma-2-2b --hook blocks.12.hook_resid_post --device cuda

Results go to $SAEPROBE_CACHE/results/baselines/<model>/<hook>/<protocol>/; a rerun computes
only the cells that are missing, so an interrupted run continues where it stopped. Cells shipped
in leaderboard/baselines/ (saeprobe baselines ship) are restored, never recomputed.
"""
SHIP_EPILOG = """examples:
  saeprobe baselines ship                    (the embedded model's reference hook)
  saeprobe baselines ship --model google/gemma-2-2b --hook blocks.12.hook_resid_post

Writes every cached baseline record of the model and hook (every protocol) as two tables under
$SAEPROBE_BASELINES (default ./leaderboard/baselines/<model>/<hook>/), which git holds; any
baselines lookup restores what the cache lacks from them.
"""
EVAL_EPILOG = """examples:
  saeprobe eval my-topk --suite demo         (a submission: the SAE and its random control)
  saeprobe eval ./my-sae --suite demo
  saeprobe eval ./my-sae --suite demo --regimes normal label_noise --protocol paper
  saeprobe eval ./my-sae --suite full --out ./results/my-sae

SAE is a SAELens folder (cfg.json + sae_weights.safetensors). Missing baselines are computed
first and cached; the SAE's own probes are cached under --out and resume like the baselines.
"""


def add_run_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", default=DEFAULT_MODEL, help="embedded model, Hub id or folder")
    parser.add_argument("--model-revision", help="branch, tag or commit of a Hub model")
    parser.add_argument("--hook", help="SAELens hook name (default: the SAE's, else the model's)")
    add_suite_options(parser)
    parser.add_argument("--regimes", nargs="+", choices=REGIMES, help="default: all six")
    parser.add_argument("--protocol", default=DEFAULT_PROTOCOL, help="protocol name or file")
    parser.add_argument(
        "--dtype",
        choices=sorted(DTYPE_NAMES),
        help="activation dtype (default: the protocol's if it fixes one, paper: fp32; else bf16)",
    )
    parser.add_argument("--device", default="cpu")
    parser.add_argument(
        "--workers",
        type=int,
        default=default_workers(),
        help="worker processes, one BLAS thread each (default: the usable CPUs, %(default)s); "
        "with --executor ray and no --ray-address, the CPUs of the local Ray instance",
    )
    parser.add_argument(
        "--executor",
        choices=["local", "ray"],
        default="local",
        help="local worker processes, or Ray tasks (pip install 'saeprobe[ray]')",
    )
    parser.add_argument(
        "--ray-address",
        help="a running Ray cluster (e.g. ray://head:10001 or auto); default: start a local one",
    )
    parser.add_argument("--no-progress", action="store_true")
    add_source_options(parser)
    add_json_option(parser)


def register(groups: argparse._SubParsersAction) -> None:
    formatter = argparse.RawDescriptionHelpFormatter
    baselines = groups.add_parser("baselines", help="compute and cache the baseline probes")
    commands = baselines.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = commands.add_parser(
        "run", help="run baselines", epilog=BASELINES_EPILOG, formatter_class=formatter
    )
    add_run_options(run)
    run.add_argument("--baselines", nargs="+", choices=BASELINES, default=list(BASELINES))
    run.set_defaults(handler=run_baselines_command)
    ship = commands.add_parser(
        "ship",
        help="write the cached baselines as the shipped tables",
        epilog=SHIP_EPILOG,
        formatter_class=formatter,
    )
    ship.add_argument("--model", default=DEFAULT_MODEL, help="embedded model, Hub id or folder")
    ship.add_argument("--model-revision", help="branch, tag or commit of a Hub model")
    ship.add_argument("--hook", help="SAELens hook name (default: the model's reference hook)")
    add_json_option(ship)
    ship.set_defaults(handler=run_ship_command)

    evaluate = groups.add_parser(
        "eval", help="evaluate an SAE", epilog=EVAL_EPILOG, formatter_class=formatter
    )
    evaluate.add_argument("sae", metavar="SAE", help="a submission id or a SAELens SAE folder")
    evaluate.add_argument("--out", type=Path, help="results folder (default under the cache)")
    add_run_options(evaluate)
    evaluate.set_defaults(handler=run_eval_command)


def run_options(args: argparse.Namespace) -> RunOptions:
    from benchmark.workflows.evaluate import RunOptions

    return RunOptions(
        model=args.model,
        model_revision=args.model_revision,
        hook=args.hook,
        suite=args.suite,
        datasets=datasets_from_args(args),
        regimes=tuple(args.regimes or ()),
        protocol=args.protocol,
        dtype=args.dtype,
        device=args.device,
        workers=args.workers,
        executor=args.executor,
        ray_address=args.ray_address,
        progress=not args.no_progress,
        source=source_from_args(args),
    )


def run_baselines_command(args: argparse.Namespace) -> int:
    from benchmark.workflows.evaluate import BaselinesOptions, compute_baselines

    report = compute_baselines(BaselinesOptions(run_options(args), tuple(args.baselines)))
    if args.json:
        write_json({"results": str(report.results), "cells": report.cells})
    else:
        sys.stdout.write(f"{report.cells} baseline cells in {report.results}\n")
    return 0


def run_ship_command(args: argparse.Namespace) -> int:
    from benchmark.workflows.evaluate import ship_cached_baselines

    folder, records = ship_cached_baselines(args.model, args.model_revision, args.hook)
    if args.json:
        write_json({"shipped": str(folder), "records": records})
    else:
        sys.stdout.write(f"{records} baseline records shipped in {folder}\n")
    return 0


def run_eval_command(args: argparse.Namespace) -> int:
    from benchmark.workflows.evaluate import EvalOptions, evaluate

    report = evaluate(EvalOptions(args.sae, run_options(args), args.out))
    arms = {
        arm: {
            regime: {"cells": n, "mean_quiver_delta": delta} for regime, (n, delta) in rows.items()
        }
        for arm, rows in report.arms.items()
    }
    if args.json:
        write_json({"results": str(report.results), "arms": arms})
        return 0
    sys.stdout.write(f"results: {report.results}\n")
    for arm, rows in report.arms.items():
        for regime, (cells, delta) in rows.items():
            shown = "n/a" if delta is None else f"{delta:+.4f}"
            sys.stdout.write(
                f"  {arm:<8} {regime:<16} {cells:>5} cells  mean quiver delta {shown}\n"
            )
    return 0
