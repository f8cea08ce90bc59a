"""The eval journey on a tiny model and a tiny SAELens SAE: baselines, SAE probes, the quiver,
records on disk, resume."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmark.cli.main import main
from benchmark.results.store import load_record, load_scores

DATASET = "87_glue_cola"  # has an OOD test set


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> dict:  # type: ignore[type-arg]
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


def test_eval_writes_records_with_quiver_and_resumes(
    tiny_model_dir: Path, tiny_sae_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "results"
    argv = [
        "eval", str(tiny_sae_dir), "--model", str(tiny_model_dir), "--dataset", DATASET,
        "--regimes", "normal", "covariate_shift", "--dtype", "fp32", "--no-progress",
        "--out", str(out), "--json",
    ]  # fmt: skip
    summary = run(capsys, *argv)
    assert set(summary["arms"]["sae"]) == {"normal", "covariate_shift"}
    (data_key,) = [p.name for p in (out / DATASET).iterdir()]  # one set of rows, one dtype
    folder = out / DATASET / data_key
    normal = load_record(folder / "normal.json")
    assert normal is not None and normal.arm == "sae" and len(normal.cells) == 1
    cell = normal.cells[0]
    assert [m.method for m in cell.methods] == [f"sae_k{k}" for k in (1, 2, 4, 8, 16, 32, 64)]
    assert cell.quiver is not None and cell.selection == "holdout"
    assert cell.quiver.delta == pytest.approx(
        cell.quiver.with_sae_test_auc - cell.quiver.baseline_test_auc
    )
    shift = load_record(folder / "covariate_shift.json")
    assert shift is not None and shift.cells[0].test_split == "ood"
    assert [m.method for m in shift.cells[0].methods] == ["sae_k16"]  # 64 latents: no k=128
    scores = load_scores(folder / "normal.json")
    key = cell.key
    assert len(scores[f"{key}/sae_k16"]) == cell.n_test == len(scores[f"{key}/test_labels"])

    modified = (folder / "normal.json").stat().st_mtime_ns
    assert run(capsys, *argv)["arms"]["sae"]["normal"]["cells"] == 1
    assert (folder / "normal.json").stat().st_mtime_ns == modified  # nothing recomputed


def test_eval_rejects_a_width_mismatch(
    tiny_sae_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["eval", str(tiny_sae_dir), "--dataset", "117_us_state_FL", "--regimes", "normal"])
    assert code == 1
    assert "does not match" in capsys.readouterr().err
