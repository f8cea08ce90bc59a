"""Entry point: ``saeprobe <group> <command>``; known failures exit non-zero with one line."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from benchmark import __version__
from benchmark.cli import (
    activations,
    datasets,
    evaluation,
    leaderboard,
    plan,
    protocols,
    reference,
    results,
    submissions,
    synthetic,
)
from benchmark.errors import SaeprobeError

EPILOG = """examples:
  saeprobe datasets ls --suite demo
  saeprobe datasets show 5_hist_fig_ismale
  saeprobe activations extract --suite demo
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="saeprobe",
        description="Benchmark sparse autoencoders on hard sparse-probing regimes.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"saeprobe {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    groups = parser.add_subparsers(dest="group", required=True, metavar="COMMAND")
    datasets.register(groups)
    activations.register(groups)
    protocols.register(groups)
    evaluation.register(groups)
    results.register(groups)
    submissions.register(groups)
    reference.register(groups)
    leaderboard.register(groups)
    plan.register(groups)
    synthetic.register(groups)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(levelname)s %(name)s: %(message)s",
    )
    _quiet_libraries()
    try:
        return int(args.handler(args) or 0)
    except SaeprobeError as error:  # a user error: one line; anything else keeps its traceback
        sys.stderr.write(f"saeprobe: error: {error}\n")
        return 1
    except KeyboardInterrupt:
        sys.stderr.write("saeprobe: interrupted; finished work is kept and resumes next time\n")
        return 130
    except BrokenPipeError:  # the reader went away (`saeprobe ... | head`): stop quietly
        _discard_stdout()
        return 141  # as a shell reports a process ended by SIGPIPE


def _discard_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's final flush of the output the closed
    pipe no longer takes raises nothing."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def _quiet_libraries() -> None:
    for name in ("datasets", "transformers", "huggingface_hub", "filelock", "urllib3"):
        logging.getLogger(name).setLevel(logging.WARNING)


if __name__ == "__main__":
    sys.exit(main())
