"""Jobs: one per (arm, dataset, regime). A job's record is rewritten after every finished cell,
so an interrupted run resumes where it stopped and finished cells are never recomputed. Jobs know
nothing of how they are scheduled (``executor``) or what a cell computes (the runner they are
handed, from ``cells``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits
from tqdm import tqdm

from benchmark.errors import SaeprobeError
from benchmark.protocols.protocol import Protocol
from benchmark.regimes.cells import CellSplit, RegimeName
from benchmark.regimes.generate import dataset_cells
from benchmark.results.provenance import other_activations
from benchmark.results.schema import Arm, CellResult, Provenance, ResultRecord
from benchmark.results.store import load_record, load_scores, save_record
from benchmark.run.context import DatasetArrays, RunContext

log = logging.getLogger(__name__)

CellRunner = Callable[[CellSplit], tuple[CellResult, dict[str, np.ndarray]]]


@dataclass(frozen=True)
class Job:
    path: Path
    header: ResultRecord
    cells: Sequence[CellSplit]
    runner: CellRunner
    methods: frozenset[str] = frozenset()  # a recorded cell is done only if it holds these

    @property
    def key(self) -> tuple[str, RegimeName]:
        return self.header.dataset, self.header.regime


@dataclass
class JobRecord:
    """A job's record as it grows: what is already complete, and each new cell saved (scores,
    then the record, each atomically) as soon as it is merged. Whatever schedules the cells,
    only this writes the job's files, so two workers never race on a record."""

    job: Job
    record: ResultRecord
    scores: dict[str, np.ndarray]
    order: dict[str, int]  # cell key -> its place in the job

    @classmethod
    def open(cls, job: Job) -> JobRecord:
        """The job's record so far. A baselines record computed on other activations (cached
        or shipped from another machine) is recomputed on this one's: baselines are a cache,
        and the shipped tables keep the other machine's copy."""
        order = {split.cell.key: index for index, split in enumerate(job.cells)}
        record = load_record(job.path)
        if record is not None and recompute_elsewhere(record, job.header):
            log.warning(
                "%s: computed on other activations (on %s); recomputing it on this machine's",
                job.path, record.provenance.machine,
            )  # fmt: skip
            return cls(job, job.header, {}, order)
        check_same_run(job.path, record or job.header, job.header)
        return cls(job, record or job.header, load_scores(job.path), order)

    def pending(self) -> list[CellSplit]:
        """The job's cells not complete in the record: missing, or missing one of the job's
        methods (e.g. a baseline family run later)."""
        done = {c.key for c in self.record.cells if self.job.methods <= methods_of(c)}
        return [split for split in self.job.cells if split.cell.key not in done]

    def add(self, result: CellResult, scores: dict[str, np.ndarray]) -> None:
        """Merge a finished cell and save. Cells stay in the job's order, whatever order they
        finish in (cells the job does not plan keep their places, first)."""
        cells = merged(self.record.cells, result)
        self.record.cells = sorted(cells, key=lambda cell: self.order.get(cell.key, -1))
        self.scores.update(scores)
        save_record(self.job.path, self.record, self.scores)


def run_cell(runner: CellRunner, split: CellSplit) -> tuple[CellResult, dict[str, np.ndarray]]:
    """One cell on one BLAS thread, its wall seconds recorded."""
    started = time.perf_counter()
    with threadpool_limits(limits=1):
        result, scores = runner(split)
    result.seconds = round(time.perf_counter() - started, 3)
    return result, scores


def run_job(job: Job, on_cell: Callable[[], object]) -> ResultRecord:
    """Run the job's cells not yet complete in its record, saving after each one, and call
    ``on_cell`` for every cell, finished now or before."""
    progress = JobRecord.open(job)
    pending = progress.pending()
    for _ in range(len(job.cells) - len(pending)):
        on_cell()
    for split in pending:
        progress.add(*run_cell(job.runner, split))
        on_cell()
    return progress.record


def methods_of(cell: CellResult) -> set[str]:
    return {method.method for method in cell.methods}


def merged(cells: list[CellResult], result: CellResult) -> list[CellResult]:
    """The record's cells with ``result`` in place of an earlier, partial cell of the same key
    (whose other methods it keeps), or appended."""
    for index, cell in enumerate(cells):
        if cell.key == result.key:
            kept = [m for m in cell.methods if m.method not in methods_of(result)]
            result.methods = [*result.methods, *kept]
            return [*cells[:index], result, *cells[index + 1 :]]
    return [*cells, result]


def check_same_run(path: Path, stored: ResultRecord, header: ResultRecord) -> None:
    """Refuse to extend a record made under another protocol, model, SAE or data, or on other
    activations (another machine's rounding; a record written before schema 4 names none)."""
    mine = header.model_dump(exclude={"cells", "provenance"})
    theirs = stored.model_dump(exclude={"cells", "provenance"})
    keys = ("model_weights_hash", "hook", "activation_dtype", "sae_weights_hash", "dataset_hashes")
    for key in keys:
        mine[key], theirs[key] = getattr(header.provenance, key), getattr(stored.provenance, key)
    differing = [key for key in mine if mine[key] != theirs[key]]
    if other_activations(stored.provenance.activation_hashes, header.provenance.activation_hashes):
        differing.append(
            f"set of activations (its probes ran on {stored.provenance.machine}, this run's on "
            f"{header.provenance.machine})"
        )
    if differing:
        raise SaeprobeError(
            f"{path} was computed with a different {', '.join(differing)}; move it away to "
            "recompute"
        )


def recompute_elsewhere(stored: ResultRecord, header: ResultRecord) -> bool:
    """Whether ``stored`` is a baselines record of this run computed on other activations."""
    return header.arm == "baselines" and other_activations(
        stored.provenance.activation_hashes, header.provenance.activation_hashes
    )


def regime_bars(cells: dict[RegimeName, int], progress: bool, label: str) -> dict[RegimeName, tqdm]:
    """One progress bar per regime, so each shows its own rate and ETA."""
    return {
        regime: tqdm(
            total=total,
            desc=f"{label} {regime}",
            unit="cell",
            position=index,
            disable=not progress,
            leave=True,
        )
        for index, (regime, total) in enumerate(cells.items())
    }


def plan_cells(
    arrays: Sequence[DatasetArrays],
    protocol: Protocol,
    regimes: Sequence[RegimeName],
    for_sae: bool = False,
) -> dict[tuple[str, RegimeName], list[CellSplit]]:
    plan: dict[tuple[str, RegimeName], list[CellSplit]] = {}
    for item in arrays:
        for regime in regimes:
            plan[(item.data.dataset_id, regime)] = dataset_cells(
                item.data, item.ood, protocol, [regime], for_sae
            )
    return plan


def count_by_regime(
    plan: dict[tuple[str, RegimeName], list[CellSplit]], regimes: Sequence[RegimeName]
) -> dict[RegimeName, int]:
    return {regime: sum(len(c) for (_, r), c in plan.items() if r == regime) for regime in regimes}


def record_header(
    arm: Arm, ctx: RunContext, dataset: str, regime: RegimeName, prov: Provenance
) -> ResultRecord:
    return ResultRecord(
        arm=arm,
        protocol=ctx.protocol.name,
        protocol_hash=ctx.protocol.content_hash(),
        dataset=dataset,
        regime=regime,
        provenance=prov,
        cells=[],
    )
