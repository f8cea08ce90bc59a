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


def test_multitoken_eval_adds_the_attention_probe_and_pools_sae_latents(
    tiny_model_dir: Path, tiny_sae_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "results"
    summary = run(
        capsys, "eval", str(tiny_sae_dir), "--model", str(tiny_model_dir), "--dataset", DATASET,
        "--regimes", "normal", "multitoken", "--dtype", "fp32", "--no-progress",
        "--out", str(out), "--json",
    )  # fmt: skip
    assert set(summary["arms"]["sae"]) == {"normal", "multitoken"}
    from benchmark.paths import cache_root

    pattern = f"results/baselines/*/*/*/{DATASET}/*/multitoken.json"
    (baseline_record,) = cache_root().glob(pattern)
    baselines = load_record(baseline_record)
    normal_baselines = load_record(baseline_record.with_name("normal.json"))
    assert baselines is not None and normal_baselines is not None
    cell, normal_cell = baselines.cells[0], normal_baselines.cells[0]
    assert [m.method for m in cell.methods][-1] == "attention"
    # the same rows as the normal cell, and the same last-token baselines on them
    assert (cell.n_train, cell.n_test) == (normal_cell.n_train, normal_cell.n_test)
    assert [m.test_auc for m in cell.methods[:-1]] == [m.test_auc for m in normal_cell.methods]
    (sae_record,) = out.glob(f"{DATASET}/*/multitoken.json")
    sae = load_record(sae_record)
    assert sae is not None and sae.cells[0].quiver is not None
    assert "attention" in [m.method for m in baselines.cells[0].methods]


def test_a_regime_without_cells_reports_no_mean_delta(
    tiny_model_dir: Path, tiny_sae_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [
        "eval", str(tiny_sae_dir), "--model", str(tiny_model_dir),
        "--dataset", "110_aimade_humangpt3", "--regimes", "covariate_shift",  # no OOD test set
        "--dtype", "fp32", "--no-progress", "--out", str(tmp_path / "results"),
    ]  # fmt: skip
    assert main([*argv, "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["arms"]["sae"]["covariate_shift"] == {"cells": 0, "mean_quiver_delta": None}
    assert main(argv) == 0
    assert "0 cells  mean quiver delta n/a" in capsys.readouterr().out


def test_eval_completes_baselines_computed_with_fewer_families(
    tiny_model_dir: Path,
    tiny_sae_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """baselines run --baselines logistic, then eval: the quiver runs against every family."""
    monkeypatch.setenv("SAEPROBE_CACHE", str(tmp_path / "cache"))  # no other test's baselines
    common = ["--model", str(tiny_model_dir), "--hook", "blocks.1.hook_resid_post",
              "--dataset", DATASET, "--regimes", "normal",
              "--dtype", "fp32", "--no-progress", "--json"]  # fmt: skip
    partial = run(capsys, "baselines", "run", "--baselines", "logistic", *common)
    (record_file,) = Path(partial["results"]).rglob("normal.json")
    (cell,) = load_record(record_file).cells  # type: ignore[union-attr]
    assert [m.method for m in cell.methods] == ["logistic"]

    run(capsys, "eval", str(tiny_sae_dir), "--out", str(tmp_path / "sae"), *common)
    (cell,) = load_record(record_file).cells  # type: ignore[union-attr]
    assert {m.method for m in cell.methods} == {"logistic", "pca", "knn", "xgboost", "mlp"}
    (sae_file,) = (tmp_path / "sae").rglob("normal.json")
    (sae_cell,) = load_record(sae_file).cells  # type: ignore[union-attr]
    assert sae_cell.quiver is not None
    assert set(sae_cell.quiver.baseline_methods) <= {m.method for m in cell.methods}
