"""Results outside git: ``saeprobe results export`` writes every record as parquet (one row per
method and cell) with manifests, validations and score sidecars; laid out again, the records
are bit-identical, and the leaderboard built from the export (a local folder, or a dataset
repository in the Hugging Face cache, offline) is the one built from the submissions folder."""

from __future__ import annotations

import filecmp
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from benchmark.cli.main import main
from benchmark.results.export import CELLS_FILE, import_results
from benchmark.results.store import load_record, load_scores
from benchmark.stats.settings import StatsSettings
from benchmark.workflows.results import BuildOptions, build_leaderboard, export_all_results
from tests.hub_cache import cached_repo
from tests.leaderboard_fixtures import write_ranked_trio

SETTINGS = StatsSettings(resamples=500)


@pytest.fixture(scope="module")
def submissions(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("export") / "submissions"
    write_ranked_trio(root)
    return root


@pytest.fixture(scope="module")
def export(submissions: Path) -> Path:
    out = submissions.parent / "export"
    export_all_results(out, submissions)
    return out


def records_of(root: Path) -> list[Path]:
    return sorted(
        p for p in root.rglob("*.json") if p.parent.parent.parent.name in ("sae", "control")
    )


def test_one_row_per_method_and_cell(submissions: Path, export: Path) -> None:
    rows = pq.read_table(export / CELLS_FILE).to_pylist()
    records = [load_record(p) for p in records_of(submissions)]
    assert len(rows) == sum(len(c.methods) for r in records if r for c in r.cells)
    assert {row["submission"] for row in rows} == {"good", "evil", "weak"}
    assert {row["arm"] for row in rows} == {"sae", "control"}
    assert not list(export.rglob("*.safetensors"))  # weights stay out
    assert (export / "README.md").read_text().startswith("---\nlicense: other")


def test_records_and_scores_come_back_bit_identical(
    submissions: Path, export: Path, tmp_path: Path
) -> None:
    back = tmp_path / "submissions"
    assert import_results(export, back) == len(records_of(submissions))
    for path in records_of(submissions):
        again = back / path.relative_to(submissions)
        assert load_record(again) == load_record(path)
        ours, theirs = load_scores(again), load_scores(path)
        assert ours.keys() == theirs.keys()
        assert all(np.array_equal(ours[k], theirs[k]) for k in ours)
    for name in ("submission.yaml", "validation.json"):
        assert (back / "good" / name).read_bytes() == (submissions / "good" / name).read_bytes()


def same_site(one: Path, two: Path) -> bool:
    compared = filecmp.dircmp(one, two)
    pending = [compared]
    while pending:
        current = pending.pop()
        _, mismatch, errors = filecmp.cmpfiles(
            current.left, current.right, current.common_files, shallow=False
        )
        if mismatch or errors or current.left_only or current.right_only:
            return False
        pending += current.subdirs.values()
    return True


def test_the_site_from_an_export_is_the_site_from_submissions(
    submissions: Path, export: Path, tmp_path: Path
) -> None:
    direct = build_leaderboard(BuildOptions(tmp_path / "direct", SETTINGS, submissions))
    exported = build_leaderboard(BuildOptions(tmp_path / "exported", SETTINGS, results=str(export)))
    assert direct.ranked == exported.ranked and len(direct.ranked) == 3
    assert same_site(tmp_path / "direct", tmp_path / "exported")


def test_the_site_from_a_hub_dataset_repository(
    submissions: Path, export: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The export uploaded as a dataset repository, read through huggingface_hub's own
    snapshot_download from its cache (offline: nothing can be downloaded here)."""
    cached_repo(tmp_path / "hub", "datasets--org--saeprobe-results", export, monkeypatch)
    options = BuildOptions(tmp_path / "hub-site", SETTINGS, results="hub",
                           hub_repo="org/saeprobe-results")  # fmt: skip
    build_leaderboard(options)
    build_leaderboard(BuildOptions(tmp_path / "direct", SETTINGS, submissions))
    assert same_site(tmp_path / "direct", tmp_path / "hub-site")


def test_bad_targets_are_one_line_errors(
    submissions: Path, export: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["results", "export", str(export), "--submissions", str(submissions)]) == 1
    assert "exists and is not empty" in capsys.readouterr().err
    argv = ["leaderboard", "build", "--results", str(tmp_path), "--out", str(tmp_path / "s")]
    assert main(argv) == 1
    assert "not a saeprobe results export" in capsys.readouterr().err
    assert main(["leaderboard", "build", "--results", "hub", "--out", str(tmp_path / "s")]) == 1
    assert "--results hub needs --hub-repo" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("tamper", "message"),
    [
        (lambda rid: "../x/results/" + rid.split("/", 2)[2], "is not a submission's record"),
        (lambda rid: "good/results/../../../escape/" + rid.split("/", 2)[2], "is not where"),
    ],
)
def test_an_export_naming_a_record_outside_its_submission_is_refused(
    export: Path, tmp_path: Path, tamper: object, message: str
) -> None:
    """An export may come from anywhere: a record id that leaves its submission's results is
    one error, and nothing is laid out."""
    import shutil

    import pyarrow as pa

    from benchmark.errors import SaeprobeError

    tampered = tmp_path / "tampered"
    shutil.copytree(export, tampered)
    path = tampered / "data" / "records.parquet"
    rows = pq.read_table(path).to_pylist()
    rows[0]["record_id"] = tamper(rows[0]["record_id"])  # type: ignore[operator]
    pq.write_table(pa.Table.from_pylist(rows), path)
    with pytest.raises(SaeprobeError, match=message):
        import_results(tampered, tmp_path / "laid-out")
    assert not (tmp_path / "laid-out").exists() and not (tmp_path / "escape").exists()
