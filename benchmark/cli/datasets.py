"""``saeprobe datasets``: list, inspect and export the dataset registry."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from benchmark.cli.options import (
    add_json_option,
    add_source_options,
    source_from_args,
    write_json,
    write_table,
)
from datasets_registry.suites import all_suites

LS_EPILOG = """examples:
  saeprobe datasets ls                      every dataset with its row counts
  saeprobe datasets ls --suite demo --json  the demo suite, machine-readable
"""
SHOW_EPILOG = """examples:
  saeprobe datasets show 90_glue_qnli
  saeprobe datasets show 5_hist_fig_ismale --json
  saeprobe datasets show 5_hist_fig_ismale --source hub --hub-repo ./my-export
"""
EXPORT_EPILOG = """examples:
  saeprobe datasets export ./saeprobe-datasets
  huggingface-cli upload ORG/NAME ./saeprobe-datasets --repo-type dataset
"""


def register(groups: argparse._SubParsersAction) -> None:
    parser = groups.add_parser("datasets", help="list, show and export the probing datasets")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    formatter = argparse.RawDescriptionHelpFormatter

    ls = commands.add_parser(
        "ls", help="list datasets", epilog=LS_EPILOG, formatter_class=formatter
    )
    ls.add_argument("--suite", default="full", help=f"one of: {', '.join(all_suites())}")
    add_json_option(ls)
    ls.set_defaults(handler=run_ls)

    show = commands.add_parser(
        "show", help="show one dataset", epilog=SHOW_EPILOG, formatter_class=formatter
    )
    show.add_argument("dataset_id", metavar="ID")
    show.add_argument("--examples", type=int, default=3, help="example rows to print")
    add_source_options(show)
    add_json_option(show)
    show.set_defaults(handler=run_show)

    export = commands.add_parser(
        "export",
        help="write a Hub-ready dataset repository",
        epilog=EXPORT_EPILOG,
        formatter_class=formatter,
    )
    export.add_argument("out", type=Path, metavar="OUT")
    export.add_argument("--suite", default="full", help="export only this suite's datasets")
    add_source_options(export)
    export.set_defaults(handler=run_export)


def run_ls(args: argparse.Namespace) -> int:
    from benchmark.workflows.datasets import list_datasets, suite_totals

    rows = list_datasets(args.suite)
    if args.json:
        write_json(rows)
        return 0
    header = ["id", "family", "rows", "clean", "leaked", "test", "ood", "flag"]
    table = [
        [
            row["id"],
            row["family"],
            row["n_rows"],
            row["n_rows_clean"],
            f"{row['original_split_leaked_test_rows']}/{row['original_split_test_rows']}",
            row["test_rows_clean"],
            f"{row['ood_rows_clean']}/{row['ood_rows']}" if row["ood"] else "-",
            "small-test" if row["small_test"] else "",
        ]
        for row in rows
    ]
    write_table(header, table)
    sys.stdout.write(totals_line(suite_totals(rows)))
    return 0


def totals_line(totals: dict[str, Any]) -> str:
    return (
        f"\n{totals['datasets']} datasets, {totals['with_ood']} with OOD test sets; "
        f"{totals['rows']} rows -> {totals['rows_clean']} after cleaning; original split leaked "
        f"{totals['mean_leak_percent']:.1f}% of test rows on average; {totals['small_test']} "
        f"flagged small-test (< {totals['min_test_rows']} balanced test rows once cleaned; "
        f"{totals['paper_rule_small_test']} under the paper's literal N - 100 rule)\n"
    )


def run_show(args: argparse.Namespace) -> int:
    from benchmark.workflows.datasets import describe_dataset

    payload = describe_dataset(args.dataset_id, source_from_args(args), args.examples)
    if args.json:
        write_json(payload)
        return 0
    write_table(["field", "value"], [[key, _short(value)] for key, value in payload.items()])
    return 0


def _short(value: Any, width: int = 100) -> str:
    text = str(value).replace("\n", " ")
    return text if len(text) <= width else text[: width - 3] + "..."


def run_export(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from benchmark.workflows.datasets import export_datasets

    with tqdm(unit="dataset", desc="export") as bar:
        out, count = export_datasets(
            args.suite, args.out, source_from_args(args), lambda _: bar.update()
        )
    sys.stdout.write(f"wrote {count} datasets to {out}\n")
    return 0
