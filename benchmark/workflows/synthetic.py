"""The synthetic-track journey: every architecture trained on the track's ground-truth model
under each seed (the same budget), scored, and summarised per architecture with a 95% interval
over seeds; written as one JSON file for the leaderboard."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from benchmark.errors import SaeprobeError
from benchmark.synthetic.ground_truth import ground_truth_model
from benchmark.synthetic.pool import run_pairs
from benchmark.synthetic.probing import ProbingContext
from benchmark.synthetic.run import SyntheticRun, architectures, runs_dir
from benchmark.synthetic.scores import feature_rates
from benchmark.synthetic.summary import (
    Interval,
    ProbingGap,
    TrackResults,
    metric_summary,
    probing_gaps,
    write_results,
)
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
    workers: int = 1  # runs in parallel, one process (one torch and BLAS thread) each


@dataclass(frozen=True)
class SyntheticReport:
    path: Path
    track_hash: str
    summary: dict[str, dict[str, Interval]]  # architecture -> metric -> mean and 95% interval
    probing: dict[str, list[ProbingGap]]  # architecture -> its probing gaps
    runs: list[SyntheticRun]


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
    with tqdm(
        total=len(pairs), desc="synthetic track", unit="SAE", disable=not options.progress
    ) as bar:
        runs = run_pairs(track, model, probing, pairs, options.workers, lambda: bar.update())
    results = TrackResults(track.content_hash(), feature_rates(model, track.scoring), runs)
    out = options.out or runs_dir(track) / SUMMARY_FILE
    write_results(out, results)
    summary = {name: metric_summary(results.runs_of(name)) for name in chosen}
    probed = {name: probing_gaps(results.runs_of(name)) for name in chosen}
    return SyntheticReport(out, results.track_hash, summary, probed, runs)
