"""``saeprobe plan``: the cells, probe fits and projected CPU time of an evaluation."""

from __future__ import annotations

import argparse
import dataclasses
import sys

from benchmark.cli.options import (
    add_json_option,
    add_suite_options,
    datasets_from_args,
    write_json,
    write_table,
)
from benchmark.protocols.protocol import DEFAULT_PROTOCOL
from benchmark.regimes.cells import REGIMES

EPILOG = """examples:
  saeprobe plan --suite full
  saeprobe plan --suite full --sae ref-topk-2048 --target-minutes 30
  saeprobe plan --suite demo --regimes scarcity imbalance --json

Costs are CPU seconds per cell measured by the benchmarks (benchmarks/full_suite.py) on the
machine and model they name; wall times assume every worker stays busy.
"""


def register(groups: argparse._SubParsersAction) -> None:
    parser = groups.add_parser(
        "plan",
        help="project the cost of an evaluation",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_suite_options(parser)
    parser.set_defaults(suite="full")
    parser.add_argument("--regimes", nargs="+", choices=REGIMES, help="default: all six")
    parser.add_argument("--protocol", default=DEFAULT_PROTOCOL, help="protocol name or file")
    parser.add_argument("--sae", help="a submission id or SAELens folder (sets the width)")
    parser.add_argument("--target-minutes", type=float, default=30.0)
    parser.add_argument("--workers", nargs="+", type=int, default=[2, 8, 32])
    add_json_option(parser)
    parser.set_defaults(handler=run_plan)


def run_plan(args: argparse.Namespace) -> int:
    from benchmark.workflows.plan import plan_evaluation

    plan = plan_evaluation(
        args.suite, datasets_from_args(args), tuple(args.regimes or ()), args.protocol, args.sae,
        args.target_minutes, args.workers,
    )  # fmt: skip
    if args.json:
        write_json(dataclasses.asdict(plan))
        return 0
    sys.stdout.write(
        f"suite {plan.suite}, protocol {plan.protocol}, SAE width {plan.width:,}, d_in "
        f"{plan.d_in}\ncosts measured on {plan.measured_on}\n\n"
    )
    write_table(
        ["arm", "regime", "datasets", "cells", "fits", "CPU h"],
        [
            [r.arm, r.regime, str(r.datasets), f"{r.cells:,}", f"{r.fits:,}", hours(r.cpu_seconds)]
            for r in plan.rows
        ],
    )
    sys.stdout.write("\n")
    minutes = f"{args.target_minutes:g} min"
    write_table(
        ["work", "CPU h", *[f"wall, {w} workers" for w in args.workers], f"workers for {minutes}"],
        [
            [
                w.name, hours(w.cpu_seconds), *[hours(w.wall_seconds(n)) for n in args.workers],
                str(w.workers_for_target or "-"),
            ]
            for w in plan.work
        ],
    )  # fmt: skip
    return 0


def hours(seconds: float | None) -> str:
    return "not measured" if seconds is None else f"{seconds / 3600:.2f}"
