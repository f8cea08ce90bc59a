"""``saeprobe results``: the result record format."""

from __future__ import annotations

import argparse
import sys

from benchmark.results.schema import SCHEMA_PATH, json_schema, write_json_schema

EPILOG = """examples:
  saeprobe results schema                 print the JSON Schema of a result record
  saeprobe results schema --write         refresh the committed schema file
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


def run_schema(args: argparse.Namespace) -> int:
    if args.write:
        write_json_schema()
        sys.stdout.write(f"wrote {SCHEMA_PATH}\n")
    else:
        sys.stdout.write(json_schema())
    return 0
