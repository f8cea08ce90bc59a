"""How the activation banks key prompts: the sha256 of a prompt's UTF-8 text, and an index of
committed chunks (a chunk counts once its keys file exists; it is written last)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from benchmark.atomic_io import save_npy_atomic


def prompt_digest(prompt: str) -> bytes:
    return hashlib.sha256(prompt.encode("utf-8")).digest()


class ChunkIndex:
    """prompt digest -> (chunk name, row) over the committed chunks of one folder."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._index: dict[bytes, tuple[str, int]] | None = None

    def index(self) -> dict[bytes, tuple[str, int]]:
        if self._index is None:
            self._index = {}
            for keys_path in sorted(self.directory.glob("*.keys.npy")):
                chunk = keys_path.name.removesuffix(".keys.npy")
                for row, key in enumerate(np.load(keys_path)):
                    self._index.setdefault(key.tobytes(), (chunk, row))
        return self._index

    def missing(self, prompts: Sequence[str]) -> list[str]:
        index = self.index()
        return [prompt for prompt in dict.fromkeys(prompts) if prompt_digest(prompt) not in index]

    def commit_keys(self, chunk: str, prompts: Sequence[str]) -> None:
        """Write the chunk's keys (after its arrays): from now on the chunk counts."""
        keys = np.frombuffer(b"".join(prompt_digest(p) for p in prompts), dtype=np.uint8)
        save_npy_atomic(self.directory / f"{chunk}.keys.npy", keys.reshape(len(prompts), 32))
        index = self.index()
        for row, prompt in enumerate(prompts):
            index.setdefault(prompt_digest(prompt), (chunk, row))
