"""Leaderboard tables and site from fixture results: ranking, deltas, protocol separation,
downloads and escaping."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import numpy as np
import pytest

from benchmark.leaderboard.collect import collect_evaluations
from benchmark.leaderboard.site import build_site
from benchmark.leaderboard.summary import summarize
from benchmark.leaderboard.tables import HeaderCell, Table, number_cell, text_cell
from benchmark.protocols.protocol import DEFAULT_PROTOCOL, load_protocol
from benchmark.results.comparisons import cell_deltas
from benchmark.stats.settings import StatsSettings
from tests.leaderboard_fixtures import (
    BASELINE_AUC,
    DATASETS,
    LEVELS,
    PROTOCOL_HASH,
    write_ranked_trio,
    write_submission,
)

SETTINGS = StatsSettings(resamples=2_000)
CELLS_PER_DATASET = sum(len(levels) for levels in LEVELS.values())


@pytest.fixture(scope="module")
def submissions(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("submissions")
    write_ranked_trio(root)
    write_submission(root, "old", 0.99, protocol_hash="f" * 64)
    return root


@pytest.fixture(scope="module")
def site(submissions: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("build") / "site"
    build_site(submissions, out, SETTINGS)
    return out


def test_deltas_per_cell_match_hand_computation(submissions: Path) -> None:
    good = next(e for e in collect_evaluations(submissions) if e.id == "good")
    deltas = cell_deltas(good.cells["sae"], good.cells.get("control", []))
    # dataset index 1 adds 0.01: SAE probe 0.86, baseline 0.80, control 0.71
    assert deltas["probe"]["scarcity"][DATASETS[1]] == pytest.approx([0.06] * 3)
    assert deltas["quiver"]["normal"][DATASETS[1]] == pytest.approx([0.06])
    assert deltas["control"]["label_noise"][DATASETS[1]] == pytest.approx([0.15] * 3)


def test_summary_has_every_comparison_and_regime(submissions: Path) -> None:
    good = next(e for e in collect_evaluations(submissions) if e.id == "good")
    summary = summarize(good, SETTINGS)
    row = summary.get("probe", "imbalance")
    assert row is not None
    assert row.estimate.mean == pytest.approx(0.85 + 0.02 - BASELINE_AUC)
    assert (row.counts.wins, row.counts.ties, row.counts.losses) == (15, 0, 0)
    assert row.estimate.excludes_zero and row.estimate.p_value < 0.05
    # 5 datasets and 2,000 resamples floor p near 0.04 (no resample reaches 0: 2 / 2,001 plain,
    # expanded); Holm across the regimes then lifts it above 0.05.
    assert row.adjusted_p > 0.05 and not row.significant
    assert summary.cell_means[("normal", DATASETS[0])] == pytest.approx(0.05)


def test_weak_submission_without_control_has_no_control_rows(submissions: Path) -> None:
    weak = next(e for e in collect_evaluations(submissions) if e.id == "weak")
    summary = summarize(weak, SETTINGS)
    assert summary.get("control", "normal") is None
    quiver = summary.get("quiver", "normal")
    assert quiver is not None  # the SAE wins validation everywhere, so the quiver takes its loss
    assert quiver.estimate.mean == pytest.approx(0.60 + 0.02 - BASELINE_AUC)
    assert (quiver.counts.wins, quiver.counts.losses) == (0, len(DATASETS))


def test_ranking_orders_by_score_and_lists_other_protocols_apart(site: Path) -> None:
    ranking = json.loads((site / "data" / "ranking.json").read_text())
    names = [row[3]["display"] for row in ranking["rows"]]
    assert names == ["good", "<script>alert(1)</script>", "weak"]
    ranks = [(row[0]["value"], row[1]["display"], row[2]["value"]) for row in ranking["rows"]]
    assert ranks == [(1, "1\u20131", 1), (2, "2\u20132", 2), (3, "3\u20133", 3)]
    others = json.loads((site / "data" / "other-protocols.json").read_text())
    assert [row[0]["display"] for row in others["rows"]] == ["old"]


def test_build_ranks_the_protocol_it_is_given_and_names_it(tmp_path: Path) -> None:
    """`leaderboard build --protocol P` ranks the records made under P's hash (default: the
    default protocol's) and lists the others apart; every page names the ranked protocol."""
    hashes = {name: load_protocol(name).content_hash() for name in ("v1", "v3")}
    root = tmp_path / "submissions"
    write_submission(root, "early", 0.85, protocol="v1", protocol_hash=hashes["v1"])
    write_submission(root, "late", 0.75, protocol="v3", protocol_hash=hashes["v3"])
    write_submission(root, "later", 0.70, protocol="v3", protocol_hash=hashes["v3"])
    for name, ranked, other in [
        ("v1", ["early"], ["late", "later"]),
        ("v3", ["late", "later"], ["early"]),
    ]:
        build_site(root, tmp_path / name, SETTINGS, protocol_name=name)
        ranking = json.loads((tmp_path / name / "data" / "ranking.json").read_text())
        assert [row[3]["display"] for row in ranking["rows"]] == ranked
        others = json.loads((tmp_path / name / "data" / "other-protocols.json").read_text())
        assert sorted(row[0]["display"] for row in others["rows"]) == other
        footer = rf"under protocol {name}\s+\({hashes[name][:12]}\)"
        assert re.search(footer, (tmp_path / name / "index.html").read_text())
    assert DEFAULT_PROTOCOL == "v3"
    build_site(root, tmp_path / "default", SETTINGS)
    ranking = json.loads((tmp_path / "default" / "data" / "ranking.json").read_text())
    assert [row[3]["display"] for row in ranking["rows"]] == ["late", "later"]


