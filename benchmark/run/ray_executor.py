"""The Ray executor: the same jobs as the local executor, scheduled on a Ray cluster (an existing
one at ``--ray-address``, or a local instance started for the run and stopped after it).

- One Ray task per pending cell. Tasks only compute; the driver merges each finished cell into
  its job's record and saves it (``JobRecord``), so no two workers ever write one record, and a
  cell finished before a crash is never recomputed.
- A dataset's runners (its activations, or its SAE latents, shared by its regimes) go into
  Ray's object store once, as one object: pickling them together stores what they share once.
- A task whose worker process dies is retried by Ray (``MAX_RETRIES``); its cell is saved once,
  when a try returns.
- Each task runs on one BLAS thread, as a local worker does.
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from collections.abc import Iterator, Sequence
from typing import Any

from tqdm import tqdm

from benchmark.errors import SaeprobeError
from benchmark.regimes.cells import CellSplit, RegimeName
from benchmark.results.schema import CellResult, ResultRecord
from benchmark.run.jobs import CellRunner, Job, JobRecord, run_cell

MAX_RETRIES = 3
WAIT_SECONDS = 0.5


def execute_on_ray(
    jobs: Sequence[Job], workers: int, bars: dict[RegimeName, tqdm], address: str | None = None
) -> dict[tuple[str, RegimeName], ResultRecord]:
    """Run every job's pending cells as Ray tasks; ``workers`` CPUs for a local instance."""
    ray = import_ray()
    with ray_session(ray, address, workers):
        remote_cell = ray.remote(num_cpus=1, max_retries=MAX_RETRIES)(run_cell_remotely)
        progress = {job.key: JobRecord.open(job) for job in jobs}
        running: dict[Any, tuple[str, RegimeName]] = {}  # task -> its job
        try:  # an interrupt while tasks are submitted cancels those already running
            runners = shared_runners(ray, jobs)
            for job in jobs:
                pending = progress[job.key].pending()
                bars[job.key[1]].update(len(job.cells) - len(pending))
                for split in pending:
                    task = remote_cell.remote(runners[job.key[0]], job.key[1], split)
                    running[task] = job.key
            follow(ray, running, progress, bars)
        except BaseException:
            for task in running:
                ray.cancel(task, force=True)
            raise
        return {key: item.record for key, item in progress.items()}


def follow(
    ray: Any,
    running: dict[Any, tuple[str, RegimeName]],
    progress: dict[tuple[str, RegimeName], JobRecord],
    bars: dict[RegimeName, tqdm],
) -> None:
    """Save each cell as its task returns, until none is left (a task's error stops the run)."""
    while running:
        finished, _ = ray.wait(list(running), num_returns=1, timeout=WAIT_SECONDS)
        for task in finished:
            key = running.pop(task)
            result, scores = ray.get(task)
            progress[key].add(result, scores)
            bars[key[1]].update()


def run_cell_remotely(
    runners: dict[RegimeName, CellRunner], regime: RegimeName, split: CellSplit
) -> tuple[CellResult, dict[str, Any]]:
    return run_cell(runners[regime], split)


def shared_runners(ray: Any, jobs: Sequence[Job]) -> dict[str, Any]:
    """dataset -> an object reference to its runners by regime, put once."""
    by_dataset: dict[str, dict[RegimeName, CellRunner]] = defaultdict(dict)
    for job in jobs:
        dataset, regime = job.key
        by_dataset[dataset][regime] = job.runner
    return {dataset: ray.put(runners) for dataset, runners in by_dataset.items()}


@contextlib.contextmanager
def ray_session(ray: Any, address: str | None, workers: int) -> Iterator[None]:
    """Connect to the cluster at ``address``, or start a local instance of ``workers`` CPUs;
    a local instance is shut down when the run ends, however it ends."""
    if ray.is_initialized():
        yield
        return
    options: dict[str, Any] = {"log_to_driver": False, "include_dashboard": False}
    if address is None:
        ray.init(num_cpus=workers, **options)
    else:
        ray.init(address=address, **options)
    try:
        yield
    finally:
        ray.shutdown()


def import_ray() -> Any:
    try:
        import ray
    except ImportError as error:
        raise SaeprobeError(
            "--executor ray needs Ray: pip install 'saeprobe[ray]' (or pip install ray)"
        ) from error
    return ray
