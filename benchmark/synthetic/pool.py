"""The track's runs in parallel: each (architecture, seed) in a spawned worker process with one
torch thread and one BLAS thread, so that ``--workers 2`` uses both cores of a laptop. Every
worker builds the ground-truth model from the track (it is fixed by its seed) and receives the
probing context once, at start (its logistic baseline is computed once, in the parent)."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import torch
from threadpoolctl import threadpool_limits

from benchmark.errors import SaeprobeError
from benchmark.run.executor import die_with_parent, watch_parent
from benchmark.synthetic.ground_truth import ground_truth_model
from benchmark.synthetic.probing import ProbingContext
from benchmark.synthetic.run import SyntheticRun, run_once
from benchmark.synthetic.track import Track

_worker: tuple[Track, Any, ProbingContext | None] | None = None  # in a worker: what it runs on


def run_pairs(
    track: Track,
    model: Any,
    probing: ProbingContext | None,
    pairs: Sequence[tuple[str, int]],
    workers: int,
    done: Callable[[], object],
) -> list[SyntheticRun]:
    """Every (architecture, seed) run, in order; ``done`` is called as each finishes."""
    if workers < 1:
        raise SaeprobeError(f"--workers must be at least 1, got {workers}")
    if workers == 1 or len(pairs) <= 1:
        runs = []
        for name, seed in pairs:
            with threadpool_limits(limits=1):
                runs.append(run_once(track, model, name, seed, probing))
            done()
        return runs
    context = multiprocessing.get_context("spawn")
    initargs = (os.getpid(), track, probing)
    with ProcessPoolExecutor(
        min(workers, len(pairs)), mp_context=context, initializer=start, initargs=initargs
    ) as pool:
        futures = [pool.submit(run_pair, name, seed) for name, seed in pairs]
        for future in futures:
            future.add_done_callback(lambda _: done())
        return [future.result() for future in futures]


def start(parent: int, track: Track, probing: ProbingContext | None) -> None:
    global _worker
    if not die_with_parent(parent):
        watch_parent(parent)
    torch.set_num_threads(1)
    _worker = (track, ground_truth_model(track.model), probing)


def run_pair(architecture: str, seed: int) -> SyntheticRun:
    if _worker is None:
        raise RuntimeError("run_pair runs in a worker started by run_pairs")
    track, model, probing = _worker
    with threadpool_limits(limits=1):
        return run_once(track, model, architecture, seed, probing)
