"""The Ray executor on a real local Ray cluster: the same records as the local executor, a
killed Ray worker's task retried with no duplicate or half-written record, no Ray process left
behind by a killed driver, and ``eval --executor ray`` of a reference SAE identical to the
local executor."""

from __future__ import annotations

import functools
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from test_executor import bars, children, jobs
from test_results import result

from benchmark.cli.main import main
from benchmark.regimes.cells import CellSplit
from benchmark.results.schema import CellResult
from benchmark.results.store import load_record, load_scores
from benchmark.run.executor import execute

ray = pytest.importorskip("ray")
from benchmark.run.ray_executor import execute_on_ray  # noqa: E402

TESTS = str(Path(__file__).parent)


@pytest.fixture(scope="module")
def cluster() -> object:
    """One local Ray instance for the module's in-process tests (its workers import the test
    modules through PYTHONPATH, as they inherit the driver's environment)."""
    previous = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (TESTS, previous) if p)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()
    if previous is None:
        os.environ.pop("PYTHONPATH")
    else:
        os.environ["PYTHONPATH"] = previous


def saved(root: Path) -> dict[str, tuple[list[dict], dict[str, np.ndarray]]]:  # type: ignore[type-arg]
    """Every record under ``root`` without its timing field, and its scores."""
    found = {}
    for path in sorted(root.rglob("*.json")):
        record = load_record(path)
        assert record is not None
        cells = [cell.model_dump(exclude={"seconds"}) for cell in record.cells]
        found[str(path.relative_to(root))] = (cells, load_scores(path))
    return found


def assert_same_records(a: Path, b: Path) -> None:
    first, second = saved(a), saved(b)
    assert first.keys() == second.keys() and first
    for name, (cells, scores) in first.items():
        assert cells == second[name][0], name
        assert scores.keys() == second[name][1].keys()
        assert all(np.array_equal(scores[k], second[name][1][k]) for k in scores)


