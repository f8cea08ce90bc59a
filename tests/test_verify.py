"""``saeprobe verify``: a submission's recorded cells, recomputed from scratch on the tiny model,
equal their records; a tampered record or score sidecar fails with one line naming the cell and
the field, and exit status 1."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from benchmark.cli.main import main
from benchmark.workflows.verify import differing_fields
from tests.sae_folders import rejected, saved_sae, submit_argv

DATASET = "130_temp_cat_Frequency"  # small: 371 rows


@pytest.fixture(scope="module")
def evaluated_once(tmp_path_factory: pytest.TempPathFactory, tiny_model_dir: Path) -> Path:
    """A faithful tiny SAE, submitted, validated and evaluated (the normal regime: one cell per
    arm), once for the module."""
    root = tmp_path_factory.mktemp("verify") / "submissions"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SAEPROBE_SUBMISSIONS", str(root))
        source = saved_sae(root.parent / "source", faithful=True)
        assert main([*submit_argv(source, "tiny"), "--model", str(tiny_model_dir)]) == 0
        assert main(["validate", "tiny", "--dataset", DATASET, "--no-progress"]) == 0
        argv = ["eval", "tiny", "--dataset", DATASET, "--regimes", "normal",
                "--dtype", "fp32", "--no-progress", "--workers", "1"]  # fmt: skip
        assert main(argv) == 0
    return root / "tiny"


@pytest.fixture
def evaluated(
    evaluated_once: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Path:
    """This test's own copy of the evaluated submission, free to tamper with."""
    root = tmp_path / "submissions"
    shutil.copytree(evaluated_once, root / "tiny")
    monkeypatch.setenv("SAEPROBE_SUBMISSIONS", str(root))
    capsys.readouterr()
    return root / "tiny"


def records(folder: Path, arm: str, regime: str) -> Path:
    return next((folder / "results").glob(f"*/{arm}/{DATASET}/*/{regime}.json"))


def test_recomputed_cells_equal_their_records(
    evaluated: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["verify", "tiny", "--sample", "5", "--seed", "1", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["cells"] == [f"{arm} {DATASET}|normal|-|0" for arm in ("sae", "control")]


def test_a_tampered_record_fails_naming_the_cell_and_field(
    evaluated: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = records(evaluated, "sae", "normal")
    record = json.loads(path.read_text())
    method = record["cells"][0]["methods"][0]
    method["test_auc"] = round(method["test_auc"] - 0.01, 6)
    path.write_text(json.dumps(record, indent=1))
    cell = record["cells"][0]
    key = f"{DATASET}|normal|-|{cell['seed']}"
    line = rejected(
        capsys, ["verify", "tiny", "--sample", "1000"], f"sae {key}: methods[{method['method']}]"
        ".test_auc recorded", evaluated,
    )  # fmt: skip
    assert "1 difference(s) in" in line


def test_tampered_scores_fail_naming_the_method(
    evaluated: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = records(evaluated, "control", "normal").with_suffix(".scores.npz")
    with np.load(path) as archive:
        scores = {name: archive[name] for name in archive.files}
    name = next(n for n in sorted(scores) if "/sae_k" in n)
    scores[name] = scores[name] + np.float32(1e-3)
    np.savez_compressed(path, **scores)
    cell, method = name.rsplit("/", 1)
    message = f"control {cell}: scores {method} recorded array of"
    rejected(capsys, ["verify", "tiny", "--sample", "1000"], message, evaluated)


def test_records_of_other_activations_name_both_machines(
    evaluated: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Activations extracted on another CPU round differently (README, Activations): the cell is
    reported as such, with both machines, instead of as a field that happens to differ."""
    path = records(evaluated, "sae", "normal")
    record = json.loads(path.read_text())
    (recorded,) = record["provenance"]["activation_hashes"].items()
    assert recorded[0] == DATASET and len(recorded[1]) == 64
    assert "torch" in record["provenance"]["machine"]
    record["provenance"]["activation_hashes"] = {DATASET: "0" * 64}
    record["provenance"]["machine"] = "Another CPU; torch AVX512"
    path.write_text(json.dumps(record, indent=1))
    message = (
        f"sae {DATASET}|normal|-|{record['cells'][0]['seed']}: activations (extracted here, they "
        "differ from the record's; README: Activations), machine recorded 'Another CPU; torch "
        "AVX512', recomputed '"
    )
    rejected(capsys, ["verify", "tiny", "--sample", "1000"], message, evaluated)


def test_field_paths_name_methods_and_skip_fields_old_records_lack() -> None:
    old = {"methods": [{"method": "pca", "test_auc": 0.7, "iterations": None}], "n": 3}
    new = {"methods": [{"method": "pca", "test_auc": 0.8, "iterations": 12}], "n": 3}
    assert list(differing_fields(old, new)) == [("methods[pca].test_auc", 0.7, 0.8)]
    assert list(differing_fields(new, old)) == [
        ("methods[pca].iterations", 12, None),  # a value where the record says one: compared
        ("methods[pca].test_auc", 0.8, 0.7),
    ]
    assert list(differing_fields({"a": float("nan")}, {"a": float("nan")})) == []


def test_a_fresh_clone_verifies_from_the_summary_and_a_tampered_summary_fails(
    evaluated: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without results/ (git holds the summary), the records are restored and verified: their
    fields in full, and of the scores the arrays the summary keeps (the SAE arm's picked probe
    and test labels in the normal regime). A kept array changed in the summary fails."""
    shutil.rmtree(evaluated / "results")
    assert main(["verify", "tiny", "--sample", "1000", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)["cells"]) == 2
    kept = evaluated / "summary" / "scores.npz"
    with np.load(kept) as archive:
        scores = {name: archive[name] for name in archive.files}
    name = next(n for n in sorted(scores) if "/sae_k" in n)
    scores[name] = scores[name] + np.float32(1e-3)
    np.savez_compressed(kept, **scores)
    shutil.rmtree(evaluated / "results")
    method = name.rsplit("/", 1)[1]
    rejected(capsys, ["verify", "tiny", "--sample", "1000"], f"scores {method} recorded", kept)
