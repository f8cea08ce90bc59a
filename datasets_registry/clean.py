"""Cleaning: deduplicate identical prompts and drop prompts whose copies disagree on the label.

The original data repeats prompts in 108 of 113 datasets, so the paper's random splits put the
same prompt on both sides (on average 18.6% of test rows). Cleaning happens before any split.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from datasets_registry.spec import CleaningCounts, OriginalSplitLeak

PAPER_SEED = 42
PAPER_MAX_ROWS = 5000
PAPER_MIN_TEST = 100
PAPER_MAX_TRAIN = 1024


def clean_indices(prompts: Sequence[str], labels: np.ndarray) -> tuple[np.ndarray, CleaningCounts]:
    """Indices of the rows to keep (first copy of each consistent prompt), and the counts."""
    first_row: dict[str, int] = {}
    label_sets: dict[str, set[int]] = {}
    for row, (prompt, label) in enumerate(zip(prompts, labels.tolist(), strict=True)):
        first_row.setdefault(prompt, row)
        label_sets.setdefault(prompt, set()).add(label)
    conflicting = {prompt for prompt, seen in label_sets.items() if len(seen) > 1}
    keep = np.array(
        sorted(row for prompt, row in first_row.items() if prompt not in conflicting),
        dtype=np.int64,
    )
    conflict_rows = sum(1 for prompt in prompts if prompt in conflicting)
    counts = CleaningCounts(
        n_rows=len(prompts),
        n_rows_clean=len(keep),
        positives=int(labels.sum()),
        positives_clean=int(labels[keep].sum()),
        duplicate_rows_removed=len(prompts) - conflict_rows - len(keep),
        conflicting_prompts=len(conflicting),
        conflict_rows_removed=conflict_rows,
    )
    return keep, counts


def paper_normal_split(labels: np.ndarray, seed: int = PAPER_SEED) -> tuple[np.ndarray, np.ndarray]:
    """The original code's normal-regime split: balanced train of min(N-100, 1024), rest as test.

    Reproduces the original sampling order exactly (numpy ``RandomState``, positives then
    negatives, train then test) so its leakage can be measured on the same rows.
    """
    labels = labels[:PAPER_MAX_ROWS]
    n_train = min(len(labels) - PAPER_MIN_TEST, PAPER_MAX_TRAIN)
    n_test = len(labels) - n_train - 1
    rng = np.random.RandomState(seed)
    positives, negatives = np.flatnonzero(labels == 1), np.flatnonzero(labels == 0)
    train_pos = rng.choice(positives, size=int(np.ceil(n_train / 2)), replace=False)
    train_neg = rng.choice(negatives, size=n_train - len(train_pos), replace=False)
    rest_pos = np.setdiff1d(positives, train_pos)
    rest_neg = np.setdiff1d(negatives, train_neg)
    test_pos = rng.choice(rest_pos, size=int(np.ceil(n_test / 2)), replace=False)
    test_neg = rng.choice(rest_neg, size=n_test - len(test_pos), replace=False)
    return np.concatenate([train_pos, train_neg]), np.concatenate([test_pos, test_neg])


def original_split_leak(prompts: Sequence[str], labels: np.ndarray) -> OriginalSplitLeak:
    """How many test rows of the paper's normal split have their prompt in its training split."""
    train, test = paper_normal_split(labels)
    train_prompts = {prompts[i] for i in train}
    leaked = sum(1 for i in test if prompts[i] in train_prompts)
    return OriginalSplitLeak(n_train=len(train), n_test=len(test), leaked_test_rows=leaked)