def test_ray_tasks_write_the_records_the_local_executor_writes(cluster, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    progress = bars()
    records = execute_on_ray(jobs(tmp_path / "ray"), 2, progress)  # type: ignore[arg-type]
    execute(jobs(tmp_path / "local"), 2, bars())  # type: ignore[arg-type]
    assert_same_records(tmp_path / "ray", tmp_path / "local")
    assert progress["scarcity"].n == 9
    for (dataset, _), record in records.items():
        assert [c.level for c in record.cells] == [4.0, 8.0, 16.0]
        assert load_record(tmp_path / "ray" / dataset / "scarcity.json") == record


def test_a_rerun_on_ray_computes_only_missing_cells(cluster, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    execute_on_ray(jobs(tmp_path)[:1], 2, bars())  # type: ignore[arg-type]
    path = tmp_path / "1_x" / "scarcity.json"
    modified = path.stat().st_mtime_ns
    progress = bars()
    execute_on_ray(jobs(tmp_path), 2, progress)  # type: ignore[arg-type]
    assert path.stat().st_mtime_ns == modified  # complete: not rewritten
    assert progress["scarcity"].n == 9


def die_once_at_level_8(
    markers: Path, split_: CellSplit
) -> tuple[CellResult, dict[str, np.ndarray]]:
    """A cell whose first try kills its own Ray worker process (SIGKILL, as the OOM killer or
    a lost machine would): the next try finds the marker and finishes."""
    marker = markers / split_.cell.key.replace("|", "_")
    if split_.cell.level == 8 and not marker.exists():
        marker.write_text(str(os.getpid()))
        os.kill(os.getpid(), signal.SIGKILL)
    return result(split_)


def test_a_killed_ray_worker_is_retried_and_nothing_is_written_twice(  # type: ignore[no-untyped-def]
    cluster, tmp_path: Path
) -> None:
    markers = tmp_path / "markers"
    markers.mkdir()
    runner = functools.partial(die_once_at_level_8, markers)
    execute_on_ray(jobs(tmp_path / "ray", runner), 2, bars())  # type: ignore[arg-type]
    killed = [int(m.read_text()) for m in markers.iterdir()]
    assert len(killed) == 1  # the three jobs share the cell key: one try killed, retried
    execute(jobs(tmp_path / "local"), 1, bars())  # type: ignore[arg-type]
    assert_same_records(tmp_path / "ray", tmp_path / "local")
    for dataset in ("1_x", "2_y", "3_z"):
        record = load_record(tmp_path / "ray" / dataset / "scarcity.json")
        assert record is not None and [c.level for c in record.cells] == [4.0, 8.0, 16.0]
    assert not list((tmp_path / "ray").rglob("*.tmp*"))  # no half-written file


def sleep_and_report(pids: Path, split_: CellSplit) -> tuple[CellResult, dict[str, np.ndarray]]:
    """A cell that writes its worker's pid, then takes a minute."""
    (pids / f"{os.getpid()}.pid").write_text("")
    time.sleep(60)
    return result(split_)


KILLED_DRIVER = """
import functools
import signal
import sys
# Ctrl-C as on a terminal: a run started in the background by a non-interactive shell (make in
# CI, nohup) inherits SIGINT ignored, and Python then never raises KeyboardInterrupt
signal.signal(signal.SIGINT, signal.default_int_handler)
from pathlib import Path
sys.path.insert(0, {tests!r})
import test_executor as t
import test_ray_executor as r
from benchmark.run.ray_executor import execute_on_ray
runner = functools.partial(r.sleep_and_report, Path({pids!r}))
execute_on_ray(t.jobs(Path({root!r}), runner)[:2], 2, t.bars())
"""


@pytest.mark.parametrize("signal_number", [signal.SIGINT, signal.SIGKILL])
def test_a_killed_driver_leaves_no_ray_process_behind(tmp_path: Path, signal_number: int) -> None:
    pids = tmp_path / "pids"
    pids.mkdir()
    script = KILLED_DRIVER.format(tests=TESTS, root=str(tmp_path / "out"), pids=str(pids))
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(p for p in (TESTS, os.environ.get("PYTHONPATH")) if p),
    }
    driver = subprocess.Popen([sys.executable, "-c", script], env=env)
    deadline = time.monotonic() + 180
    while len(list(pids.iterdir())) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert len(list(pids.iterdir())) == 2, "both Ray workers should have started a cell"
    started = descendants(driver.pid)
    assert {int(p.stem) for p in pids.iterdir()} <= set(started)
    driver.send_signal(signal_number)
    signalled = time.monotonic()
    driver.wait(timeout=180)
    print(f"the driver exited {time.monotonic() - signalled:.1f} s after the signal")
    killed = time.monotonic()
    while [pid for pid in started if alive(pid)] and time.monotonic() < killed + 120:
        time.sleep(0.5)
    print(f"the last Ray process ended {time.monotonic() - killed:.1f} s after the driver")
    left = [(pid, command(pid)) for pid in started if alive(pid)]
    assert not left, f"Ray processes outlived the run: {left}"


def descendants(root: int) -> list[int]:
    found, frontier = [], [root]
    while frontier:
        found += (kids := [kid for parent in frontier for kid in children(parent)])
        frontier = kids
    return found


def alive(pid: int) -> bool:
    stat = Path(f"/proc/{pid}/stat")
    try:
        return stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def command(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:120]
    except OSError:
        return "?"


DATASETS = ("66_living-room", "73_control-group")  # demo datasets with an OOD test set
REFERENCE_SAE = Path(__file__).parents[1] / "submissions" / "ref-topk-2048" / "sae"


@pytest.mark.slow
def test_eval_of_a_reference_sae_on_ray_writes_the_records_of_the_local_executor(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The reference TopK SAE on the embedded model, two demo datasets and two regimes: the
    baselines and the SAE arm, each executor from an empty results cache (the activations and
    the model are shared), give the same records, timing aside."""
    shared = Path(os.environ["SAEPROBE_CACHE"])
    for executor in ("local", "ray"):
        cache = tmp_path / "cache" / executor
        cache.mkdir(parents=True)
        for kept in ("activations", "models"):
            (shared / kept).mkdir(parents=True, exist_ok=True)
            (cache / kept).symlink_to(shared / kept)
        monkeypatch.setenv("SAEPROBE_CACHE", str(cache))
        argv = [
            "eval", str(REFERENCE_SAE), "--suite", "demo",
            *[part for dataset in DATASETS for part in ("--dataset", dataset)],
            "--regimes", "normal", "covariate_shift", "--no-progress",
            "--out", str(tmp_path / executor), "--workers", "2", "--executor", executor,
            "--json",
        ]  # fmt: skip
        assert main(argv) == 0
        summary = json.loads(capsys.readouterr().out)
        assert set(summary["arms"]["sae"]) == {"normal", "covariate_shift"}
    assert_same_records(tmp_path / "local", tmp_path / "ray")
    baselines = [tmp_path / "cache" / e / "results" / "baselines" for e in ("local", "ray")]
    assert_same_records(*baselines)
    assert len(saved(tmp_path / "ray")) == 4 and len(saved(baselines[1])) == 4


def test_ray_address_needs_the_ray_executor(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["eval", str(REFERENCE_SAE), "--dataset", DATASETS[0], "--ray-address", "auto"]
    assert main(argv) == 1
    assert "--ray-address needs --executor ray" in capsys.readouterr().err
