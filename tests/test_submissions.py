"""Submissions: ids and hand-edited manifests refused, SAELens save/load round trips of every
reference architecture, random-control firing rates, and the submit -> validate -> eval journey
on the tiny model. The corpus of malformed and hostile SAE folders is in test_intake.py."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from benchmark.cli.main import main
from benchmark.protocols.protocol import ControlRules, load_protocol
from benchmark.saes.control import build_control
from benchmark.saes.load import load_sae_folder
from benchmark.saes.measure import firing_rates
from benchmark.submissions.manifest import SCHEMA_PATH, json_schema
from tests.sae_folders import WEIGHTS, rejected, saved_sae, submit_argv, training_sae

DATASET = "130_temp_cat_Frequency"  # small: 371 rows


@pytest.fixture(autouse=True)
def submissions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "submissions"
    monkeypatch.setenv("SAEPROBE_SUBMISSIONS", str(root))
    return root


def control_rules(seed: int) -> ControlRules:
    return load_protocol("v1").control.model_copy(update={"seed": seed})


@pytest.fixture
def model_args(tiny_model_dir: Path) -> list[str]:
    return ["--model", str(tiny_model_dir)]


def test_an_id_cannot_escape_submissions(
    tmp_path: Path, submissions: Path, model_args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    source = saved_sae(tmp_path / "source")
    for bad_id in ("../escape", "/tmp/abs", "Upper", "a/b"):
        rejected(capsys, [*submit_argv(source, bad_id), *model_args], "is not a slug", submissions)
    assert not (tmp_path / "escape").exists()
    rejected(capsys, ["validate", "../escape"], "is not a slug", submissions)


def submitted(tmp_path: Path, model_args: list[str], capsys: pytest.CaptureFixture[str]) -> Path:
    source = saved_sae(tmp_path / "source", faithful=True)
    assert main([*submit_argv(source, "tiny"), *model_args]) == 0
    capsys.readouterr()
    return source


def test_malformed_yaml_and_unknown_keys_are_rejected(
    tmp_path: Path, submissions: Path, model_args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    submitted(tmp_path, model_args, capsys)
    manifest = submissions / "tiny" / "submission.yaml"
    good = manifest.read_text()
    manifest.write_text("id: tiny\nsae: [unclosed\n")
    rejected(capsys, ["validate", "tiny"], "not valid YAML", submissions)
    manifest.write_text(good + "favourite_colour: blue\n")
    extra = "favourite_colour: Extra inputs are not permitted"
    rejected(capsys, ["validate", "tiny"], extra, submissions)
    manifest.write_text(good.replace("license: MIT\n", ""))
    rejected(capsys, ["validate", "tiny"], "license: Field required", submissions)


@pytest.mark.parametrize(
    ("architecture", "saved_as"),
    [
        ("standard", "standard"),
        ("topk", "topk"),
        ("batchtopk", "jumprelu"),
        ("jumprelu", "jumprelu"),
        ("matryoshka_batchtopk", "jumprelu"),
    ],
)
def test_saelens_round_trip_of_each_reference_architecture(
    architecture: str, saved_as: str, tmp_path: Path
) -> None:
    trained = training_sae(architecture)
    folder = saved_sae(tmp_path / architecture, architecture)
    loaded = load_sae_folder(folder)
    assert loaded.architecture == saved_as and loaded.d_sae == 64
    x = torch.randn(50, 32)
    with torch.no_grad():
        expected = trained.encode(x) if architecture in ("standard", "topk", "jumprelu") else None
    latents = loaded.encode(x.numpy())
    if expected is not None:
        np.testing.assert_allclose(latents, expected.numpy(), atol=1e-5)
    if saved_as == "jumprelu" and architecture != "jumprelu":  # BatchTopK's threshold kept
        threshold = load_file(folder / WEIGHTS)["threshold"]
        assert torch.allclose(threshold, torch.full((64,), 0.2))


@pytest.mark.parametrize("architecture", ["standard", "topk", "batchtopk"])
def test_control_keeps_each_latents_firing_rate(architecture: str, tmp_path: Path) -> None:
    sae = load_sae_folder(saved_sae(tmp_path / "sae", architecture))
    rng = np.random.default_rng(0)
    X = (rng.normal(size=(3000, 32)) * rng.uniform(0.5, 2.0, 32)).astype(np.float32)
    control = build_control(sae, X[:2000], control_rules(seed=0), tmp_path / "control")
    original, matched = firing_rates(sae, X[:2000]), firing_rates(control, X[:2000])
    tolerance = 0.02 if architecture == "topk" else 1e-9  # TopK latents compete for k slots
    assert np.abs(original - matched).max() <= tolerance
    held_out = np.abs(firing_rates(sae, X[2000:]) - firing_rates(control, X[2000:]))
    assert held_out.max() <= 0.08  # sampling error of rates on 1,000 fresh rows
    W, W_random = sae.sae.W_enc.detach(), control.sae.W_enc.detach()
    torch.testing.assert_close(W_random.norm(dim=0), W.norm(dim=0))
    cosine = (W * W_random).sum(0) / (W.norm(dim=0) * W_random.norm(dim=0))
    assert cosine.abs().max() < 0.8  # new directions
    again = build_control(sae, X[:2000], control_rules(seed=0), tmp_path / "again")
    torch.testing.assert_close(again.sae.W_enc, control.sae.W_enc)  # seeded


def test_submit_validate_eval_journey(
    tmp_path: Path, submissions: Path, model_args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    source = submitted(tmp_path, model_args, capsys)
    folder = submissions / "tiny"
    assert (folder / "sae" / WEIGHTS).read_bytes() == (source / WEIGHTS).read_bytes()
    assert main(["eval", "tiny", "--dataset", DATASET, "--regimes", "normal"]) == 1
    assert "run `saeprobe validate tiny` first" in capsys.readouterr().err

    assert main(["validate", "tiny", "--dataset", DATASET, "--json"]) == 0
    validation = json.loads(capsys.readouterr().out)
    assert validation["status"] == "validated" and validation["width"] == 64
    assert 0 < validation["measured"]["l0"] <= 64

    argv = ["eval", "tiny", "--dataset", DATASET, "--regimes", "normal", "--dtype", "fp32",
            "--no-progress", "--json", "--workers", "1"]  # fmt: skip
    assert main(argv) == 0
    summary = json.loads(capsys.readouterr().out)
    assert set(summary["arms"]) == {"sae", "control"}
    results = Path(summary["results"])
    assert results.parent == folder / "results"
    records = {
        arm: json.loads(next((results / arm / DATASET).glob("*/normal.json")).read_text())
        for arm in ("sae", "control")
    }
    assert all(r["arm"] == arm and len(r["cells"]) == 1 for arm, r in records.items())
    hashes = {r["provenance"]["sae_weights_hash"] for r in records.values()}
    assert len(hashes) == 2  # the control is its own SAE
    assert records["sae"]["provenance"]["sae_path"] == "submissions/tiny/sae"  # not absolute
    assert records["control"]["provenance"]["sae_path"].startswith("$SAEPROBE_CACHE/controls/")

    # One control per submission: another --dataset does not recalibrate it.
    other = ["eval", "tiny", "--dataset", "5_hist_fig_ismale", *argv[4:]]
    assert main(other) == 0
    capsys.readouterr()
    again = json.loads(next((results / "control" / "5_hist_fig_ismale").glob("*/normal.json"))
                       .read_text())  # fmt: skip
    assert (
        again["provenance"]["sae_weights_hash"]
        == records["control"]["provenance"]["sae_weights_hash"]
    )

    # Shipped results need nothing else: with the baselines and controls gone from the cache,
    # a rerun reports the stored records and computes nothing. Covariate shift has no cells on
    # a dataset without an OOD test set, so no record, and it must not count as unfinished.
    from benchmark.paths import cache_root

    shutil.rmtree(cache_root() / "results")
    shutil.rmtree(cache_root() / "controls")
    stamps = {p: p.stat().st_mtime_ns for p in results.rglob("*.json")}
    with_shift = [*argv[:5], "normal", "covariate_shift", *argv[6:]]
    assert main(with_shift) == 0
    no_cells = {"cells": 0, "mean_quiver_delta": None}
    assert json.loads(capsys.readouterr().out)["arms"] == {
        arm: {**regimes, "covariate_shift": no_cells} for arm, regimes in summary["arms"].items()
    }
    assert {p: p.stat().st_mtime_ns for p in results.rglob("*.json")} == stamps
    assert not (cache_root() / "results").exists() and not (cache_root() / "controls").exists()

    # A fresh clone has the summary, not results/: the records are restored from it, byte for
    # byte, and reported; nothing is computed and the summary is not rewritten.
    contents = {p: p.read_bytes() for p in results.rglob("*.json")}
    summary_stamps = {p: p.stat().st_mtime_ns for p in (folder / "summary").iterdir()}
    shutil.rmtree(folder / "results")
    assert main(with_shift) == 0
    capsys.readouterr()
    assert {p: p.read_bytes() for p in results.rglob("*.json")} == contents
    assert {p: p.stat().st_mtime_ns for p in (folder / "summary").iterdir()} == summary_stamps
    assert not (cache_root() / "results").exists() and not (cache_root() / "controls").exists()

    assert main(["ls", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)["submissions"]
    assert listed == [
        {"id": "tiny", "name": "Tiny", "architecture": "standard", "width": 64,
         "status": "validated", "evaluated": [results.name]}
    ]  # fmt: skip
    assert main(["ls"]) == 0
    assert capsys.readouterr().out.startswith("tiny  validated  standard")  # the id column fits


def test_exported_manifest_schema_is_current() -> None:
    assert SCHEMA_PATH.read_text() == json_schema(), (
        "run `python -m benchmark.submissions.manifest`"
    )


def test_submitting_twice_is_refused(
    tmp_path: Path, submissions: Path, model_args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    source = submitted(tmp_path, model_args, capsys)
    rejected(capsys, [*submit_argv(source, "tiny"), *model_args], "already exists", submissions)
    shutil.rmtree(submissions / "tiny")


def test_the_cached_control_is_built_once(tmp_path: Path, isolated_cache: Path) -> None:
    from benchmark.saes.control import cached_control

    sae = load_sae_folder(saved_sae(tmp_path / "sae"))
    X = np.random.default_rng(1).normal(size=(500, 32)).astype(np.float32)
    first = cached_control(sae, X, control_rules(seed=0))
    assert first.path.parent == isolated_cache / "controls"
    assert not list(first.path.parent.glob(".staging-*"))  # no leftovers
    modified = (first.path / WEIGHTS).stat().st_mtime_ns
    again = cached_control(sae, X, control_rules(seed=0))
    assert again.path == first.path and (again.path / WEIGHTS).stat().st_mtime_ns == modified
    assert cached_control(sae, X, control_rules(seed=1)).path != first.path


@pytest.mark.parametrize("architecture", ["standard", "topk"])
def test_the_control_is_the_same_in_memory_and_on_disk(
    architecture: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past a memory budget the sorted projections are kept on disk, one block of latents mapped
    at a time: the control must be bit-identical to the one built in memory with the same
    blocks. Blocks of another size give the same control up to float32 rounding (whether a
    column block's product is bit-identical to the full product's depends on the CPU's BLAS
    kernels: on an AMD EPYC it is not)."""
    import benchmark.saes.control as control_module

    sae = load_sae_folder(saved_sae(tmp_path / "sae", architecture))
    X = np.random.default_rng(3).normal(size=(600, 32)).astype(np.float32)
    rules = control_rules(seed=0)
    built = {}
    for block in (5, 7, None):
        if block is not None:
            monkeypatch.setattr(control_module, "PROJECTION_BLOCK", block * len(X))
        for budget, where in ((1 << 30, "memory"), (0, "disk")):
            monkeypatch.setattr(control_module, "SORTED_IN_MEMORY", budget)
            folder = tmp_path / f"{where}-{block}"
            built[(where, block)] = build_control(sae, X, rules, folder / "sae")
            assert [p.name for p in folder.iterdir()] == ["sae"]  # the scratch file is gone
        assert built[("disk", block)].weights_hash == built[("memory", block)].weights_hash
    biases = {key: control.sae.b_enc.detach().numpy() for key, control in built.items()}
    assert np.allclose(biases[("memory", 5)], biases[("memory", 7)], rtol=1e-4, atol=1e-5)


def test_a_random_baseline_is_evaluated_without_a_control_of_its_own(
    tmp_path: Path, submissions: Path, model_args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """A trained random baseline is a control itself: its SAE arm alone is evaluated."""
    submitted(tmp_path, model_args, capsys)
    manifest = submissions / "tiny" / "submission.yaml"
    link = "random_baseline:\n  of: ref-tiny\n  constraint: frozen-encoder\n"
    manifest.write_text(manifest.read_text() + link)
    assert main(["validate", "tiny", "--dataset", DATASET]) == 0
    argv = ["eval", "tiny", "--dataset", DATASET, "--regimes", "normal", "--dtype", "fp32",
            "--no-progress", "--json", "--workers", "1"]  # fmt: skip
    capsys.readouterr()
    assert main(argv) == 0
    summary = json.loads(capsys.readouterr().out)
    assert set(summary["arms"]) == {"sae"}
    assert summary["arms"]["sae"]["normal"]["cells"] == 1
    results = Path(summary["results"])
    assert (results / "sae" / DATASET).is_dir() and not (results / "control").exists()
    assert main(argv) == 0  # finished: reported from its records alone
    assert json.loads(capsys.readouterr().out)["arms"]["sae"]["normal"]["cells"] == 1
