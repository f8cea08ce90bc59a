"""The cost plan: interpolated per-cell costs, encoding scaled by width, cells and fits counted
as the run would plan them, and the command line."""

from __future__ import annotations

import json

import pytest

from benchmark.cli.main import main
from benchmark.probes.registry import baseline_families
from benchmark.protocols.protocol import Protocol, load_protocol
from benchmark.regimes.generate import dataset_cells
from benchmark.run.plan import CellCosts, Measured, SuiteCells, plan_run, workers_for
from benchmark.selection import plan_validation
from datasets_registry.load import PACKAGED, load_labeled
from datasets_registry.suites import select_suite

V1 = load_protocol("v1")
DATASET = "66_living-room"


def costs() -> CellCosts:
    rows = [
        Measured("sae", "scarcity", 10, 1.0),
        Measured("sae", "scarcity", 100, 2.0),
        Measured("sae", "scarcity", 100, 4.0),  # the mean at 100 rows is 3.0
        Measured("sae", "scarcity", 0, 0.5),  # a dataset's encoding
    ]
    return CellCosts("a test", width=2048, d_in=576, rows=rows)


def test_cell_costs_interpolate_on_log_rows_and_hold_flat_outside() -> None:
    found = costs()
    assert found.cell_seconds("sae", "scarcity", [10]) == pytest.approx(1.0)
    assert found.cell_seconds("sae", "scarcity", [100]) == pytest.approx(3.0)  # the mean
    assert found.cell_seconds("sae", "scarcity", [31.6227766]) == pytest.approx(2.0)
    assert found.cell_seconds("sae", "scarcity", [2, 1000]) == pytest.approx(1.0 + 3.0)
    assert found.cell_seconds("sae", "imbalance", [10]) is None
    assert found.cell_seconds("control", "scarcity", [10]) is None


def test_encoding_scales_with_width() -> None:
    assert costs().encoding_seconds("sae", "scarcity", 2048) == pytest.approx(0.5)
    assert costs().encoding_seconds("sae", "scarcity", 65536) == pytest.approx(16.0)
    assert costs().encoding_seconds("sae", "normal", 65536) == 0.0


def test_workers_for_a_target() -> None:
    assert workers_for(3600, 1800) == 2
    assert workers_for(3601, 1800) == 3
    assert workers_for(10, 1800) == 1


def test_sae_arms_are_timed_under_their_protocol_and_baselines_under_equal_rules() -> None:
    v2, paper = load_protocol("v2"), load_protocol("paper")
    families = [family.name for family in baseline_families(V1)]
    rows = [Measured("sae", "normal", 1024, 8.0, "v1"), Measured("sae", "normal", 1024, 2.0, "v2")]
    rows += [Measured(name, "normal", 1024, 1.0, "v1") for name in families]
    measured = CellCosts("a test", width=2048, d_in=576, rows=rows)
    suite = select_suite("demo", [DATASET])

    def planned(protocol: Protocol) -> dict[str, float | None]:
        cells = SuiteCells.of(suite, protocol, ("normal",))
        return {r.arm: r.cpu_seconds for r in plan_run(cells, protocol, measured, 2048, 576)}

    assert planned(V1) == {"baselines": len(families), "sae": 8.0, "control": None}
    # v2 keeps v1's baseline rules, so v1's baseline cells time its baselines
    assert planned(v2) == {"baselines": len(families), "sae": 2.0, "control": None}
    assert planned(paper) == {"baselines": None, "sae": None, "control": None}


def test_the_plan_counts_the_cells_and_fits_the_run_would_make() -> None:
    suite = select_suite("demo", [DATASET])
    cells = SuiteCells.of(suite, V1, ("normal", "scarcity"))
    spec = suite.specs()[0]
    data = suite.cap(load_labeled(spec, "main", PACKAGED, True))
    expected = dataset_cells(data, None, V1, ["scarcity"])
    assert [s.cell.key for s in cells.by_regime["scarcity"]] == [s.cell.key for s in expected]
    rows = {(r.arm, r.regime): r for r in plan_run(cells, V1, costs(), width=2048, d_in=576)}
    normal = rows[("sae", "normal")]
    assert normal.cells == 1 and normal.datasets == 1
    (split,) = cells.by_regime["normal"]
    folds = len(plan_validation(split.train_labels, V1.selection, split.cell.seed).folds)
    assert normal.fits == len(V1.sae_probe.k_normal) * (len(V1.sae_probe.C) * folds + 1)
    assert normal.cpu_seconds is None  # no measured normal cells in these costs
    scarcity = rows[("sae", "scarcity")]
    sizes = [len(s.train) for s in expected]
    assert scarcity.cpu_seconds == pytest.approx(
        costs().cell_seconds("sae", "scarcity", sizes) + 0.5  # type: ignore[operator]
    )
    assert rows[("baselines", "scarcity")].fits > rows[("sae", "scarcity")].fits > 0


def test_plan_command_prints_the_shipped_costs_projection(
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = ["plan", "--suite", "demo", "--dataset", DATASET, "--regimes", "imbalance", "--json"]
    assert main(argv) == 0
    plan = json.loads(capsys.readouterr().out)
    assert {row["arm"] for row in plan["rows"]} == {"baselines", "sae", "control"}
    assert all(row["cells"] == 19 for row in plan["rows"])
    (sae_work,) = [w for w in plan["work"] if w["name"] == "SAE + control"]
    assert sae_work["cpu_seconds"] > 0
    assert main(["plan", "--suite", "demo", "--dataset", DATASET, "--regimes", "imbalance"]) == 0
    assert "workers for 30 min" in capsys.readouterr().out
