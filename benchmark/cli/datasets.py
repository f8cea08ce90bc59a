"""``saeprobe datasets``: list, inspect and export the dataset registry."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from tqdm import tqdm

from benchmark.cli.options import (
    add_json_option,
    add_source_options,
    source_from_args,
    write_json,
    write_table,
)
from datasets_registry.export import export_registry
from datasets_registry.load import load_labeled, load_raw
from datasets_registry.spec import MIN_TEST_ROWS, DatasetSpec, get_spec
from datasets_registry.suites import all_suites, get_suite

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


def summary(spec: DatasetSpec) -> dict[str, Any]:
    ood = spec.ood
    return {
        "id": spec.id,
        "family": spec.family,
        "n_rows": spec.counts.n_rows,
        "n_rows_clean": spec.counts.n_rows_clean,
        "duplicate_rows_removed": spec.counts.duplicate_rows_removed,
        "conflicting_prompts": spec.counts.conflicting_prompts,
        "original_split_leaked_test_rows": spec.original_split.leaked_test_rows,
        "original_split_test_rows": spec.original_split.n_test,
        "test_rows_clean": spec.test_rows_clean,
        "paper_rule_test_rows_clean": spec.paper_rule_test_rows_clean,
        "small_test": spec.small_test,
        "ood": ood is not None,
        "ood_rows": ood.counts.n_rows if ood else None,
        "ood_rows_clean": ood.counts.n_rows_clean if ood else None,
    }


def run_ls(args: argparse.Namespace) -> int:
    rows = [summary(spec) for spec in get_suite(args.suite).specs()]
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
    sys.stdout.write(_totals_line(rows))
    return 0


def _totals_line(rows: list[dict[str, Any]]) -> str:
    raw = sum(row["n_rows"] for row in rows)
    clean = sum(row["n_rows_clean"] for row in rows)
    leak = sum(r["original_split_leaked_test_rows"] / r["original_split_test_rows"] for r in rows)
    small = sum(row["small_test"] for row in rows)
    paper_small = sum(row["paper_rule_test_rows_clean"] < MIN_TEST_ROWS for row in rows)
    return (
        f"\n{len(rows)} datasets, {sum(row['ood'] for row in rows)} with OOD test sets; "
        f"{raw} rows -> {clean} after cleaning; original split leaked "
        f"{100 * leak / len(rows):.1f}% of test rows on average; {small} flagged small-test "
        f"(< {MIN_TEST_ROWS} balanced test rows once cleaned; {paper_small} under the paper's "
        "literal N - 100 rule)\n"
    )


def run_show(args: argparse.Namespace) -> int:
    spec = get_spec(args.dataset_id)
    source = source_from_args(args)
    raw = load_raw(spec, "main", source)
    clean = load_labeled(spec, "main", source, clean=True)
    payload = {
        **summary(spec),
        "description": spec.description,
        "source": spec.source,
        "link": spec.link,
        "labels": spec.labels,
        "content_hash": spec.content_hash,
        "verified_content_hash": raw.content_hash(),
        "known_defects": spec.known_defects,
        "ood_test_set": spec.ood.model_dump(mode="json") if spec.ood else None,
        "examples": [
            {"prompt": clean.prompts[i], "label": int(clean.labels[i])}
            for i in range(min(args.examples, len(clean)))
        ],
    }
    if args.json:
        write_json(payload)
        return 0
    write_table(["field", "value"], [[key, _short(value)] for key, value in payload.items()])
    return 0


def _short(value: Any, width: int = 100) -> str:
    text = str(value).replace("\n", " ")
    return text if len(text) <= width else text[: width - 3] + "..."


def run_export(args: argparse.Namespace) -> int:
    specs = get_suite(args.suite).specs()
    with tqdm(total=len(specs), unit="dataset", desc="export") as bar:
        out = export_registry(specs, args.out, source_from_args(args), lambda _: bar.update())
    sys.stdout.write(f"wrote {len(specs)} datasets to {out}\n")
    return 0
