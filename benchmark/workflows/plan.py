"""The plan journey: what an evaluation would cost, before any model or activation is loaded."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from benchmark.protocols.protocol import DEFAULT_PROTOCOL, load_protocol
from benchmark.regimes.cells import REGIMES, RegimeName
from benchmark.results.schema import SAE_ARMS
from benchmark.run.plan import CellCosts, PlanRow, SuiteCells, plan_run, workers_for
from benchmark.saes.cfg import read_sae_cfg
from datasets_registry.suites import select_suite


@dataclass(frozen=True)
class Work:
    """A group of the plan's rows: its CPU time, and what it takes to finish in time."""

    name: str
    cpu_seconds: float | None
    workers: list[int]
    target_seconds: float

    def wall_seconds(self, workers: int) -> float | None:
        return None if self.cpu_seconds is None else self.cpu_seconds / workers

    @property
    def workers_for_target(self) -> int | None:
        if self.cpu_seconds is None:
            return None
        return workers_for(self.cpu_seconds, self.target_seconds)


@dataclass(frozen=True)
class RunPlan:
    suite: str
    protocol: str
    width: int
    d_in: int
    measured_on: str
    rows: list[PlanRow]
    work: list[Work]


def plan_evaluation(
    suite: str = "full",
    datasets: Sequence[str] = (),
    regimes: Sequence[RegimeName] = (),
    protocol: str = DEFAULT_PROTOCOL,
    sae: str | None = None,
    target_minutes: float = 30.0,
    workers: Sequence[int] = (2, 8, 32),
) -> RunPlan:
    """Cells, fits and projected CPU time per arm and regime for an SAE (a submission id or a
    SAELens folder; without one, an SAE of the width the costs were measured at)."""
    costs = CellCosts.load()
    width, d_in = sae_shape(sae) if sae else (costs.width, costs.d_in)
    rules = load_protocol(protocol)
    chosen = tuple(r for r in REGIMES if r in regimes) if regimes else REGIMES
    cells = SuiteCells.of(select_suite(suite, datasets), rules, chosen)
    rows = plan_run(cells, rules, costs, width, d_in)
    target = target_minutes * 60
    groups = {"baselines (once per model and hook)": ("baselines",), "SAE + control": SAE_ARMS}
    work = [Work(name, total(rows, arms), list(workers), target) for name, arms in groups.items()]
    return RunPlan(suite, rules.name, width, d_in, costs.measured_on, rows, work)


def total(rows: Sequence[PlanRow], arms: Sequence[str]) -> float | None:
    """CPU seconds of the timed rows of these arms (None when none is timed)."""
    timed = [row.cpu_seconds for row in rows if row.arm in arms and row.cpu_seconds is not None]
    return sum(timed) if timed else None


def sae_shape(target: str) -> tuple[int, int]:
    """(width, d_in) of a SAELens folder, or of a submission's SAE."""
    from benchmark.workflows.evaluate import names_submission

    folder = Path(target).expanduser()
    if names_submission(target):
        from benchmark.submissions.intake import open_submission

        folder = open_submission(target).sae_folder()
    cfg = read_sae_cfg(folder)
    return cfg.d_sae, cfg.d_in
