"""Where caches live: ``$SAEPROBE_CACHE`` or ``~/.cache/saeprobe`` (never inside the repository),
and how a folder of the Hugging Face Hub's cache is recognised."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


def cache_root() -> Path:
    configured = os.environ.get("SAEPROBE_CACHE")
    root = Path(configured) if configured else Path.home() / ".cache" / "saeprobe"
    return root.expanduser()


def models_cache() -> Path:
    return cache_root() / "models"


def activations_cache() -> Path:
    return cache_root() / "activations"


@dataclass(frozen=True)
class HubSnapshotPath:
    """A path inside a model snapshot of the Hub's cache,
    ``<cache>/models--ORG--NAME/snapshots/COMMIT/<parts>``."""

    repo_cache: Path  # <cache>/models--ORG--NAME: its snapshots link to its blobs/
    repo: str  # ORG/NAME
    commit: str
    parts: tuple[str, ...]


def hub_snapshot_path(path: Path) -> HubSnapshotPath | None:
    from huggingface_hub import constants

    resolved, hub = path.resolve(), Path(constants.HF_HUB_CACHE).resolve()
    if not resolved.is_relative_to(hub):
        return None
    parts = resolved.relative_to(hub).parts
    if len(parts) < 3 or not parts[0].startswith("models--") or parts[1] != "snapshots":
        return None
    repo = parts[0].removeprefix("models--").replace("--", "/")
    return HubSnapshotPath(hub / parts[0], repo, parts[2], parts[3:])
