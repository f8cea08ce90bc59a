"""``saeprobe results``: the result record format, and the export of every result."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from benchmark.results.schema import SCHEMA_PATH, json_schema, write_json_schema

EPILOG = """examples:
  saeprobe results schema                 print the JSON Schema of a result record
  saeprobe results schema --write         refresh the committed schema file
"""
EXPORT_EPILOG = """examples:
  saeprobe results export ./export        every submission's records, Hub-ready

Writes data/cells.parquet (one row per method and cell), data/records.parquet (each record's
header and provenance), submissions/<id>/ (manifest and validation), scores/ (per-example score
sidecars) and a dataset card. `saeprobe leaderboard build --results ./export` builds the site
from it; upload it as a dataset repository to build from the Hub (--results hub).
"""


def register(groups: argparse._SubParsersAction) -> None:
    parser = groups.add_parser("results", help="the result record format")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    schema = commands.add_parser(
        "schema", help="print the JSON Schema", epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    schema.add_argument("--write", action="store_true", help=f"write it to {SCHEMA_PATH.name}")
    schema.set_defaults(handler=run_schema)
    export = commands.add_parser(
        "export", help="export every submission's records as a Hub-ready dataset repository",
        epilog=EXPORT_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    export.add_argument("out", type=Path, metavar="OUT", help="an empty or new folder")
    export.add_argument("--submissions", type=Path, help="default: $SAEPROBE_SUBMISSIONS")
    export.set_defaults(handler=run_export)


def run_schema(args: argparse.Namespace) -> int:
    if args.write:
        write_json_schema()
        sys.stdout.write(f"wrote {SCHEMA_PATH}\n")
    else:
        sys.stdout.write(json_schema())
    return 0


def run_export(args: argparse.Namespace) -> int:
    from benchmark.workflows.results import export_all_results

    report = export_all_results(args.out, args.submissions)
    sys.stdout.write(
        f"exported {report.records} records ({report.rows} method rows) to {report.out}\n"
    )
    return 0
