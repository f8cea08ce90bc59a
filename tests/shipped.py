"""The shipped submissions as git holds them (manifest, validation, weights, summary), copied
to a test folder with their records restored from the summary: what a fresh clone reads, never
this checkout's own ``results/`` folders."""

from __future__ import annotations

import shutil
from pathlib import Path

from benchmark.results.summary import restore_results
from benchmark.submissions.store import RESULTS_DIR

SHIPPED = Path(__file__).parent.parent / "submissions"


def restored_submission(submission_id: str, root: Path) -> Path:
    """``root/<id>``: the shipped submission without its ``results/``, then restored."""
    folder = root / submission_id
    shutil.copytree(SHIPPED / submission_id, folder, ignore=shutil.ignore_patterns(RESULTS_DIR))
    assert restore_results(folder) > 0
    return folder
