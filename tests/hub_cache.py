"""A Hugging Face Hub cache laid out by hand, with the Hub offline: ``snapshot_download`` (and
``from_pretrained``) then read a repository at one commit from local files, as they would
after a download. As ``huggingface_hub`` lays it out, a snapshot's files are relative links to
the repository's ``blobs/``, named by content hash."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

COMMIT = "0123456789abcdef0123456789abcdef01234567"


def cached_repo(hub: Path, folder_name: str, files: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``files`` as the ``main`` commit of ``folder_name`` (``models--org--name`` or
    ``datasets--org--name``) in a cache at ``hub``, made the Hub's cache, offline."""
    import huggingface_hub.constants as hub_constants

    repo = hub / folder_name
    link_snapshot(files, repo / "blobs", repo / "snapshots" / COMMIT)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(COMMIT)
    monkeypatch.setattr(hub_constants, "HF_HUB_CACHE", str(hub))
    monkeypatch.setattr(hub_constants, "HF_HUB_OFFLINE", True)
    return repo


def link_snapshot(files: Path, blobs: Path, snapshot: Path) -> None:
    """Every file under ``files`` as a blob, linked from its place in ``snapshot``."""
    blobs.mkdir(parents=True, exist_ok=True)
    for path in sorted(files.rglob("*")):
        target = snapshot / path.relative_to(files)
        if path.is_dir():
            target.mkdir(parents=True, exist_ok=True)
            continue
        data = path.read_bytes()
        blob = blobs / hashlib.sha256(data).hexdigest()
        blob.write_bytes(data)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.symlink_to(os.path.relpath(blob, target.parent))