def test_csv_download_has_values_and_ci_columns(site: Path) -> None:
    lines = (site / "data" / "deltas.csv").read_text().splitlines()
    header = lines[0].split(",")
    assert header[:7] == ["submission", "architecture", "width", "l0", "explained_variance",
                          "dead_fraction", "regime"]  # fmt: skip
    assert "probe_low" in header and "probe_high" in header
    assert len(lines) == 1 + 3 * len(LEVELS)  # three ranked submissions x five regimes
    assert {line.split(",")[5] for line in lines[1:]} == {"0.25"}


def test_csv_cells_a_spreadsheet_would_run_are_neutralised() -> None:
    """Display names are user strings: one that starts like a formula is written with a leading
    apostrophe (OWASP's CSV injection advice); numbers, negative ones included, stay numbers."""
    names = ['=HYPERLINK("http://example.invalid","x")', "+1", "-x", "@SUM(A1)", "\tx", "plain"]
    table = Table(
        id="t",
        title="t",
        header=[HeaderCell(key="name", label="Name"), HeaderCell(key="delta", label="Delta")],
        rows=[[text_cell(name), number_cell(-0.5)] for name in names],
    )
    rows = list(csv.reader(io.StringIO(table.csv())))
    assert rows[1:] == [
        ['\'=HYPERLINK("http://example.invalid","x")', "-0.5"],
        ["'+1", "-0.5"],
        ["'-x", "-0.5"],
        ["'@SUM(A1)", "-0.5"],
        ["'\tx", "-0.5"],
        ["plain", "-0.5"],
    ]


def test_pages_exist_for_submissions_regimes_datasets_and_methodology(site: Path) -> None:
    for page in ["index.html", "methodology.html", "submissions/good.html",
                 "regimes/label_noise.html", "datasets/5_eps-ilon.html"]:  # fmt: skip
        assert (site / page).is_file(), page
    plots = sorted(p.name for p in (site / "plots").iterdir())
    assert "good-scarcity.svg" in plots and "good-covariate_shift.svg" in plots
    assert (site / "plots" / "good-scarcity.svg").read_text().lstrip().startswith("<?xml")
    page = (site / "submissions" / "good.html").read_text()
    assert "No multi-token results." in page
    assert "protocol v1" in page  # provenance on every page


def test_user_strings_render_as_text(site: Path) -> None:
    for page in [site / "index.html", site / "submissions" / "evil.html"]:
        html = page.read_text()
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "<script>alert" not in html


def test_per_dataset_ci_comes_from_the_stored_scores(site: Path, submissions: Path) -> None:
    table = json.loads((site / "data" / "datasets-good.json").read_text())
    first = table["rows"][0]
    assert first[0]["display"] == DATASETS[0]
    low, high = first[2]["ci"]
    assert low < high
    assert first[2]["sources"][0].startswith("good/results/")
    from benchmark.results.store import load_scores
    from benchmark.stats.examples import auc_interval

    scores = load_scores(submissions / first[2]["sources"][0])
    key = f"{DATASETS[0]}|normal|-|0"
    expected = auc_interval(scores[f"{key}/sae_k16"], scores[f"{key}/test_labels"], SETTINGS)
    assert (low, high) == pytest.approx(expected)


