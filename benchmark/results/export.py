"""Results outside git: every evaluated submission's records as a Hub-ready dataset repository,
and that repository laid out again as a submissions folder.

An export (``saeprobe results export OUT``) holds:

- ``data/cells.parquet``: one row per method and cell, both arms (what a researcher loads);
- ``data/records.parquet``: one row per record, its header (schema, protocol, provenance) as
  JSON, so that records are rebuilt bit for bit;
- ``submissions/<id>/submission.yaml`` and ``validation.json``: each submission's manifest and
  validation, without its weights (the manifest names them by sha256);
- ``scores/<id>/<results folder>/...``: the per-example score sidecars, as written (compressed);
- ``README.md``: a dataset card.

``import_results`` reverses it into a submissions folder that ``leaderboard build`` reads as it
reads ``submissions/``.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from benchmark.atomic_io import staging_folder
from benchmark.results.rows import (
    ResultsExportError,
    folder_records,
    group_cells,
    method_rows,
    rebuild_record,
    record_row,
    write_table,
)
from benchmark.results.schema import ResultRecord
from benchmark.results.store import scores_path
from benchmark.results.summary import check_record_id, submission_results
from benchmark.submissions.manifest import ID_PATTERN
from benchmark.submissions.store import MANIFEST_FILE, RESULTS_DIR, VALIDATION_FILE, submission_ids

CELLS_FILE = "data/cells.parquet"
RECORDS_FILE = "data/records.parquet"
CARD = """---
license: other
pretty_name: saeprobe results
configs:
  - config_name: cells
    data_files: {cells}
  - config_name: records
    data_files: {records}
---

# saeprobe results

Probing results of {submissions} submitted SAEs ({records_count} records, {cells_count} method
rows), exported by the `saeprobe` benchmark. `data/cells.parquet` has one row per method and
cell: the submission, arm (`sae` or `control`), dataset, regime, level and seed of the cell, the
method, its hyper-parameters (JSON), validation and test ROC-AUC and test accuracy, and the
cell's quiver against the baselines (JSON). `data/records.parquet` holds each record's protocol
hash and provenance. Per-example test scores are under `scores/`, manifests and validations under
`submissions/`.

Build the leaderboard from it: `saeprobe leaderboard build --results DIR` (a local copy), or
`saeprobe leaderboard build --results hub --hub-repo ORG/NAME`.
"""


def export_results(submissions: Path, out: Path) -> tuple[int, int]:
    """Write the export of every evaluated submission under ``submissions``; returns the number
    of records and of method rows. Built in a staging folder, renamed into place."""
    if out.exists() and any(out.iterdir()):
        raise ResultsExportError(f"{out} exists and is not empty")
    records, cells = [], []
    ids = submission_ids(submissions)
    with staging_folder(out.parent) as staging:
        for submission_id in ids:
            folder = submissions / submission_id
            copy_submission_files(folder, staging / "submissions" / submission_id)
            for relative, path, record in folder_records(submission_results(folder)):
                record_id = f"{submission_id}/{RESULTS_DIR}/{relative}"
                records.append(record_row(record_id, record))
                cells += list(method_rows(record_id, submission_id, record))
                copy_scores(path, staging / "scores" / path.relative_to(submissions))
        write_table(records, staging / RECORDS_FILE)
        write_table(cells, staging / CELLS_FILE)
        (staging / "README.md").write_text(card(len(ids), records, cells))
        if out.exists():
            out.rmdir()
        staging.rename(out)
    return len(records), len(cells)


def copy_submission_files(folder: Path, target: Path) -> None:
    target.mkdir(parents=True)
    for name in (MANIFEST_FILE, VALIDATION_FILE):
        if (folder / name).is_file():
            shutil.copyfile(folder / name, target / name)


def copy_scores(record: Path, target_record: Path) -> None:
    if scores_path(record).is_file():
        scores_path(target_record).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(scores_path(record), scores_path(target_record))


def card(submissions: int, records: list[dict[str, Any]], cells: list[dict[str, Any]]) -> str:
    return CARD.format(
        cells=CELLS_FILE, records=RECORDS_FILE, submissions=submissions,
        records_count=len(records), cells_count=len(cells),
    )  # fmt: skip


def import_results(export: Path, target: Path) -> int:
    """Lay the export at ``export`` out as a submissions folder at ``target`` (manifests,
    validations, records and score sidecars); returns the number of records."""
    if not (export / RECORDS_FILE).is_file() or not (export / CELLS_FILE).is_file():
        raise ResultsExportError(f"{export}: not a saeprobe results export ({RECORDS_FILE})")
    cells = group_cells(pq.read_table(export / CELLS_FILE).to_pylist())
    records = pq.read_table(export / RECORDS_FILE).to_pylist()
    rebuilt = [(row["record_id"], rebuild_record(row, cells)) for row in records]
    for record_id, record in rebuilt:  # an export may come from anywhere: checked first
        check_exported_id(record_id, record, export)
    shutil.copytree(export / "submissions", target)
    for row, (_, record) in zip(records, rebuilt, strict=True):
        path = target / f"{row['record_id']}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(record.model_dump_json(indent=1), encoding="utf-8")
        sidecar = scores_path(export / "scores" / f"{row['record_id']}.json")
        if sidecar.is_file():
            shutil.copyfile(sidecar, scores_path(path))
    return len(records)


def check_exported_id(record_id: str, record: ResultRecord, export: Path) -> None:
    """``<submission id>/results/<record id>``, the submission id a slug and the rest where the
    record belongs (``summary.check_record_id``)."""
    submission_id, results, rest = [*record_id.split("/", 2), "", ""][:3]
    if results != RESULTS_DIR or not ID_PATTERN.fullmatch(submission_id):
        raise ResultsExportError(f"{export}: record id {record_id!r} is not a submission's record")
    check_record_id(rest, record, export)
