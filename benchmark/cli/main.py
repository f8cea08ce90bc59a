"""Entry point: ``saeprobe <group> <command>``; known failures exit non-zero with one line."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from benchmark import __version__
from benchmark.activations.hooks import HookError
from benchmark.activations.store import MissingActivationsError
from benchmark.cli import (
    activations,
    datasets,
    evaluation,
    leaderboard,
    protocols,
    reference,
    results,
    submissions,
)
from benchmark.protocols.protocol import UnknownProtocolError
from benchmark.saes.load import SAELoadError
from datasets_registry.load import DatasetIntegrityError
from datasets_registry.package_files import PackageNotInstalledError
from datasets_registry.spec import UnknownDatasetError
from datasets_registry.suites import UnknownSuiteError

EXPECTED_ERRORS = (
    UnknownDatasetError,
    UnknownSuiteError,
    UnknownProtocolError,
    HookError,
    MissingActivationsError,
    SAELoadError,
    DatasetIntegrityError,
    PackageNotInstalledError,
    FileExistsError,
    FileNotFoundError,
    ValueError,
)

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
    except EXPECTED_ERRORS as error:
        sys.stderr.write(f"saeprobe: error: {error}\n")
        return 1
    except KeyboardInterrupt:
        sys.stderr.write("saeprobe: interrupted; finished work is kept and resumes next time\n")
        return 130


def _quiet_libraries() -> None:
    for name in ("datasets", "transformers", "huggingface_hub", "filelock", "urllib3"):
        logging.getLogger(name).setLevel(logging.WARNING)


if __name__ == "__main__":
    sys.exit(main())