def test_a_regime_delta_cites_only_that_regimes_records(site: Path) -> None:
    table = json.loads((site / "data" / "deltas.json").read_text())
    keys = [column["key"] for column in table["header"]]
    for row in table["rows"]:
        regime = row[keys.index("regime")]["value"]
        sources = row[keys.index("probe")]["sources"]
        assert sources and all(Path(source).stem == regime for source in sources)
        assert "sae" in {Path(source).parts[3] for source in sources}


def test_a_rebuild_replaces_the_site_and_leaves_no_staging(
    submissions: Path, tmp_path: Path
) -> None:
    out = tmp_path / "site"
    build_site(submissions, out, SETTINGS)
    (out / "stale.html").write_text("old")
    report = build_site(submissions, out, SETTINGS)
    assert not (out / "stale.html").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]
    assert report.pages == 1 + 3 + len(LEVELS) + len(DATASETS) + 1 + 3  # + 3 pairs compared
    assert np.isfinite(report.seconds)


def test_compare_pages_pair_every_two_submissions(site: Path) -> None:
    """good (0.85) minus weak (0.60) is 0.25 on every shared cell, so every regime's paired
    difference is 0.25 with a zero-width CI; per dataset, the stored per-example scores of the
    two are identical (the fixture draws them per dataset), so the paired example CI is [0, 0]:
    resampling the same rows for both cancels exactly."""
    pages = sorted(p.name for p in (site / "compare").iterdir())
    assert pages == ["evil--weak.html", "good--evil.html", "good--weak.html"]  # ranked first
    table = json.loads((site / "data" / "compare-good--weak.json").read_text())
    regimes = [row[0]["display"] for row in table["rows"]]
    assert regimes == ["Normal", "Data scarcity", "Class imbalance", "Label noise",
                       "Covariate shift"]  # fmt: skip
    for row in table["rows"]:
        assert row[1]["value"] == pytest.approx(0.25)
        assert row[1]["ci"] == pytest.approx([0.25, 0.25])
    datasets = json.loads((site / "data" / "compare-datasets-good--weak.json").read_text())
    assert len(datasets["rows"]) == len(DATASETS)
    for row in datasets["rows"]:
        assert row[1]["value"] == pytest.approx(0.25) and row[1]["ci"] == [0.0, 0.0]
    index = (site / "index.html").read_text()
    assert 'href="compare/good--weak.html"' in index and "&lt;script&gt;alert(1)" in index


