"""Result records as table rows and back, bit for bit: one row per record (its header: schema,
protocol, provenance, as JSON in the record's own key order) and one row per method and cell.
The export (``export``) and a submission's summary in git (``summary``) are both made of them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from benchmark.errors import SaeprobeError
from benchmark.results.migrations import upgrade_record
from benchmark.results.schema import SAE_ARMS, ResultRecord
from benchmark.results.store import load_record


class ResultsExportError(SaeprobeError, ValueError):
    """An export target that is not empty, or a folder that is not an export."""


def folder_records(results: Path) -> Iterator[tuple[str, Path, ResultRecord]]:
    """(record id: its path under ``results`` without ``.json``, path, record) of a submission's
    results folder, in path order: both SAE arms, every protocol folder."""
    for path in sorted(results.glob("*/*/*/*/*.json")) if results.is_dir() else []:
        if path.parents[2].name in SAE_ARMS:
            record = load_record(path)
            if record is not None:
                yield path.relative_to(results).with_suffix("").as_posix(), path, record


def record_row(record_id: str, record: ResultRecord) -> dict[str, Any]:
    header = record.model_dump(mode="json", exclude={"cells"})  # in its own key order
    return {
        "record_id": record_id,
        "arm": record.arm,
        "protocol": record.protocol,
        "protocol_hash": record.protocol_hash,
        "dataset": record.dataset,
        "regime": record.regime,
        "cells": len(record.cells),
        "header": json.dumps(header),
    }


def method_rows(
    record_id: str, submission_id: str, record: ResultRecord
) -> Iterator[dict[str, Any]]:
    for cell_index, cell in enumerate(record.cells):
        if not cell.methods:
            raise ResultsExportError(f"{record_id}: cell {cell.key} has no methods")
        quiver = None if cell.quiver is None else json.dumps(cell.quiver.model_dump(mode="json"))
        for method_index, method in enumerate(cell.methods):
            yield {
                "submission": submission_id,
                "arm": record.arm,
                "record_id": record_id,
                "cell_index": cell_index,
                "method_index": method_index,
                "dataset": cell.dataset,
                "regime": cell.regime,
                "level": cell.level,
                "seed": cell.seed,
                "n_train": cell.n_train,
                "n_test": cell.n_test,
                "test_split": cell.test_split,
                "selection": cell.selection,
                "cell_seconds": cell.seconds,
                "quiver": quiver,
                "method": method.method,
                "params": json.dumps(method.params),
                "val_auc": method.val_auc,
                "test_auc": method.test_auc,
                "test_accuracy": method.test_accuracy,
                "iterations": method.iterations,
            }


def write_table(rows: list[dict[str, Any]], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows), path, compression="zstd")


def rebuild_record(row: dict[str, Any], cells: dict[str, list[dict[str, Any]]]) -> ResultRecord:
    """A record from its ``records`` row (the header) and its cells (``group_cells``), upgraded
    to the current schema like every record read (a summary's records are schema 3 or later,
    where the arm in the header is its folder's)."""
    header = json.loads(row["header"])
    raw = upgrade_record({**header, "cells": cells.get(row["record_id"], [])}, header["arm"])
    return ResultRecord.model_validate(raw)


def group_cells(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """record id -> its cells (in order), each with its methods (in order)."""
    cells: dict[str, dict[int, dict[str, Any]]] = {}
    for row in sorted(rows, key=lambda r: (r["record_id"], r["cell_index"], r["method_index"])):
        by_index = cells.setdefault(row["record_id"], {})
        if row["cell_index"] not in by_index:
            by_index[row["cell_index"]] = {
                "dataset": row["dataset"], "regime": row["regime"], "level": row["level"],
                "seed": row["seed"], "n_train": row["n_train"], "n_test": row["n_test"],
                "test_split": row["test_split"], "selection": row["selection"],
                "seconds": row["cell_seconds"], "methods": [],
                "quiver": None if row["quiver"] is None else json.loads(row["quiver"]),
            }  # fmt: skip
        by_index[row["cell_index"]]["methods"].append(
            {
                "method": row["method"], "params": json.loads(row["params"]),
                "val_auc": row["val_auc"], "test_auc": row["test_auc"],
                "test_accuracy": row["test_accuracy"], "iterations": row["iterations"],
            }
        )  # fmt: skip
    return {record: [c for _, c in sorted(by_index.items())] for record, by_index in cells.items()}
