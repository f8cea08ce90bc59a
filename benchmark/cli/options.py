"""Options shared by several subcommands (data source, output format)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from datasets_registry.load import DataSource
from datasets_registry.suites import all_suites


def add_source_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("data source")
    group.add_argument(
        "--source",
        choices=["packaged", "hub"],
        default="packaged",
        help="packaged: the files shipped in sae-probes (offline, default); hub: a dataset "
        "repository laid out like `saeprobe datasets export`",
    )
    group.add_argument(
        "--hub-repo", help="ORG/NAME[@REVISION] on the Hugging Face Hub, or a local export folder"
    )
    group.add_argument("--revision", help="a branch, tag or commit of --hub-repo")


def source_from_args(args: argparse.Namespace) -> DataSource:
    """The data source the flags name; DataSource itself rejects inconsistent flags."""
    return DataSource.from_flags(args.source, args.hub_repo, args.revision)


def add_json_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON")


def write_json(payload: Any) -> None:
    sys.stdout.write(json.dumps(payload, indent=1) + "\n")


def write_table(header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=True)]
    for row in [header, *rows]:
        cells = [str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)]
        sys.stdout.write("  ".join(cells).rstrip() + "\n")


def add_suite_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--suite", default="demo", help=f"one of: {', '.join(all_suites())}")
    parser.add_argument(
        "--dataset",
        action="append",
        metavar="ID",
        help="only these datasets (repeatable), under the suite's row cap (--suite full: none)",
    )


def datasets_from_args(args: argparse.Namespace) -> tuple[str, ...]:
    return tuple(args.dataset or ())
