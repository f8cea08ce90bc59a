"""The activation store: content-addressed, resumable, memory-mapped.

Layout under the cache root (``~/.cache/saeprobe/activations``)::

    <space>/                      one per (model weights, hook, max length, dtype, format)
      meta.json                   what the space holds, human-readable
      bank/<chunk>.last_token.npy activations of unique prompts, appended in committed chunks
      bank/<chunk>.keys.npy       sha256 of each chunk's prompts; written last = chunk complete
      datasets/<content-hash>.last_token.npy   [N, d] float32 rows of one dataset, in order

The prompt bank makes a prompt shared by several datasets cost one forward pass, and makes an
interrupted extraction resume from its last committed chunk. Dataset arrays are materialized
from the bank only when every prompt is there, and written atomically, so a file that exists is
complete. ``kind`` names the array family; the multi-token store adds ragged all-token arrays
beside ``last_token`` without changing callers.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from benchmark.activations.keys import ChunkIndex, prompt_digest
from benchmark.activations.ragged_store import RaggedBank, load_ragged, ragged_exists, save_ragged
from benchmark.atomic_io import save_npy_atomic, write_text_atomic
from benchmark.errors import SaeprobeError
from benchmark.paths import activations_cache
from benchmark.ragged import Ragged
from datasets_registry.rows import LabeledPrompts

STORE_FORMAT = 1
Kind = Literal["last_token"]
KINDS: tuple[Kind, ...] = ("last_token",)


class MissingActivationsError(SaeprobeError, LookupError):
    """Activations were asked for before they were extracted."""


@dataclass(frozen=True)
class SpaceKey:
    """Everything an activation depends on besides the prompt itself."""

    model: str
    weights_hash: str
    hook: str
    max_length: int
    dtype: str

    def digest(self) -> str:
        identity = {
            "format": STORE_FORMAT,
            "weights_hash": self.weights_hash,
            "hook": self.hook,
            "max_length": self.max_length,
            "dtype": self.dtype,
        }
        return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:24]


class PromptBank(ChunkIndex):
    """Activations of unique prompts, in append-only chunks committed atomically."""

    def __init__(self, directory: Path, kind: Kind = "last_token") -> None:
        super().__init__(directory)
        self.kind = kind

    def append(self, prompts: Sequence[str], activations: np.ndarray) -> None:
        """Commit one chunk: the array first, the keys last (the keys file marks completion)."""
        if len(prompts) != len(activations):
            raise ValueError("one activation row per prompt")
        chunk = uuid.uuid4().hex
        save_npy_atomic(self._array_path(chunk), np.ascontiguousarray(activations, np.float32))
        self.commit_keys(chunk, prompts)

    def gather(self, prompts: Sequence[str]) -> np.ndarray:
        index = self.index()
        locations = [index[prompt_digest(prompt)] for prompt in prompts]
        chunks = {chunk: np.load(self._array_path(chunk), mmap_mode="r") for chunk, _ in locations}
        return np.stack([chunks[chunk][row] for chunk, row in locations]).astype(np.float32)

    def _array_path(self, chunk: str) -> Path:
        return self.directory / f"{chunk}.{self.kind}.npy"


class ActivationSpace:
    """The activations of one (model weights, hook, max length, dtype)."""

    def __init__(self, root: Path, key: SpaceKey) -> None:
        self.key = key
        self.directory = root / key.digest()
        self.bank = PromptBank(self.directory / "bank")
        self._token_banks: dict[int, RaggedBank] = {}

    def token_bank(self, max_tokens: int) -> RaggedBank:
        """The all-token bank for one token cap (a different cap is a different context)."""
        if max_tokens not in self._token_banks:
            folder = self.directory / f"bank-all_tokens-{max_tokens}"
            self._token_banks[max_tokens] = RaggedBank(folder, self.token_dtype)
        return self._token_banks[max_tokens]

    @property
    def token_dtype(self) -> type:
        """All-token rows are stored as float16 (exact for bf16 and fp16 activations within
        float16's range, half of float32's disk), float32 for fp32 spaces."""
        return np.float32 if self.key.dtype == "fp32" else np.float16

    def ensure_meta(self, d_model: int) -> None:
        meta_path = self.directory / "meta.json"
        if not meta_path.exists():
            meta = {"format": STORE_FORMAT, **asdict(self.key), "d_model": d_model}
            write_text_atomic(meta_path, json.dumps(meta, indent=1))

    def dataset_path(self, data: LabeledPrompts, kind: Kind = "last_token") -> Path:
        return self.directory / "datasets" / f"{data.content_hash()}.{kind}.npy"

    def has(self, data: LabeledPrompts, kind: Kind = "last_token") -> bool:
        return self.dataset_path(data, kind).exists()

    def materialize(self, data: LabeledPrompts, kind: Kind = "last_token") -> Path:
        """Write the dataset's array from the bank (atomically); every prompt must be banked."""
        path = self.dataset_path(data, kind)
        if not path.exists():
            save_npy_atomic(path, self.bank.gather(data.prompts))
        return path

    def load(self, data: LabeledPrompts, kind: Kind = "last_token") -> np.ndarray:
        """The dataset's activations, memory-mapped, one row per prompt in order."""
        path = self.dataset_path(data, kind)
        if not path.exists():
            raise MissingActivationsError(
                f"no {kind} activations for {data.name} at {self.key.hook} of {self.key.model}; "
                "run `saeprobe activations extract` first"
            )
        array = np.load(path, mmap_mode="r")
        if array.shape[0] != len(data):
            raise MissingActivationsError(f"{path} has {array.shape[0]} rows, expected {len(data)}")
        return array

    def all_tokens_stem(self, data: LabeledPrompts, max_tokens: int) -> Path:
        return self.directory / "datasets" / f"{data.content_hash()}.all_tokens-{max_tokens}"

    def has_all_tokens(self, data: LabeledPrompts, max_tokens: int) -> bool:
        return ragged_exists(self.all_tokens_stem(data, max_tokens))

    def materialize_all_tokens(self, data: LabeledPrompts, max_tokens: int) -> None:
        stem = self.all_tokens_stem(data, max_tokens)
        if not ragged_exists(stem):
            save_ragged(stem, self.token_bank(max_tokens).gather(data.prompts), self.token_dtype)

    def load_all_tokens(self, data: LabeledPrompts, max_tokens: int) -> Ragged:
        """Every real token's activations (BOS excluded, the last ``max_tokens`` kept)."""
        stem = self.all_tokens_stem(data, max_tokens)
        if not ragged_exists(stem):
            raise MissingActivationsError(
                f"no all-token activations for {data.name} at {self.key.hook} of "
                f"{self.key.model}; run `saeprobe activations extract --all-tokens` first"
            )
        ragged = load_ragged(stem)
        if len(ragged) != len(data):
            raise MissingActivationsError(f"{stem} has {len(ragged)} prompts, expected {len(data)}")
        return ragged


class ActivationStore:
    """All activation spaces under one cache root."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root if root is not None else activations_cache()

    def space(self, key: SpaceKey) -> ActivationSpace:
        return ActivationSpace(self.root, key)
