"""All-token activations: ragged arrays of every real token of every prompt (BOS excluded).

A ``Ragged`` is ``tokens [total, d]`` and ``offsets [n + 1]``: prompt i owns the rows
``tokens[offsets[i]:offsets[i + 1]]``. On disk each is a pair of ``.npy`` files, memory-mapped
on load; the offsets file is written last and marks the pair complete.

``RaggedBank`` is the all-token twin of the last-token prompt bank: unique prompts' rows in
append-only chunks (tokens, offsets, then keys last), so an interrupted extraction resumes from
its last committed chunk and a prompt shared by datasets is computed once. It lives in its own
folder, so last-token and all-token chunks never mix.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchmark.activations.keys import ChunkIndex, prompt_digest
from benchmark.atomic_io import save_npy_atomic

OFFSETS = ".offsets.npy"
TOKENS = ".tokens.npy"


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


def save_ragged(stem: Path, ragged: Ragged, dtype: type) -> None:
    """``<stem>.tokens.npy`` then ``<stem>.offsets.npy`` (the commit point), each atomic."""
    save_npy_atomic(Path(f"{stem}{TOKENS}"), np.ascontiguousarray(ragged.tokens, dtype))
    save_npy_atomic(Path(f"{stem}{OFFSETS}"), ragged.offsets.astype(np.int64))


def ragged_exists(stem: Path) -> bool:
    return Path(f"{stem}{OFFSETS}").exists()


def load_ragged(stem: Path) -> Ragged:
    tokens = np.load(Path(f"{stem}{TOKENS}"), mmap_mode="r")
    return Ragged(tokens, np.load(Path(f"{stem}{OFFSETS}")))


class RaggedBank(ChunkIndex):
    """All-token activations of unique prompts, in committed chunks."""

    def __init__(self, directory: Path, dtype: type = np.float16) -> None:
        super().__init__(directory)
        self.dtype = dtype

    def append(self, prompts: Sequence[str], rows: Sequence[np.ndarray]) -> None:
        if len(prompts) != len(rows):
            raise ValueError("one token array per prompt")
        chunk = uuid.uuid4().hex
        save_ragged(self.directory / chunk, from_rows(rows, rows[0].shape[1]), self.dtype)
        self.commit_keys(chunk, prompts)

    def gather(self, prompts: Sequence[str]) -> Ragged:
        index = self.index()
        locations = [index[prompt_digest(p)] for p in prompts]
        chunks = {chunk: load_ragged(self.directory / chunk) for chunk, _ in locations}
        width = next(iter(chunks.values())).tokens.shape[1]
        return from_rows([chunks[c].row(r) for c, r in locations], width, self.dtype)
