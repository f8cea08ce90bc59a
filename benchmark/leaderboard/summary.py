"""Summaries of each evaluation: per comparison and regime, the mean delta with its dataset
bootstrap CI, p-value adjusted across the regimes reported, and win / tie / loss counts; the
ranking score per dataset; and the ranking of evaluations that share a protocol hash."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from benchmark.leaderboard.collect import Evaluation
from benchmark.results.comparisons import COMPARISONS, ByDataset, cell_deltas, flatten
from benchmark.stats.bootstrap import Estimate, dataset_bootstrap
from benchmark.stats.counts import WinTieLoss, win_tie_loss
from benchmark.stats.multiple import adjust
from benchmark.stats.ranks import Ranked, rank_entries
from benchmark.stats.settings import StatsSettings

RANKING_COMPARISON = "probe"


@dataclass(frozen=True)
class RegimeSummary:
    comparison: str
    regime: str
    estimate: Estimate
    adjusted_p: float
    counts: WinTieLoss
    alpha: float  # the significance level (StatsSettings.alpha)

    @property
    def significant(self) -> bool:
        return self.adjusted_p < self.alpha


@dataclass(frozen=True)
class EntrySummary:
    evaluation: Evaluation
    rows: dict[tuple[str, str], RegimeSummary]  # (comparison, regime)
    cell_means: dict[tuple[str, str], float]  # (regime, dataset) -> mean ranking delta

    def get(self, comparison: str, regime: str) -> RegimeSummary | None:
        return self.rows.get((comparison, regime))


def summarize(evaluation: Evaluation, settings: StatsSettings) -> EntrySummary:
    deltas = cell_deltas(evaluation.cells["sae"], evaluation.cells.get("control", []))
    rows: dict[tuple[str, str], RegimeSummary] = {}
    for comparison in COMPARISONS:
        rows.update(comparison_rows(comparison, deltas[comparison], settings))
    return EntrySummary(evaluation, rows, regime_dataset_means(deltas[RANKING_COMPARISON]))


def comparison_rows(
    comparison: str, by_regime: dict[str, ByDataset], settings: StatsSettings
) -> dict[tuple[str, str], RegimeSummary]:
    """One comparison across regimes, its p-values adjusted together (Holm or BH)."""
    regimes = sorted(by_regime)
    estimates = [dataset_bootstrap(by_regime[regime], settings) for regime in regimes]
    adjusted = adjust([e.p_value for e in estimates], settings.correction)
    return {
        (comparison, regime): RegimeSummary(
            comparison,
            regime,
            estimate,
            float(p),
            win_tie_loss(flatten(by_regime[regime]), settings.tie_tolerance),
            settings.alpha,
        )
        for regime, estimate, p in zip(regimes, estimates, adjusted, strict=True)
    }


def regime_dataset_means(by_regime: dict[str, ByDataset]) -> dict[tuple[str, str], float]:
    return {
        (regime, dataset): float(np.mean(values))
        for regime, by_dataset in by_regime.items()
        for dataset, values in by_dataset.items()
    }


def dataset_scores(
    means: dict[tuple[str, str], float], shared: set[tuple[str, str]]
) -> dict[str, float]:
    """Per dataset: the mean over the shared regimes of the dataset's mean delta in each, so
    every regime weighs the same whatever its number of cells."""
    per_dataset: dict[str, list[float]] = {}
    for (regime, dataset), mean in means.items():
        if (regime, dataset) in shared:
            per_dataset.setdefault(dataset, []).append(mean)
    return {dataset: float(np.mean(values)) for dataset, values in per_dataset.items()}


def rank(summaries: Sequence[EntrySummary], settings: StatsSettings) -> list[Ranked]:
    """Rank on the (regime, dataset) pairs every submission has results for, so no submission
    is scored on regimes or datasets another lacks."""
    entries = [s for s in summaries if s.cell_means]
    if not entries:
        return []
    shared = set.intersection(*(set(s.cell_means) for s in entries))
    scores = {s.evaluation.id: dataset_scores(s.cell_means, shared) for s in entries}
    if not any(scores.values()):
        raise ValueError("the submissions share no (regime, dataset) to rank them on")
    return rank_entries(scores, settings)


def group_by_protocol(evaluations: Sequence[Evaluation]) -> dict[str, list[Evaluation]]:
    groups: dict[str, list[Evaluation]] = {}
    for evaluation in evaluations:
        groups.setdefault(evaluation.protocol_hash, []).append(evaluation)
    return groups


def main_protocol(groups: dict[str, list[Evaluation]], preferred: str) -> str | None:
    """The protocol hash ranked on the front page: ``preferred`` (the default protocol's hash)
    when any evaluation has it, else the hash with the most evaluations."""
    if preferred in groups:
        return preferred
    return max(groups, key=lambda h: len(groups[h]), default=None)
