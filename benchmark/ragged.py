"""Ragged arrays: every real token of every prompt, without padding.

A ``Ragged`` is ``tokens [total, d]`` and ``offsets [n + 1]``: prompt i owns the rows
``tokens[offsets[i]:offsets[i + 1]]``. This module is the pure type; its disk storage (memory-
mapped pairs of ``.npy`` files and the chunked bank) lives in ``activations/ragged_store.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Ragged:
    tokens: np.ndarray  # [total, d]
    offsets: np.ndarray  # [n + 1], offsets[0] == 0, offsets[-1] == total

    def __post_init__(self) -> None:
        if self.offsets[0] != 0 or self.offsets[-1] != len(self.tokens):
            raise ValueError("offsets must start at 0 and end at the number of token rows")
        if np.any(np.diff(self.offsets) < 0):
            raise ValueError("offsets must not decrease")

    def __len__(self) -> int:
        return len(self.offsets) - 1

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)

    def row(self, index: int) -> np.ndarray:
        return np.asarray(self.tokens[self.offsets[index] : self.offsets[index + 1]])

    def take(self, indices: Sequence[int] | np.ndarray) -> Ragged:
        """The prompts ``indices`` in that order, as a new in-memory ragged array (float32)."""
        rows = [self.row(int(i)) for i in indices]
        return from_rows(rows, self.tokens.shape[1])

    @classmethod
    def concat(cls, parts: Sequence[Ragged]) -> Ragged:
        width = parts[0].tokens.shape[1]
        return from_rows([p.row(i) for p in parts for i in range(len(p))], width)


def from_rows(rows: Sequence[np.ndarray], width: int, dtype: type = np.float32) -> Ragged:
    lengths = np.array([len(r) for r in rows], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    tokens: np.ndarray = np.concatenate(rows).astype(dtype) if rows else np.zeros((0, width), dtype)
    return Ragged(tokens, offsets)
