"""The synthetic track's summaries (recovery by firing rate, probing gaps) against hand-computed
values, and its leaderboard page: built from a results file, linked from every page, its
numbers the summaries', user strings escaped, a missing file refused."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from benchmark.cli.main import main
from benchmark.leaderboard.site import build_site
from benchmark.leaderboard.synthetic_page import synthetic_page
from benchmark.stats.settings import StatsSettings
from benchmark.synthetic.run import SyntheticRun
from benchmark.synthetic.scores import SyntheticScores
from benchmark.synthetic.summary import (
    TrackResults,
    load_results,
    metric_summary,
    probing_gaps,
    recovery_by_rate,
    seed_interval,
    write_results,
)
from benchmark.synthetic.track import TRACKS, load_track

SETTINGS = StatsSettings(resamples=100)


def scores(recovered: float) -> SyntheticScores:
    return SyntheticScores(recovered, 0.5, 0.4, 0.9, 24.0, 3, 12.0)


def task(feature: int, recovered: bool, sae: float, logistic: float, control: float) -> dict:
    regimes = {"scarcity": {"sae": sae, "logistic": logistic, "control": control}}
    return {
        "feature": feature,
        "rate": 0.1,
        "max_cosine": 0.9 if recovered else 0.3,
        "recovered": recovered,
        "regimes": regimes,
    }


def run(name: str, seed: int, cosines: list[float], tasks: list[dict]) -> SyntheticRun:
    return SyntheticRun(
        name, seed, scores(float(np.mean(np.array(cosines) > 0.8))), 10.0, tasks, cosines
    )


RATES = [0.01, 0.01, 0.1, 0.1]  # two bins at the ends of the range
SEED_0_TASKS = [task(2, True, 0.9, 0.8, 0.6), task(1, False, 0.7, 0.8, 0.7)]
SEED_1_TASKS = [task(2, True, 0.8, 0.8, 0.5), task(1, False, 0.6, 0.8, 0.6)]
RUNS = [
    run("topk", 0, [0.9, 0.1, 0.95, 0.85], SEED_0_TASKS),
    run("topk", 1, [0.1, 0.1, 0.95, 0.2], SEED_1_TASKS),
    run("<b>odd</b>", 0, [0.0, 0.0, 0.0, 0.0], []),
]


def test_recovery_by_rate_is_the_share_recovered_per_bin_and_seed() -> None:
    curve = recovery_by_rate(RUNS[:2], RATES, 0.8)
    assert len(curve.rates) == 2  # the empty bins between are left out
    assert curve.rates[0] == pytest.approx(0.01 * 10 ** (1 / 16))  # the first bin's centre
    assert curve.shares[0] == seed_interval([0.5, 0.0])  # seed 0 found 1 of 2, seed 1 none
    assert curve.shares[1] == seed_interval([1.0, 0.5])


def test_probing_gaps_pool_seeds_and_split_recovered_from_missed() -> None:
    gaps = {(g.comparison, g.tasks): g for g in probing_gaps(RUNS[:2])}
    expected = seed_interval([float(np.mean([0.1, -0.1])), float(np.mean([0.0, -0.2]))])
    found = gaps["logistic", "all"].interval
    assert (found.mean, found.low, found.high) == pytest.approx(
        (expected.mean, expected.low, expected.high)
    )
    assert gaps["logistic", "all"].count == 2
    assert gaps["logistic", "recovered"].interval.mean == pytest.approx(0.05)
    assert gaps["control", "missed"].interval.mean == pytest.approx(0.0)
    assert gaps["control", "recovered"].interval.mean == pytest.approx(0.3)
    assert {g.regime for g in gaps.values()} == {"scarcity"}


def test_a_results_file_reads_back_as_written(tmp_path: Path) -> None:
    path = tmp_path / "track.json"
    write_results(path, TrackResults("abc" * 4, RATES, RUNS))
    assert load_results(path) == TrackResults("abc" * 4, RATES, RUNS)
    raw = json.loads(path.read_text())
    assert raw["summary"]["topk"]["recovered"]["mean"] == pytest.approx(0.5)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("synthetic-site")
    results = TrackResults("0123456789abcdef", RATES, RUNS)
    build_site(folder / "none", folder / "site", SETTINGS, results)
    return folder / "site"


def test_the_page_shows_the_summaries_and_is_linked_from_every_page(site: Path) -> None:
    assert 'href="synthetic.html">Synthetic track</a>' in (site / "index.html").read_text()
    assert 'href="synthetic.html">Synthetic track</a>' in (site / "methodology.html").read_text()
    metrics = json.loads((site / "data" / "synthetic-metrics.json").read_text())
    topk = next(row for row in metrics["rows"] if row[0]["value"] == "topk")
    expected = metric_summary(RUNS[:2])["recovered"]
    recovered = topk[2]
    assert recovered["value"] == pytest.approx(expected.mean)
    assert recovered["ci"] == pytest.approx([expected.low, expected.high])
    probing = json.loads((site / "data" / "synthetic-probing.json").read_text())
    assert [row[1]["value"] for row in probing["rows"]] == ["scarcity"]  # "odd" has no tasks
    assert (site / "plots" / "synthetic-recovery.svg").read_text().startswith("<?xml")


def test_user_strings_on_the_page_are_escaped(site: Path) -> None:
    html = (site / "synthetic.html").read_text()
    assert "<b>odd</b>" not in html and "&lt;b&gt;odd&lt;/b&gt;" in html
    assert "matches none of this harness's track files" in html  # the results' hash is made up


def test_results_of_an_earlier_track_are_shown_under_its_rules() -> None:
    first = load_track(TRACKS[1])
    page = synthetic_page(TrackResults(first.content_hash(), RATES, RUNS))
    assert page.extra["track_text"] == TRACKS[1].read_text(encoding="utf-8")
    assert (page.extra["track_name"], page.extra["current"]) == ("track-v1.yaml", False)
    assert page.extra["threshold"] == first.scoring.recovery_cosine
    current = synthetic_page(TrackResults(load_track().content_hash(), RATES, RUNS))
    assert (current.extra["track_name"], current.extra["current"]) == ("track-v2.yaml", True)


def test_a_missing_results_file_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "leaderboard",
            "build",
            "--out",
            str(tmp_path / "site"),
            "--synthetic",
            str(tmp_path / "absent.json"),
        ]
    )
    assert code == 1
    assert "absent.json: no such file" in capsys.readouterr().err
    assert not (tmp_path / "site").exists()
