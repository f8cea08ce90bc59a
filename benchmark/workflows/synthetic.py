"""The synthetic-track journey: every architecture trained on the track's ground-truth model
under each seed (the same budget), scored, and summarised per architecture with a 95% interval
over seeds; written as one JSON file for the leaderboard."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats
from tqdm import tqdm

from benchmark.atomic_io import write_text_atomic
from benchmark.errors import SaeprobeError
from benchmark.synthetic.ground_truth import ground_truth_model
from benchmark.synthetic.probing import ProbingContext
from benchmark.synthetic.run import SyntheticRun, architectures, run_once, runs_dir
from benchmark.synthetic.scores import METRICS
from benchmark.synthetic.track import TRACK_FILE, load_track

SUMMARY_FILE = "synthetic-track.json"


@dataclass(frozen=True)
class SyntheticOptions:
    architectures: tuple[str, ...] = ()  # default: every reference recipe and the chance floor
    seeds: tuple[int, ...] = ()  # default: the track's
    track_file: Path = TRACK_FILE
    out: Path | None = None  # default: the cache's runs folder
    probing: bool = True  # also probe the tasks whose labels are known features
    progress: bool = True


@dataclass(frozen=True)
class Interval:
    mean: float
    low: float
    high: float


@dataclass(frozen=True)
class SyntheticReport:
    path: Path
    track_hash: str
    summary: dict[str, dict[str, Interval]]  # architecture -> metric -> mean and 95% interval
    probing: dict[str, dict[str, Interval]]  # architecture -> "<regime> <comparison>" -> interval
    runs: list[SyntheticRun]


COMPARISONS = {"sae - logistic": "logistic", "sae - control": "control"}


def probing_summary(runs: Sequence[SyntheticRun]) -> dict[str, Interval]:
    """Per regime and comparison: the mean over tasks of the SAE probe's AUC minus the other's,
    one value per seed, and its interval over seeds; and the same gap over the tasks the SAE
    recovered and over those it missed, pooled over seeds."""
    found: dict[str, Interval] = {}
    probed = [run for run in runs if run.probing]
    regimes = sorted({r for run in probed for task in run.probing for r in task["regimes"]})
    for regime in regimes:
        for name, other in COMPARISONS.items():
            per_seed = [float(np.mean([gap(t, regime, other) for t in r.probing])) for r in probed]
            if per_seed:
                found[f"{regime} {name}"] = seed_interval(per_seed)
            for label, wanted in (("recovered", True), ("missed", False)):
                tasks = [t for run in probed for t in run.probing if t["recovered"] == wanted]
                if tasks:
                    gaps = [gap(t, regime, other) for t in tasks]
                    found[f"{regime} {name} ({label}, {len(gaps)} tasks)"] = seed_interval(gaps)
    return found


def gap(task: dict[str, Any], regime: str, other: str) -> float:
    scores = task["regimes"][regime]
    return float(scores["sae"] - scores[other])


def seed_interval(values: Sequence[float]) -> Interval:
    """Mean and 95% Student-t interval over seeds (NaN bounds with one seed)."""
    mean = float(np.mean(values))
    if len(values) < 2 or np.std(values) == 0:
        half = float("nan") if len(values) < 2 else 0.0
        return Interval(mean, mean - half, mean + half)
    low, high = stats.t.interval(0.95, len(values) - 1, loc=mean, scale=stats.sem(values))
    return Interval(mean, float(low), float(high))


def summarise(runs: Sequence[SyntheticRun]) -> dict[str, Interval]:
    """One architecture's runs (one per seed): each metric's mean and interval."""
    return {m: seed_interval([run.scores.as_dict()[m] for run in runs]) for m in METRICS}


def run_synthetic_track(options: SyntheticOptions) -> SyntheticReport:
    track = load_track(options.track_file)
    known = architectures(track)
    chosen = list(options.architectures) or known
    unknown = [name for name in chosen if name not in known]
    if unknown:
        raise SaeprobeError(f"unknown architecture {unknown[0]!r}; known: {', '.join(known)}")
    seeds = list(options.seeds) or track.training.seeds
    model = ground_truth_model(track.model)
    probing = ProbingContext.build(model, track.probing) if options.probing else None
    pairs = [(name, seed) for name in chosen for seed in seeds]
    bar = tqdm(pairs, desc="synthetic track", unit="SAE", disable=not options.progress)
    runs = [run_once(track, model, name, seed, probing) for name, seed in bar]
    summary = {name: summarise([r for r in runs if r.architecture == name]) for name in chosen}
    probed = {name: probing_summary([r for r in runs if r.architecture == name]) for name in chosen}
    out = options.out or runs_dir(track) / SUMMARY_FILE
    report = SyntheticReport(out, track.content_hash(), summary, probed, runs)
    write_text_atomic(out, json.dumps(report_json(report), indent=1))
    return report


def report_json(report: SyntheticReport) -> dict[str, Any]:
    def plain(table: dict[str, dict[str, Interval]]) -> dict[str, dict[str, dict[str, float]]]:
        return {name: {key: vars(i) for key, i in rows.items()} for name, rows in table.items()}

    return {
        "track_hash": report.track_hash,
        "summary": plain(report.summary),
        "probing": plain(report.probing),
        "runs": [run.as_dict() for run in report.runs],
    }
