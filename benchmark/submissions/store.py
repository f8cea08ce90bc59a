"""The submissions folder: ``$SAEPROBE_SUBMISSIONS`` or ``./submissions``, one folder per id.

An id is a slug and the resolved folder must sit directly under the root, so no id (``../x``,
an absolute path, a symlink) can reach outside it.
"""

from __future__ import annotations

import os
from pathlib import Path

from benchmark.submissions.manifest import MANIFEST_FILE, ManifestError, check_id

VALIDATION_FILE = "validation.json"
RESULTS_DIR = "results"
SAE_DIR = "sae"


def submissions_root() -> Path:
    configured = os.environ.get("SAEPROBE_SUBMISSIONS")
    return (Path(configured) if configured else Path.cwd() / "submissions").expanduser()


def submission_dir(submission_id: str, root: Path | None = None) -> Path:
    root = (root or submissions_root()).resolve()
    folder = (root / check_id(submission_id)).resolve()
    if folder.parent != root:
        raise ManifestError(f"id {submission_id!r} resolves outside {root}")
    return folder


def manifest_path(submission_id: str, root: Path | None = None) -> Path:
    return submission_dir(submission_id, root) / MANIFEST_FILE


def submission_ids(root: Path | None = None) -> list[str]:
    root = root or submissions_root()
    if not root.is_dir():
        return []
    return sorted(p.parent.name for p in root.glob(f"*/{MANIFEST_FILE}"))
