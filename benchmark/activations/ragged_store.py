"""All-token activations on disk: ragged arrays (``benchmark.ragged``) of every real token of
every prompt (BOS excluded). Each is a pair of ``.npy`` files, memory-mapped on load; the
offsets file is written last and marks the pair complete.

``RaggedBank`` is the all-token twin of the last-token prompt bank: unique prompts' rows in
append-only chunks (tokens, offsets, then keys last), so an interrupted extraction resumes from
its last committed chunk and a prompt shared by datasets is computed once. It lives in its own
folder, so last-token and all-token chunks never mix.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from benchmark.activations.keys import ChunkIndex, prompt_digest
from benchmark.atomic_io import save_npy_atomic
from benchmark.ragged import Ragged, from_rows

OFFSETS = ".offsets.npy"
TOKENS = ".tokens.npy"


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
