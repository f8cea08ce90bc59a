"""``saeprobe protocols``: list and show the protocol files."""

from __future__ import annotations

import argparse
import sys

import yaml

from benchmark.cli.options import add_json_option, write_json, write_table

EPILOG = """examples:
  saeprobe protocols ls
  saeprobe protocols show v1
  saeprobe protocols show paper --json
"""


def register(groups: argparse._SubParsersAction) -> None:
    parser = groups.add_parser("protocols", help="list and show benchmark protocols")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    formatter = argparse.RawDescriptionHelpFormatter
    ls = commands.add_parser("ls", help="list protocols", epilog=EPILOG, formatter_class=formatter)
    add_json_option(ls)
    ls.set_defaults(handler=run_ls)
    show = commands.add_parser(
        "show", help="show one protocol", epilog=EPILOG, formatter_class=formatter
    )
    show.add_argument("name", metavar="NAME", help="a protocol name or a YAML file")
    add_json_option(show)
    show.set_defaults(handler=run_show)


def run_ls(args: argparse.Namespace) -> int:
    from benchmark.workflows.protocols import list_protocols

    rows = list_protocols()
    if args.json:
        write_json(rows)
        return 0
    write_table(
        ["name", "version", "hash", "description"],
        [[r["name"], r["version"], r["hash"][:12], r["description"][:70] + "..."] for r in rows],
    )
    return 0


def run_show(args: argparse.Namespace) -> int:
    from benchmark.workflows.protocols import protocol_body

    body = protocol_body(args.name)
    if args.json:
        write_json(body)
    else:
        sys.stdout.write(yaml.safe_dump(body, sort_keys=False, width=100))
    return 0
