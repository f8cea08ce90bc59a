"""Rows of a dataset as they travel downstream, and their content hashes."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

Split = Literal["main", "ood"]
_HASH_PREFIX = b"saeprobe-rows-v1\n"


def rows_hash(prompts: Iterable[str], targets: Iterable[str]) -> str:
    """sha256 of (prompt, target) rows in order; unambiguous separators, versioned prefix."""
    digest = hashlib.sha256(_HASH_PREFIX)
    for prompt, target in zip(prompts, targets, strict=True):
        digest.update(prompt.encode("utf-8"))
        digest.update(b"\x1f")
        digest.update(target.encode("utf-8"))
        digest.update(b"\x1e")
    return digest.hexdigest()


@dataclass(frozen=True)
class RawRows:
    """Rows exactly as the source holds them: prompt text and raw label text."""

    prompts: Sequence[str]
    targets: Sequence[str]

    def __len__(self) -> int:
        return len(self.prompts)

    def content_hash(self) -> str:
        return rows_hash(self.prompts, self.targets)


@dataclass(frozen=True, eq=False)
class LabeledPrompts:
    """Prompts with binary labels, ready for activation extraction and probing.

    ``row_ids`` index the raw rows of the source file, so any subset (cleaned, capped) can be
    traced back. ``content_hash`` covers exactly these prompts and labels, in this order: it is
    the dataset part of every activation cache key.
    """

    dataset_id: str
    split: Split
    prompts: Sequence[str]
    labels: np.ndarray
    row_ids: np.ndarray

    def __post_init__(self) -> None:
        if not len(self.prompts) == len(self.labels) == len(self.row_ids):
            raise ValueError("prompts, labels and row_ids must have the same length")

    def __len__(self) -> int:
        return len(self.prompts)

    @property
    def name(self) -> str:
        return self.dataset_id if self.split == "main" else f"{self.dataset_id}:ood"

    def content_hash(self) -> str:
        return rows_hash(self.prompts, (str(int(label)) for label in self.labels))

    def subset(self, indices: np.ndarray) -> LabeledPrompts:
        return LabeledPrompts(
            dataset_id=self.dataset_id,
            split=self.split,
            prompts=[self.prompts[i] for i in indices],
            labels=self.labels[indices],
            row_ids=self.row_ids[indices],
        )
