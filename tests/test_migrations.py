"""Results migrations: historic records (``tests/historic_results/``, as shipped before the
renovation) load and upgrade to exactly what the repository ships now, and the protocol-hash
mapping is valid because the values moved into the protocol equal the old code constants."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml

from benchmark.protocols.protocol import Protocol, load_protocol
from benchmark.results.migrations import (
    PROTOCOL_HASHES,
    SECTIONS_ADDED_IN_2,
    legacy_hashes,
    portable_legacy_path,
)
from benchmark.results.schema import SCHEMA_VERSION
from benchmark.results.store import load_record, load_scores, results_dir
from tests.shipped import restored_submission

HISTORIC = Path(__file__).parent / "historic_results"
OLD_V1 = "13e4b817308b50a2a7b25817e6e179245601b57e753f737237f4b62db55b04fd"

# The constants as they stood in code before they moved into the protocol (commit 74d2185):
# cli/evaluation.py CONTROL_ROWS and CONTROL_SUITE, the control seed protocol.seeds[0],
# saes/control.py TOPK_ROUNDS, cli/submissions.py VALIDATION_ROWS, sample_rows' seed 0, and
# submissions/measure.py L0_FACTOR and EV_MARGIN.
OLD_CONSTANTS = {
    "control": {"calibration_rows": 8192, "calibration_suite": "demo", "topk_rounds": 12},
    "validation": {"rows": 4096, "seed": 0, "l0_factor": 2.0, "ev_margin": 0.2},
}


# paper as it stood at step 2, before version 2 made it reproduce the original code row for row
STEP_2 = {"v1": "v1", "paper": str(HISTORIC / "protocols" / "step-2" / "paper.yaml")}


@pytest.mark.parametrize("name", ["v1", "paper"])
def test_moved_values_equal_the_old_constants(name: str) -> None:
    protocol = load_protocol(STEP_2[name])
    for section, values in OLD_CONSTANTS.items():
        assert getattr(protocol, section).model_dump(include=set(values)) == values
    assert protocol.control.seed == protocol.seeds[0]  # the control's old seed


@pytest.mark.parametrize("name", ["v1", "paper"])
def test_the_old_protocol_is_the_new_one_without_the_moved_sections(name: str) -> None:
    old_file = next((HISTORIC / "protocols").glob(f"{name}-*.yaml"))
    old_raw = yaml.safe_load(old_file.read_text())
    new = load_protocol(STEP_2[name])
    assert new.model_dump(exclude={"description", *SECTIONS_ADDED_IN_2}) == Protocol.model_validate(
        {**old_raw, **new.model_dump(include=SECTIONS_ADDED_IN_2)}
    ).model_dump(exclude={"description", *SECTIONS_ADDED_IN_2})
    old_hash = new.content_hash(exclude=SECTIONS_ADDED_IN_2)
    assert old_hash.startswith(old_file.stem.split("-")[1])
    assert PROTOCOL_HASHES[old_hash] == new.content_hash()
    assert legacy_hashes(new) == [old_hash]


def test_paper_version_2_is_a_new_protocol_not_a_migration() -> None:
    """paper 2 draws other rows than paper 1: its records are never relabelled as paper 2's."""
    paper = load_protocol("paper")
    assert paper.version == 2 and legacy_hashes(paper) == []
    assert paper.content_hash() != load_protocol(STEP_2["paper"]).content_hash()
    assert load_protocol(STEP_2["paper"]).content_hash() in PROTOCOL_HASHES.values()


def test_a_historic_record_is_upgraded_as_it_is_read() -> None:
    folder = HISTORIC / "ref-topk-2048" / "results" / "v1-13e4b817308b"
    for arm in ("sae", "control"):
        path = next((folder / arm).glob("*/*/normal.json"))
        assert '"schema_version": 1' in path.read_text()
        record = load_record(path)
        assert record is not None
        assert record.schema_version == SCHEMA_VERSION == 4 and record.arm == arm
        # schema 4's provenance fields: unknown for a record written before them
        assert record.provenance.activation_hashes is None and record.provenance.machine is None
        assert record.protocol_hash == load_protocol("v1").content_hash() != OLD_V1
        assert (
            record.provenance.sae_path
            == {
                "sae": "submissions/ref-topk-2048/sae",
                "control": "$SAEPROBE_CACHE/controls/d0f3e9fc580cc082-seed0-ae3f541c76d8",
            }[arm]
        )


@pytest.mark.parametrize(
    ("written", "portable"),
    [
        ("/work/main/submissions/ref-topk-2048/sae", "submissions/ref-topk-2048/sae"),
        ("/home/a/submissions/x/submissions/y/sae", "submissions/y/sae"),
        (
            "/root/.cache/saeprobe/controls/d0f3-seed0-ae3f",
            "$SAEPROBE_CACHE/controls/d0f3-seed0-ae3f",
        ),
        ("/data/my-sae", "/data/my-sae"),  # a referenced local folder: stays absolute
    ],
)
def test_legacy_sae_paths_become_portable(written: str, portable: str) -> None:
    assert portable_legacy_path(written) == portable


def test_the_same_sae_gets_the_same_path_wherever_the_checkout_lies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from benchmark.results.provenance import portable_sae_path

    paths = set()
    for checkout in ("one", "two"):
        monkeypatch.setenv("SAEPROBE_SUBMISSIONS", str(tmp_path / checkout / "submissions"))
        monkeypatch.setenv("SAEPROBE_CACHE", str(tmp_path / checkout / "cache"))
        paths.add((
            portable_sae_path(tmp_path / checkout / "submissions" / "x" / "sae"),
            portable_sae_path(tmp_path / checkout / "cache" / "controls" / "k"),
        ))  # fmt: skip
    assert paths == {("submissions/x/sae", "$SAEPROBE_CACHE/controls/k")}
    assert portable_sae_path(tmp_path / "elsewhere") == str(tmp_path / "elsewhere")


def test_a_historic_folder_migrates_to_what_ships_now(tmp_path: Path) -> None:
    results = tmp_path / "ref-topk-2048" / "results"
    shutil.copytree(HISTORIC / "ref-topk-2048" / "results", results)
    protocol = load_protocol("v1")
    migrated = results_dir(results, protocol)
    assert migrated.name == f"v1-{protocol.content_hash()[:12]}"
    assert not (results / "v1-13e4b817308b").exists()
    assert not list(results.glob(".*"))  # no staging leftovers
    shipped = restored_submission("ref-topk-2048", tmp_path / "shipped") / "results"
    records = sorted(migrated.rglob("*.json"))
    assert len(records) == 4
    for path in records:
        relative = path.relative_to(migrated)
        assert path.read_text() == (shipped / migrated.name / relative).read_text()
        ours, kept = load_scores(path), load_scores(shipped / migrated.name / relative)
        assert kept.keys() <= ours.keys()  # the summary keeps the leaderboard's arrays
        assert all(np.array_equal(ours[key], kept[key]) for key in kept)
    assert results_dir(results, protocol) == migrated  # a second call changes nothing