def test_the_noise_floor_is_shown_for_the_protocol_it_was_measured_under(
    submissions: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import benchmark.leaderboard.noise_floor as noise_floor

    monkeypatch.setattr(noise_floor, "NOISE_FLOOR_DIR", tmp_path)
    floors = {"normal": 0.021, "scarcity": 0.0104}
    other = {"normal": 0.5, "scarcity": 0.5}
    (tmp_path / "a-other.json").write_text(
        json.dumps({"protocol_hash": "e" * 64, "noise_floor": other})
    )
    measured = tmp_path / "b-ranked.json"
    measured.write_text(json.dumps({"protocol_hash": PROTOCOL_HASH, "noise_floor": floors}))
    build_site(submissions, tmp_path / "site", SETTINGS)
    heatmap = json.loads((tmp_path / "site" / "data" / "heatmap.json").read_text())
    last = heatmap["rows"][-1]
    assert last[0]["display"] == "Noise floor (seed alone)"
    assert [c["display"] for c in last[1:3]] == ["\u00b10.021", "\u00b10.010"]  # normal, scarcity
    assert last[3]["value"] is None  # imbalance: not measured
    measured.write_text(json.dumps({"protocol_hash": "f" * 64, "noise_floor": floors}))
    build_site(submissions, tmp_path / "other", SETTINGS)
    heatmap = json.loads((tmp_path / "other" / "data" / "heatmap.json").read_text())
    assert heatmap["rows"][-1][0]["display"] != "Noise floor (seed alone)"  # another protocol's


def test_a_relative_submissions_folder_builds(
    submissions: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`leaderboard build --submissions submissions` (relative) cites records as an absolute
    root does (it raised ValueError before)."""
    monkeypatch.chdir(submissions.parent)
    report = build_site(Path(submissions.name), tmp_path / "site", SETTINGS)
    assert len(report.ranked) == 3


def test_a_killed_build_leaves_staging_that_the_next_build_removes(
    submissions: Path, tmp_path: Path
) -> None:
    """A build killed with SIGKILL mid-write leaves its staging folder; the next build removes
    it (its process is gone) and keeps the staging folder of a build still running."""
    import os
    import signal
    import subprocess
    import sys

    code = (
        "import sys, time; from pathlib import Path; from benchmark.atomic_io import "
        "staging_folder\nwith staging_folder(Path(sys.argv[1])) as s:\n"
        "    (s / 'site').mkdir(); print(s, flush=True); time.sleep(60)"
    )
    killed = subprocess.Popen(
        [sys.executable, "-c", code, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    abandoned = Path(killed.stdout.readline().strip())  # type: ignore[union-attr]
    killed.send_signal(signal.SIGKILL)
    killed.wait()
    assert abandoned.is_dir()  # what SIGKILL leaves behind
    running = tmp_path / f".staging-{os.getpid()}-live"
    running.mkdir()
    build_site(submissions, tmp_path / "site", SETTINGS)
    assert not abandoned.exists() and running.is_dir()
    assert sorted(p.name for p in tmp_path.iterdir()) == [running.name, "site"]


def test_an_empty_submissions_folder_builds_an_empty_leaderboard(tmp_path: Path) -> None:
    report = build_site(tmp_path / "none", tmp_path / "site", SETTINGS)
    assert report.ranked == []
    assert "No results yet." in (tmp_path / "site" / "index.html").read_text()


def test_ranking_uses_only_the_regimes_and_datasets_all_entries_share(tmp_path: Path) -> None:
    from benchmark.leaderboard.summary import rank

    write_submission(tmp_path, "full", 0.85)
    write_submission(tmp_path, "partial", 0.83)
    for extra in (tmp_path / "partial" / "results").rglob("*"):
        if (
            extra.is_file()
            and not extra.name.startswith("multitoken")
            and (extra.name.startswith(("scarcity", "imbalance")) or DATASETS[4] in str(extra))
        ):
            extra.unlink()
    summaries = [summarize(e, SETTINGS) for e in collect_evaluations(tmp_path)]
    ranked = {r.entry: r for r in rank(summaries, SETTINGS)}
    assert ranked["full"].n_datasets == ranked["partial"].n_datasets == len(DATASETS) - 1
    # both scored on normal, label noise and covariate shift of the four shared datasets
    assert ranked["full"].score == pytest.approx(0.85 + 0.015 - BASELINE_AUC)
    assert ranked["partial"].score == pytest.approx(0.83 + 0.015 - BASELINE_AUC)


def test_bar_axis_shows_every_auc() -> None:
    from benchmark.leaderboard.plots import auc_floor

    assert auc_floor({"SAE probe": [0.7, 0.9], "random control": [0.55, float("nan")]}) == 0.4
    assert auc_floor({"SAE probe": [0.7], "random control": [0.37]}) == pytest.approx(0.3)
    assert auc_floor({"SAE probe": [0.05]}) == 0.0


def test_each_reference_is_set_against_its_random_baselines_and_control(tmp_path: Path) -> None:
    """Table 2 of the sanity-check paper: the reference's probe minus each baseline's, per
    regime, paired cell by cell (0.85 - 0.80 = 0.05 everywhere: the per-dataset offsets cancel),
    and minus its untrained control (0.85 - 0.70)."""
    root = tmp_path / "submissions"
    write_submission(root, "ref", 0.85)
    link = {"of": "ref", "constraint": "frozen-decoder"}
    write_submission(root, "ref-frozen", 0.80, control_auc=None, random_baseline=link)
    write_submission(root, "other", 0.70)
    report = build_site(root, tmp_path / "site", SETTINGS)
    ranked = [line.split(" (")[0] for line in report.ranked]
    assert ranked == ["1. ref", "2. other"]  # a baseline is not ranked
    compare = sorted(p.name for p in (tmp_path / "site" / "compare").iterdir())
    assert compare == ["ref--other.html", "ref--ref-frozen.html"]  # not other--ref-frozen
    table = json.loads((tmp_path / "site" / "data" / "random-baselines.json").read_text())
    rows = {row[1]["value"]: row for row in table["rows"]}
    assert set(rows) == {"(itself)", "frozen-decoder", "untrained control"}
    keys = [head["key"] for head in table["header"]]
    for regime in LEVELS:
        column = keys.index(f"delta_{regime}")
        assert rows["frozen-decoder"][column]["value"] == pytest.approx(0.05)
        assert rows["untrained control"][column]["value"] == pytest.approx(0.15)
        assert rows["(itself)"][column]["value"] is None
    assert rows["(itself)"][keys.index("l0")]["value"] == 32.0
    assert rows["frozen-decoder"][1]["href"] == "submissions/ref-frozen.html"


def test_without_random_baselines_there_is_no_such_table(site: Path) -> None:
    assert not (site / "data" / "random-baselines.json").exists()
