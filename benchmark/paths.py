"""Where caches live: ``$SAEPROBE_CACHE`` or ``~/.cache/saeprobe`` (never inside the repository)."""

from __future__ import annotations

import os
from pathlib import Path


def cache_root() -> Path:
    configured = os.environ.get("SAEPROBE_CACHE")
    root = Path(configured) if configured else Path.home() / ".cache" / "saeprobe"
    return root.expanduser()


def models_cache() -> Path:
    return cache_root() / "models"


def activations_cache() -> Path:
    return cache_root() / "activations"
