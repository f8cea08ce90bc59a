"""A Hugging Face Hub cache laid out by hand, with the Hub offline: ``snapshot_download`` (and
``from_pretrained``) then read a repository at one commit from local files, as they would
after a download."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

COMMIT = "0123456789abcdef0123456789abcdef01234567"


def cached_repo(hub: Path, folder_name: str, files: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``files`` as the ``main`` commit of ``folder_name`` (``models--org--name`` or
    ``datasets--org--name``) in a cache at ``hub``, made the Hub's cache, offline."""
    import huggingface_hub.constants as hub_constants

    repo = hub / folder_name
    shutil.copytree(files, repo / "snapshots" / COMMIT)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(COMMIT)
    monkeypatch.setattr(hub_constants, "HF_HUB_CACHE", str(hub))
    monkeypatch.setattr(hub_constants, "HF_HUB_OFFLINE", True)
    return repo
