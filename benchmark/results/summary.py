"""A submission's results as git holds them: ``submissions/<id>/summary/``, a compact form of its
records from which ``submissions/<id>/results/`` (not in git) is restored.

- ``records.parquet``: one row per record: its path under ``results/`` and its header (schema,
  protocol, provenance) as JSON;
- ``cells.parquet``: one row per method and cell (the export's rows), so records are rebuilt
  bit for bit;
- ``scores.npz``: the per-example scores the leaderboard reads (the SAE arm's normal regime:
  each cell's test labels and its picked probe's scores, for the test-example CIs).

``results/`` stays the working store: ``eval`` writes records and full score sidecars there,
resumably, and rewrites the summary when it has computed something. Whatever reads a
submission's results first restores the records ``results/`` lacks (their sidecars hold only the
arrays the summary keeps). The full sidecars travel with ``saeprobe results export``.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq

from benchmark.atomic_io import replace_folder, staging_folder
from benchmark.errors import SaeprobeError
from benchmark.results.comparisons import probe_pick
from benchmark.results.rows import (
    folder_records,
    group_cells,
    method_rows,
    rebuild_record,
    record_row,
    write_table,
)
from benchmark.results.schema import ResultRecord
from benchmark.results.store import load_scores, save_record
from benchmark.submissions.store import RESULTS_DIR


class SummaryError(SaeprobeError, ValueError):
    """A summary whose records do not say where they belong."""


SUMMARY_DIR = "summary"
RECORDS = "records.parquet"
CELLS = "cells.parquet"
SCORES = "scores.npz"
KEPT_REGIME = "normal"  # the regime whose scores the leaderboard's per-example CIs read


def write_summary(folder: Path) -> int:
    """The summary of ``folder``'s records (a submission folder), replacing any earlier one
    whole (built in a staging folder, renamed into place); returns the number of records."""
    entries = folder_records(folder / RESULTS_DIR)
    return write_record_tables(entries, folder.name, folder / SUMMARY_DIR)


def write_record_tables(
    entries: Iterable[tuple[str, Path, ResultRecord]], owner: str, target: Path
) -> int:
    """``records.parquet``, ``cells.parquet`` and ``scores.npz`` of ``entries`` (record id,
    path, record) in ``target``, replacing it whole; ``owner`` fills the cells' ``submission``
    column. Returns the number of records (0: nothing is written)."""
    records: list[dict[str, Any]] = []
    cells: list[dict[str, Any]] = []
    scores: dict[str, np.ndarray] = {}
    for record_id, path, record in entries:
        records.append(record_row(record_id, record))
        cells += list(method_rows(record_id, owner, record))
        if keeps_scores(record):
            kept = kept_scores(record, load_scores(path))
            scores |= {f"{record_id}/{key}": value for key, value in kept.items()}
    if not records:
        return 0
    with staging_folder(target.parent) as staging:
        write_table(records, staging / RECORDS)
        write_table(cells, staging / CELLS)
        (staging / SCORES).write_bytes(npz_bytes(scores))
        replace_folder(staging, target)
    return len(records)


def kept_scores(record: ResultRecord, scores: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The arrays the leaderboard reads: per normal-regime cell of the SAE arm, the test labels
    and the picked probe's scores (every tied pick's)."""
    if not keeps_scores(record):
        return {}
    kept: dict[str, np.ndarray] = {}
    for cell in record.cells:
        names = ["test_labels", *probe_pick(cell)[0]] if cell.methods else []
        keys = [f"{cell.key}/{name}" for name in names]
        kept |= {key: scores[key] for key in keys if key in scores}
    return kept


def keeps_scores(record: ResultRecord) -> bool:
    return record.arm == "sae" and record.regime == KEPT_REGIME


def npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    buffer = io.BytesIO()
    np.savez_compressed(buffer, allow_pickle=False, **dict(sorted(arrays.items())))
    return buffer.getvalue()


def submission_results(folder: Path) -> Path:
    """``folder/results/``, holding at least every record of the submission's summary."""
    restore_results(folder)
    return folder / RESULTS_DIR


def restore_results(folder: Path) -> int:
    """Write into ``folder/results/`` every record of the summary that it lacks, each with the
    arrays the summary keeps as its score sidecar; returns the number restored."""
    return restore_record_tables(folder / SUMMARY_DIR, folder / RESULTS_DIR, check_record_id)


RecordCheck = Callable[[str, ResultRecord, Path], None]
"""Raises unless a record id (from the summary at the given path) is where its record belongs."""


def restore_record_tables(summary: Path, results: Path, check: RecordCheck) -> int:
    """Write ``results/<record id>.json`` for every record of the tables in ``summary`` that
    ``results`` lacks, after ``check`` has passed every one of them; returns how many."""
    if not (summary / RECORDS).is_file():
        return 0
    rows = pq.read_table(summary / RECORDS).to_pylist()
    missing = [row for row in rows if not (results / f"{row['record_id']}.json").is_file()]
    if not missing:
        return 0
    cells = group_cells(pq.read_table(summary / CELLS).to_pylist())
    scores = summary_scores(summary / SCORES)
    rebuilt = [(row["record_id"], rebuild_record(row, cells)) for row in missing]
    for record_id, record in rebuilt:  # every one checked before anything is written
        check(record_id, record, summary)
    for record_id, record in rebuilt:
        save_record(results / f"{record_id}.json", record, scores.get(record_id, {}))
    return len(missing)


def safe_parts(record_id: str, count: int) -> list[str] | None:
    """The id's ``count`` parts, or None where it has another number of them or one that could
    leave its folder (empty, ``.``, ``..``, a backslash)."""
    parts = record_id.split("/")
    if len(parts) != count or any(part in ("", ".", "..") or "\\" in part for part in parts):
        return None
    return parts


def check_record_id(record_id: str, record: ResultRecord, summary: Path) -> None:
    """A summary comes with a submission, so it is not trusted: each record id must be the path
    its record is stored at, ``<protocol>-<hash>/<arm>/<dataset>/<data key>/<regime>``, inside
    ``results/`` (no ``..``, no absolute path) and naming the record's own arm, dataset and
    regime."""
    parts = safe_parts(record_id, 5)
    if (
        parts is None
        or [parts[1], parts[2], parts[4]] != [record.arm, record.dataset, record.regime]
        or parts[0] != f"{record.protocol}-{record.protocol_hash[:12]}"
    ):
        raise SummaryError(f"{summary}: record id {record_id!r} is not where its record belongs")


def summary_scores(path: Path) -> dict[str, dict[str, np.ndarray]]:
    """record id -> its kept arrays, keyed as in a sidecar (``<cell key>/<name>``)."""
    by_record: dict[str, dict[str, np.ndarray]] = {}
    if not path.is_file():
        return by_record
    with np.load(path, allow_pickle=False) as archive:
        for name in archive.files:
            record_id, cell, array = name.rsplit("/", 2)
            by_record.setdefault(record_id, {})[f"{cell}/{array}"] = archive[name]
    return by_record
