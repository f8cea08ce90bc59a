"""The local executor: runs independent jobs (one per arm, dataset and regime) in worker
processes, each with one BLAS thread, and reports every finished cell to the progress bars.

A job's runner must be picklable (a ``functools.partial`` of a module-level function over
plain data), because workers are spawned, not forked: forking a process that has started
torch's or OpenMP's thread pools can deadlock.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import queue as queue_module
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

from tqdm import tqdm

from benchmark.errors import SaeprobeError
from benchmark.regimes.cells import RegimeName
from benchmark.results.schema import ResultRecord
from benchmark.run.jobs import Job, run_job

POLL_SECONDS = 0.2
PARENT_CHECK_SECONDS = 1.0
PR_SET_PDEATHSIG = 1  # linux/prctl.h


def execute(
    jobs: Sequence[Job], workers: int, bars: dict[RegimeName, tqdm]
) -> dict[tuple[str, RegimeName], ResultRecord]:
    """Run every job; with one worker, in this process."""
    if workers < 1:
        raise SaeprobeError(f"--workers must be at least 1, got {workers}")
    if workers == 1 or len(jobs) <= 1:
        return {job.key: _run_job_here(job, bars[job.key[1]]) for job in jobs}
    return _execute_in_pool(jobs, min(workers, len(jobs)), bars)


def _execute_in_pool(
    jobs: Sequence[Job], workers: int, bars: dict[RegimeName, tqdm]
) -> dict[tuple[str, RegimeName], ResultRecord]:
    context = multiprocessing.get_context("spawn")
    finished_cells = context.Queue()  # handed to each worker at start: no manager process
    pool = ProcessPoolExecutor(
        workers, mp_context=context, initializer=start_worker,
        initargs=(os.getpid(), finished_cells),
    )  # fmt: skip
    with pool:
        futures = {pool.submit(_run_job_in_worker, job): job.key for job in jobs}
        try:
            _follow(futures, finished_cells, bars)
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)  # finished cells are already saved
            raise
        return {futures[future]: future.result() for future in futures}


_finished_cells: Any = None  # in a worker: the queue of finished cells' regimes


def start_worker(parent: int, finished_cells: Any) -> None:
    global _finished_cells
    _finished_cells = finished_cells
    if not die_with_parent(parent):
        watch_parent(parent)


def die_with_parent(parent: int) -> bool:
    """In a worker, on Linux: ask the kernel to SIGKILL this process when its parent dies
    (``PR_SET_PDEATHSIG``), whatever the worker is doing. A killed run (SIGTERM or SIGKILL to
    the main process only) would otherwise leave its workers computing and saving cells, racing
    the next run on the same records. False where the kernel cannot do it."""
    if not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        return False
    if os.getppid() != parent:  # the parent died before the request was in place
        os._exit(1)
    return True


def watch_parent(parent: int) -> None:
    """In a worker, elsewhere: a thread that exits the process once the parent is gone (it
    needs the GIL, so a worker inside a long C call notices only when the call returns)."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="watch-parent", daemon=True).start()


def _follow(
    futures: dict[Future[ResultRecord], Any], finished_cells: Any, bars: dict[RegimeName, tqdm]
) -> None:
    """Advance the bars as workers finish cells, until every job is done (or one failed)."""
    pending = set(futures)
    while pending:
        with contextlib.suppress(queue_module.Empty):
            bars[finished_cells.get(timeout=POLL_SECONDS)].update()
        for future in [f for f in pending if f.done()]:
            pending.discard(future)
            future.result()  # re-raise a worker's error here, at once
    while not finished_cells.empty():
        bars[finished_cells.get()].update()


def _run_job_here(job: Job, bar: tqdm) -> ResultRecord:
    return run_job(job, bar.update)


def _run_job_in_worker(job: Job) -> ResultRecord:
    regime = job.header.regime
    report: Callable[[], object] = lambda: _finished_cells.put(regime)  # noqa: E731
    return run_job(job, report)
