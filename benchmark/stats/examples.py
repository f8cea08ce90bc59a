"""CIs of one test AUC from resampling test examples (stratified: positives and negatives are
resampled separately, so every replicate keeps both classes and the class sizes)."""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata

from benchmark.stats.bootstrap import percentile_interval
from benchmark.stats.settings import StatsSettings


def rank_auc(scores: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """ROC-AUC per row of ``scores`` [B, n] with labels [B, n] (Mann-Whitney U, ties halved)."""
    ranks = rankdata(scores, axis=-1)
    positives = labels.sum(axis=-1)
    negatives = labels.shape[-1] - positives
    u = (ranks * labels).sum(axis=-1) - positives * (positives + 1) / 2
    return u / (positives * negatives)


def stratified_indices(labels: np.ndarray, settings: StatsSettings) -> np.ndarray:
    rng = np.random.default_rng(settings.seed)
    parts = []
    for cls in (0, 1):
        members = np.flatnonzero(labels == cls)
        if not len(members):
            raise ValueError("an AUC needs test examples of both classes")
        parts.append(members[rng.integers(0, len(members), (settings.resamples, len(members)))])
    return np.concatenate(parts, axis=1)


def auc_interval(
    scores: np.ndarray, labels: np.ndarray, settings: StatsSettings
) -> tuple[float, float]:
    """The ``confidence`` percentile interval of the test AUC over resampled test examples."""
    labels = np.asarray(labels).astype(int)
    indices = stratified_indices(labels, settings)
    draws = rank_auc(np.asarray(scores, dtype=float)[indices], labels[indices])
    return percentile_interval(draws, settings.confidence)
