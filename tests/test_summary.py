"""A submission's results as git holds them: the summary rebuilds every record bit for bit and
keeps exactly the score arrays the leaderboard reads, so a site built from summaries alone (a
fresh clone) equals the site built from the full records; restoring fills only what is
missing; and the shipped summaries restore the shipped records."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from benchmark.leaderboard.site import build_site
from benchmark.results.comparisons import probe_pick
from benchmark.results.rows import folder_records
from benchmark.results.store import load_record, load_scores
from benchmark.results.summary import (
    CELLS,
    RECORDS,
    SUMMARY_DIR,
    SummaryError,
    restore_results,
    submission_results,
    write_summary,
)
from benchmark.stats.settings import StatsSettings
from benchmark.submissions.store import submission_ids
from tests.leaderboard_fixtures import write_ranked_trio
from tests.shipped import SHIPPED, restored_submission


def without_results(root: Path, target: Path) -> Path:
    """``root``'s submissions as git holds them: every file but ``results/``."""
    for submission_id in submission_ids(root):
        shutil.copytree(
            root / submission_id, target / submission_id, ignore=shutil.ignore_patterns("results")
        )
    return target


@pytest.fixture
def trio(tmp_path: Path) -> Path:
    root = tmp_path / "full"
    write_ranked_trio(root)
    for submission_id in submission_ids(root):
        assert write_summary(root / submission_id) > 0
    return root


def test_restored_records_are_the_written_ones_byte_for_byte(trio: Path, tmp_path: Path) -> None:
    clone = without_results(trio, tmp_path / "clone")
    for submission_id in submission_ids(trio):
        written = sorted((trio / submission_id / "results").rglob("*.json"))
        assert restore_results(clone / submission_id) == len(written) > 0
        for path in written:
            restored = clone / submission_id / path.relative_to(trio / submission_id)
            assert restored.read_bytes() == path.read_bytes()


def test_the_summary_keeps_the_picked_probe_scores_of_normal_cells_only(
    trio: Path, tmp_path: Path
) -> None:
    clone = without_results(trio, tmp_path / "clone")
    results = submission_results(clone / "good")
    kept_any = False
    for _, path, record in folder_records(results):
        full = load_scores(trio / "good" / path.relative_to(clone / "good"))
        kept = load_scores(path)
        if record.arm != "sae" or record.regime != "normal":
            assert kept == {}
            continue
        for cell in record.cells:
            names = {"test_labels", *probe_pick(cell)[0]}
            expected = {f"{cell.key}/{name}" for name in names}
            assert {k for k in kept if k.startswith(f"{cell.key}/")} == expected
            assert all(np.array_equal(kept[k], full[k]) for k in expected)
            kept_any = True
    assert kept_any


def test_a_site_from_summaries_alone_equals_the_site_from_full_records(
    trio: Path, tmp_path: Path
) -> None:
    """What a fresh clone builds (records restored from the summaries) is what the evaluating
    machine builds, file for file, test-example CIs included."""
    clone = without_results(trio, tmp_path / "clone")
    settings = StatsSettings(resamples=200)
    build_site(trio, tmp_path / "site-full", settings)
    build_site(clone, tmp_path / "site-clone", settings)
    full, clone_site = tmp_path / "site-full", tmp_path / "site-clone"
    files = sorted(p.relative_to(full) for p in full.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(clone_site) for p in clone_site.rglob("*") if p.is_file())
    for relative in files:
        assert (full / relative).read_bytes() == (clone_site / relative).read_bytes(), relative


def test_restoring_fills_only_missing_records(trio: Path) -> None:
    folder = trio / "good"
    records = sorted((folder / "results").rglob("*.json"))
    kept, removed = records[0], records[1]
    kept.write_text(kept.read_text().replace('"v1"', '"v1" '))  # a local edit stays
    edited = kept.read_text()
    removed.unlink()
    assert restore_results(folder) == 1
    assert kept.read_text() == edited
    assert removed.is_file()
    assert restore_results(folder) == 0


def test_a_rewritten_summary_replaces_the_old_one_whole(trio: Path) -> None:
    folder = trio / "weak"
    before = pq.read_table(folder / SUMMARY_DIR / CELLS).num_rows
    shutil.rmtree(next((folder / "results").glob("*/sae/1_alpha")))
    assert write_summary(folder) > 0
    after = pq.read_table(folder / SUMMARY_DIR / CELLS).num_rows
    assert 0 < after < before
    assert sorted(p.name for p in folder.iterdir() if p.name.startswith(".")) == []


def test_the_shipped_summaries_restore_every_shipped_record(tmp_path: Path) -> None:
    """Each reference submission's summary holds its 168 records (16 datasets, 6 regimes, the
    SAE and its control, where the dataset has the regime's test set) under each of v1 and v3,
    each a valid record."""
    folder = restored_submission("ref-topk-2048", tmp_path)
    records = list(folder_records(folder / "results"))
    by_protocol = Counter(record.protocol for _, _, record in records)
    assert by_protocol == {"v1": 168, "v3": 168}
    assert {record.dataset for _, _, record in records} == {
        path.name for path in (folder / "results").glob("*/sae/*")
    }
    assert all(load_record(path) == record for _, path, record in records[:5])
    assert (SHIPPED / "ref-topk-2048" / SUMMARY_DIR / CELLS).is_file()


@pytest.mark.parametrize(
    "tamper",
    [
        lambda rid: "../../../outside/" + rid.split("/", 1)[1],  # leaves results/
        lambda rid: rid.replace("/sae/", "/control/", 1),  # not its record's arm
        lambda rid: rid.rsplit("/", 1)[0] + "/scarcity",  # not its record's regime
        lambda rid: "v1-000000000000/" + rid.split("/", 1)[1],  # not its record's protocol
    ],
)
def test_a_summary_naming_a_record_elsewhere_is_refused_and_writes_nothing(
    trio: Path, tmp_path: Path, tamper: object
) -> None:
    """A summary comes with a submission: a record id that is not where its record belongs is
    one error, and nothing is restored."""
    import pyarrow as pa

    clone = without_results(trio, tmp_path / "clone")
    path = clone / "good" / SUMMARY_DIR / RECORDS
    rows = pq.read_table(path).to_pylist()
    wanted = ("sae", "normal")
    target = next(i for i, row in enumerate(rows) if (row["arm"], row["regime"]) == wanted)
    original = rows[target]["record_id"]
    rows[target]["record_id"] = tamper(original)  # type: ignore[operator]
    cells = pq.read_table(clone / "good" / SUMMARY_DIR / CELLS).to_pylist()
    for row in cells:
        if row["record_id"] == original:
            row["record_id"] = rows[target]["record_id"]
    pq.write_table(pa.Table.from_pylist(rows), path)
    pq.write_table(pa.Table.from_pylist(cells), clone / "good" / SUMMARY_DIR / CELLS)
    with pytest.raises(SummaryError, match="is not where its record belongs"):
        restore_results(clone / "good")
    assert not (clone / "good" / "results").exists()
    assert not (tmp_path / "outside").exists() and not (clone / "outside").exists()
