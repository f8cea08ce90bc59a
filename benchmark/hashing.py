"""Content hashes: files (weights, model files) and arrays (calibration rows)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

BLOCK = 1 << 20


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(BLOCK), b""):
            digest.update(block)
    return digest.hexdigest()


def sha256_array(array: np.ndarray) -> str:
    """sha256 of the array's bytes in C order, read in place when it is contiguous (a
    memory-mapped array is not copied)."""
    contiguous = np.ascontiguousarray(array)
    return hashlib.sha256(contiguous.data.cast("B") if contiguous.size else b"").hexdigest()
