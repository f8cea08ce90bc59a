"""The synthetic track's results summarised per architecture, with 95% Student-t intervals over
seeds: the metrics, recovery by firing rate, and the probing gaps (SAE probe minus the logistic
baseline and minus its random control), overall and split into recovered and missed tasks.

A track's results file holds the runs and the features' firing rates; every summary here is
recomputed from them, so the command line and the leaderboard read the same numbers.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats

from benchmark.atomic_io import write_text_atomic
from benchmark.errors import SaeprobeError
from benchmark.synthetic.run import SyntheticRun
from benchmark.synthetic.scores import METRICS

COMPARISONS = ("logistic", "control")  # what the SAE probe is compared with
TASK_GROUPS = ("all", "recovered", "missed")
RATE_BINS = 8  # recovery is shown over this many log-spaced firing-rate bins


@dataclass(frozen=True)
class Interval:
    mean: float
    low: float
    high: float


def seed_interval(values: Sequence[float]) -> Interval:
    """Mean and 95% Student-t interval (NaN bounds with one value)."""
    mean = float(np.mean(values))
    if len(values) < 2 or np.std(values) == 0:
        half = float("nan") if len(values) < 2 else 0.0
        return Interval(mean, mean - half, mean + half)
    low, high = stats.t.interval(0.95, len(values) - 1, loc=mean, scale=stats.sem(values))
    return Interval(mean, float(low), float(high))


@dataclass(frozen=True)
class TrackResults:
    """What a track run leaves: its hash, each true feature's firing rate (on the scoring
    rows) and every run."""

    track_hash: str
    feature_rates: list[float]
    runs: list[SyntheticRun]

    def architectures(self) -> list[str]:
        return list(dict.fromkeys(run.architecture for run in self.runs))

    def runs_of(self, architecture: str) -> list[SyntheticRun]:
        return [run for run in self.runs if run.architecture == architecture]


def write_results(path: Path, results: TrackResults) -> None:
    """The runs and rates, with the summaries beside them for a reader of the file."""
    summaries = {
        name: {m: vars(i) for m, i in metric_summary(results.runs_of(name)).items()}
        for name in results.architectures()
    }
    raw = {
        "track_hash": results.track_hash,
        "summary": summaries,
        "feature_rates": [round(rate, 6) for rate in results.feature_rates],
        "runs": [run.as_dict() for run in results.runs],
    }
    write_text_atomic(path, json.dumps(raw, indent=1))


def load_results(path: Path) -> TrackResults:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        runs = [SyntheticRun.from_dict(run) for run in raw["runs"]]
        return TrackResults(raw["track_hash"], raw.get("feature_rates", []), runs)
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise SaeprobeError(f"{path}: not a synthetic-track results file ({error})") from error


def metric_summary(runs: Sequence[SyntheticRun]) -> dict[str, Interval]:
    """One architecture's runs (one per seed): each metric's mean and interval."""
    return {m: seed_interval([run.scores.as_dict()[m] for run in runs]) for m in METRICS}


@dataclass(frozen=True)
class ProbingGap:
    """The SAE probe's mean test AUC minus ``comparison``'s in one regime. ``all``: one value
    per seed (the mean over its tasks), ``count`` seeds; ``recovered`` / ``missed``: one value
    per task the SAE recovered or missed, pooled over seeds, ``count`` tasks."""

    regime: str
    comparison: str
    tasks: str
    count: int
    interval: Interval


def probing_gaps(runs: Sequence[SyntheticRun]) -> list[ProbingGap]:
    probed = [run for run in runs if run.probing]
    regimes = list(dict.fromkeys(r for run in probed for t in run.probing for r in t["regimes"]))
    found = []
    for regime in regimes:
        for other in COMPARISONS:
            per_seed = [float(np.mean([gap(t, regime, other) for t in r.probing])) for r in probed]
            found.append(ProbingGap(regime, other, "all", len(per_seed), seed_interval(per_seed)))
            for group in TASK_GROUPS[1:]:
                wanted = group == "recovered"
                tasks = [t for run in probed for t in run.probing if t["recovered"] == wanted]
                if tasks:
                    gaps = [gap(t, regime, other) for t in tasks]
                    found.append(ProbingGap(regime, other, group, len(gaps), seed_interval(gaps)))
    return found


def gap(task: dict[str, Any], regime: str, other: str) -> float:
    scores = task["regimes"][regime]
    return float(scores["sae"] - scores[other])


@dataclass(frozen=True)
class RecoveryCurve:
    """The share of true features recovered per firing-rate bin: bin centres (geometric) and
    per bin the mean and interval over seeds."""

    rates: list[float]
    shares: list[Interval]


def recovery_by_rate(
    runs: Sequence[SyntheticRun], feature_rates: Sequence[float], threshold: float
) -> RecoveryCurve:
    rates = np.asarray(feature_rates, dtype=float)
    edges = np.geomspace(rates.min(), rates.max(), RATE_BINS + 1)
    bins = np.clip(np.digitize(rates, edges) - 1, 0, RATE_BINS - 1)
    with_cosines = [np.asarray(run.feature_cosines) for run in runs if run.feature_cosines]
    centres, shares = [], []
    for b in range(RATE_BINS):
        members = bins == b
        if members.any() and with_cosines:
            centres.append(float(np.sqrt(edges[b] * edges[b + 1])))
            per_seed = [float((c[members] > threshold).mean()) for c in with_cosines]
            shares.append(seed_interval(per_seed))
    return RecoveryCurve(centres, shares)
