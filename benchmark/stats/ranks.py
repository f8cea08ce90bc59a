"""Rank intervals and tie groups across submissions, from one shared resampling of datasets.

Every submission's score is recomputed on the same resampled datasets, so the ranks within a
replicate are paired. A rank interval is the central ``confidence`` range of a submission's
ranks over replicates. Tie groups walk the submissions from the best point score down: a group
starts at its leader and takes every following submission whose paired difference from the
leader has a CI containing zero; the first one separable from the leader starts the next group.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from scipy.stats import rankdata

from benchmark.stats.bootstrap import percentile_interval, resample_indices
from benchmark.stats.settings import StatsSettings


@dataclass(frozen=True)
class Ranked:
    entry: str
    score: float
    rank: int
    rank_low: int
    rank_high: int
    group: int
    n_datasets: int


def score_matrix(
    scores: Mapping[str, Mapping[str, float]],
) -> tuple[list[str], list[str], np.ndarray]:
    """Entries, the datasets every entry covers (sorted), and scores [entries, datasets]."""
    entries = sorted(scores)
    shared = sorted(set.intersection(*(set(scores[e]) for e in entries)))
    if not shared:
        raise ValueError("the entries share no dataset to rank them on")
    matrix = np.array([[scores[e][d] for d in shared] for e in entries], dtype=float)
    return entries, shared, matrix


def rank_entries(
    scores: Mapping[str, Mapping[str, float]], settings: StatsSettings
) -> list[Ranked]:
    """Entries ranked by mean per-dataset score (higher is better), best first."""
    if not scores:
        return []
    entries, shared, matrix = score_matrix(scores)
    point = matrix.mean(axis=1)
    if len(shared) < 2:  # nothing to resample: every rank is possible, no entry separable
        return unresolved(entries, point)
    draws = matrix[:, resample_indices(len(shared), settings)].mean(axis=2)  # [entries, B]
    ranks = rankdata(-draws, axis=0, method="min")
    order = np.argsort(-point, kind="stable")
    point_ranks = rankdata(-point, method="min").astype(int)
    groups = tie_groups(draws, order, settings.confidence)
    tail = (1 - settings.confidence) / 2 * 100
    return [
        Ranked(
            entry=entries[i],
            score=float(point[i]),
            rank=int(point_ranks[i]),
            rank_low=int(np.percentile(ranks[i], tail, method="lower")),
            rank_high=int(np.percentile(ranks[i], 100 - tail, method="higher")),
            group=groups[i],
            n_datasets=len(shared),
        )
        for i in order
    ]


def unresolved(entries: list[str], point: np.ndarray) -> list[Ranked]:
    ranks = rankdata(-point, method="min").astype(int)
    return [
        Ranked(entries[i], float(point[i]), int(ranks[i]), 1, len(entries), 1, 1)
        for i in np.argsort(-point, kind="stable")
    ]


def tie_groups(draws: np.ndarray, order: np.ndarray, confidence: float) -> dict[int, int]:
    """Group number (1 = best) of each entry index; ``order`` is best first."""
    groups: dict[int, int] = {}
    leader, group = int(order[0]), 1
    for index in order:
        low, _ = percentile_interval(draws[leader] - draws[index], confidence)
        if index != leader and low > 0:
            leader, group = int(index), group + 1
        groups[int(index)] = group
    return groups
