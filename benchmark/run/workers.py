"""How many worker processes a run may use (kept apart from the executor, so the command line
can show the default without importing it)."""

from __future__ import annotations

import os


def default_workers() -> int:
    """One worker per CPU this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
