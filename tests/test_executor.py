"""The local executor: worker processes give the same records as one process, every cell
reaches its regime's progress bar, and a worker's error stops the run with its cells saved."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from test_results import header, result, split
from tqdm import tqdm

from benchmark.errors import SaeprobeError
from benchmark.regimes.cells import CellSplit
from benchmark.results.schema import CellResult
from benchmark.results.store import load_record, load_scores
from benchmark.run.executor import execute
from benchmark.run.jobs import Job


def fail_at_level_8(split_: CellSplit) -> tuple[CellResult, dict[str, np.ndarray]]:
    if split_.cell.level == 8:
        raise RuntimeError("boom at level 8")
    return result(split_)


def jobs(root: Path, runner=result) -> list[Job]:  # type: ignore[no-untyped-def]
    made = []
    for dataset in ("1_x", "2_y", "3_z"):
        record = header().model_copy(update={"dataset": dataset})
        cells = [split(n) for n in (4, 8, 16)]
        made.append(Job(root / dataset / "scarcity.json", record, cells, runner))
    return made


def bars() -> dict[str, tqdm]:  # type: ignore[type-arg]
    return {"scarcity": tqdm(total=9, file=io.StringIO())}


@pytest.mark.parametrize("workers", [1, 2])
def test_workers_write_the_same_records(tmp_path: Path, workers: int) -> None:
    progress = bars()
    records = execute(jobs(tmp_path), workers, progress)  # type: ignore[arg-type]
    assert set(records) == {("1_x", "scarcity"), ("2_y", "scarcity"), ("3_z", "scarcity")}
    for (dataset, _), record in records.items():
        assert [c.level for c in record.cells] == [4.0, 8.0, 16.0]
        assert all(c.seconds is not None and c.seconds >= 0 for c in record.cells)
        path = tmp_path / dataset / "scarcity.json"
        assert load_record(path) == record
        assert len(load_scores(path)) == 3
    assert progress["scarcity"].n == 9


def test_a_worker_error_stops_the_run_and_keeps_finished_cells(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="boom at level 8"):
        execute(jobs(tmp_path, fail_at_level_8), 2, bars())  # type: ignore[arg-type]
    saved = [load_record(tmp_path / d / "scarcity.json") for d in ("1_x", "2_y", "3_z")]
    assert all(r is None or [c.level for c in r.cells] == [4.0] for r in saved)
    assert any(r is not None for r in saved)


def test_workers_must_be_positive(tmp_path: Path) -> None:
    with pytest.raises(SaeprobeError, match="workers must be at least 1"):
        execute(jobs(tmp_path), 0, bars())  # type: ignore[arg-type]


def hold_the_gil_and_report(split_: CellSplit) -> tuple[CellResult, dict[str, np.ndarray]]:
    """A cell that never finishes in time, after writing its worker's pid: it sorts a long list
    over and over, a C call that holds the GIL for seconds (as a busy solver can)."""
    import os
    import random

    folder = Path(os.environ["SAEPROBE_TEST_PIDS"])
    values = [random.random() for _ in range(3_000_000)]
    (folder / f"{os.getpid()}.pid").write_text("")
    for _ in range(1000):
        sorted(values)
    return result(split_)


KILLED_RUN = """
import sys
from pathlib import Path
sys.path.insert(0, {tests!r})
import test_executor as t
from benchmark.run.executor import execute
root = Path({root!r})
execute(t.jobs(root, t.hold_the_gil_and_report)[:2], 2, t.bars())
"""


def test_workers_stop_when_the_run_is_killed(tmp_path: Path) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    pids = tmp_path / "pids"
    pids.mkdir()
    script = KILLED_RUN.format(tests=str(Path(__file__).parent), root=str(tmp_path / "out"))
    env = {**os.environ, "SAEPROBE_TEST_PIDS": str(pids)}
    run = subprocess.Popen([sys.executable, "-c", script], env=env)
    deadline = time.monotonic() + 120
    while len(list(pids.iterdir())) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    workers = [int(p.stem) for p in pids.iterdir()]
    assert len(workers) == 2, "both workers should have started a cell"
    helpers = children(run.pid)  # the workers and any helper (resource tracker, manager)
    assert set(workers) <= set(helpers)
    run.send_signal(signal.SIGKILL)  # the main process only, as `kill -9 PID` does
    run.wait()
    killed = time.monotonic()

    def alive(pid: int) -> bool:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return (
            Path(f"/proc/{pid}/stat").exists()
            and "Z" not in Path(f"/proc/{pid}/stat").read_text().split()[2]
        )

    while any(alive(pid) for pid in workers) and time.monotonic() < killed + 15:
        time.sleep(0.02)
    assert not any(alive(pid) for pid in workers), "orphaned workers kept computing"
    assert time.monotonic() - killed < 1.0, "workers outlived the run by a second or more"
    while any(alive(pid) for pid in helpers) and time.monotonic() < killed + 15:
        time.sleep(0.2)
    assert not any(alive(pid) for pid in helpers), "the run left processes behind"


def children(parent: int) -> list[int]:
    """Processes whose parent is ``parent`` (from /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == parent:
            found.append(int(stat.parent.name))
    return found
