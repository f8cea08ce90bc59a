"""Atomic writes: a file is written to a temporary file in the same folder, fsynced, then
renamed; a folder is built in a staging folder beside its target, then renamed.

A reader never sees a half-written file or folder under the final name, whatever crashes when.
A staging folder is named after the process that owns it, so the next writer in the same
place removes those whose process is gone (killed with SIGKILL, nothing else could).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; on success it replaces ``path`` atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
        with temporary.open("rb+") as written:
            os.fsync(written.fileno())
        temporary.replace(path)
    finally:
        temporary.unlink(missing_ok=True)


STAGING_PREFIX = ".staging-"


@contextlib.contextmanager
def staging_folder(parent: Path) -> Iterator[Path]:
    """A fresh, empty folder in ``parent`` (created if needed), removed on exit unless renamed
    away; abandoned staging folders of dead processes in ``parent`` are removed first."""
    parent.mkdir(parents=True, exist_ok=True)
    remove_abandoned_staging(parent)
    folder = Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{os.getpid()}-", dir=parent))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def remove_abandoned_staging(parent: Path) -> None:
    for folder in parent.glob(f"{STAGING_PREFIX}*"):
        owner = folder.name.removeprefix(STAGING_PREFIX).split("-", 1)[0]
        if not (owner.isdigit() and process_alive(int(owner))):
            shutil.rmtree(folder, ignore_errors=True)


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


def write_text_atomic(path: Path, text: str) -> None:
    with atomic_path(path) as temporary:
        temporary.write_text(text, encoding="utf-8")


def save_npy_atomic(path: Path, array: np.ndarray) -> None:
    with atomic_path(path) as temporary, temporary.open("wb") as out:
        np.save(out, array, allow_pickle=False)


def replace_folder(new: Path, out: Path) -> None:
    """Swap ``new`` in for ``out``: the old folder is renamed away first, then removed, so a
    crash leaves one of the two whole."""
    old = out.with_name(f".old-{out.name}")
    if old.exists():
        shutil.rmtree(old)
    if out.exists():
        out.rename(old)
    new.rename(out)
    if old.exists():
        shutil.rmtree(old)
