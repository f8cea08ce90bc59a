"""The built site in a real browser: Playwright drives Debian's Chromium (headless, no sandbox,
background networking off) over file:// URLs. Skipped only where Chromium is missing and
SAEPROBE_REQUIRE_BROWSER is unset; `.ci/run` installs Chromium and sets it."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmark.leaderboard.site import build_site
from benchmark.stats.settings import StatsSettings
from benchmark.synthetic.summary import TrackResults
from tests.leaderboard_fixtures import write_ranked_trio, write_submission
from tests.test_synthetic_page import RATES, RUNS

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SCREENSHOTS = Path(__file__).resolve().parents[1] / "test-output" / "leaderboard"
if CHROMIUM is None and not os.environ.get("SAEPROBE_REQUIRE_BROWSER"):
    pytest.skip("Chromium is not installed (apt-get install chromium)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("submissions")
    write_ranked_trio(root)
    out = tmp_path_factory.mktemp("build") / "site"
    return build_site(root, out, StatsSettings(resamples=1_000)).index


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    assert CHROMIUM is not None, "SAEPROBE_REQUIRE_BROWSER is set but Chromium is missing"
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-background-networking", "--disable-component-update",
                  "--no-first-run", "--disable-gpu"],
        )  # fmt: skip
        yield browser
        browser.close()


def column_texts(page: object, table: str, column: int) -> list[str]:
    return page.eval_on_selector_all(  # type: ignore[attr-defined]
        f"#{table} tbody tr:not([hidden]) td:nth-child({column})",
        "cells => cells.map(c => c.textContent.trim())",
    )


def test_sort_filter_follow_and_plots_without_console_errors(browser: object, index: Path) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(index.as_uri())

    # At a glance: the heatmap, coloured (blue above 0, red below), and both scatter plots.
    assert column_texts(page, "heatmap-table", 1) == ["good", "<script>alert(1)</script>", "weak"]
    fills = page.eval_on_selector_all(
        "#heatmap-table tbody tr",
        "rows => rows.map(r => [...r.querySelectorAll('td.heat')]"
        ".map(c => getComputedStyle(c).backgroundColor.match(/\\d+/g).map(Number)))",
    )
    assert [len(row) for row in fills] == [5, 5, 5]  # three submissions x five regimes
    assert all(blue > red for red, _, blue in fills[0])  # good beats the baselines: blue
    assert all(red > blue for red, _, blue in fills[2])  # weak loses to them: red
    assert page.get_attribute("#heatmap-table th:nth-child(2)", "title") == "higher is better"
    overview = page.eval_on_selector_all(
        "#overview img", "imgs => imgs.map(i => i.complete && i.naturalWidth > 0)"
    )
    assert overview == [True, True]  # score against L0, and against width

    names = column_texts(page, "ranking-table", 4)
    assert names == ["good", "<script>alert(1)</script>", "weak"]  # escaped, shown as text
    page.click("#ranking-table th:nth-child(10) button")  # Score, ascending
    assert column_texts(page, "ranking-table", 4) == names[::-1]
    page.click("#ranking-table th:nth-child(10) button")  # and descending
    assert column_texts(page, "ranking-table", 4) == names

    page.select_option(".filters[data-table='deltas-table'] select >> nth=0", "topk")
    architectures = column_texts(page, "deltas-table", 2)
    assert architectures and set(architectures) == {"topk"}
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "index.png"), full_page=True)

    page.click("#ranking-table a:text-is('good')")
    page.wait_for_url("**/submissions/good.html")  # and its load event: the images are in
    images = page.eval_on_selector_all(
        "figure img", "imgs => imgs.map(i => i.complete && i.naturalWidth > 0)"
    )
    assert len(images) == 4 and all(images)  # three curves and covariate shift
    page.screenshot(path=str(SCREENSHOTS / "submission.png"), full_page=True)

    # The compare page opens from the index's form (B picked before A: the pair is found).
    page.goto(index.as_uri())
    page.select_option("form.compare select[name=a]", "weak")
    page.select_option("form.compare select[name=b]", "good")
    page.click("form.compare button")
    page.wait_for_url("**/compare/good--weak.html")
    assert column_texts(page, "compare-good--weak-table", 1)[0] == "Normal"
    page.screenshot(path=str(SCREENSHOTS / "compare.png"), full_page=True)
    assert errors == []
    page.close()


def test_tables_read_without_javascript(browser: object, index: Path) -> None:
    context = browser.new_context(java_script_enabled=False)  # type: ignore[attr-defined]
    page = context.new_page()
    page.goto(index.as_uri())
    assert column_texts(page, "ranking-table", 4) == [
        "good", "<script>alert(1)</script>", "weak"
    ]  # fmt: skip
    assert page.eval_on_selector_all(".filters select", "s => s.length") == 0
    context.close()


@pytest.fixture(scope="module")
def sanity_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A reference with a random baseline, and the synthetic track's page."""
    root = tmp_path_factory.mktemp("sanity-submissions")
    write_submission(root, "ref", 0.85)
    link = {"of": "ref", "constraint": "frozen-encoder"}
    write_submission(root, "ref-frozen", 0.80, control_auc=None, random_baseline=link)
    out = tmp_path_factory.mktemp("sanity-build") / "site"
    results = TrackResults("0" * 64, RATES, RUNS)
    return build_site(root, out, StatsSettings(resamples=1_000), results).index


def test_random_baselines_and_the_synthetic_page_render(
    browser: object, sanity_index: Path
) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(sanity_index.as_uri())
    against = column_texts(page, "random-baselines-table", 2)
    assert against == ["(itself)", "frozen-encoder", "untrained control"]
    page.locator("#random-baselines-table").screenshot(path=str(SCREENSHOTS / "baselines.png"))
    page.click("nav >> text=Synthetic track")
    page.wait_for_url("**/synthetic.html")
    assert column_texts(page, "synthetic-metrics-table", 1) == ["topk", "<b>odd</b>"]
    width = page.eval_on_selector("figure img", "img => img.naturalWidth")
    assert width > 0  # the recovery plot loaded
    page.screenshot(path=str(SCREENSHOTS / "synthetic.png"), full_page=True)
    assert errors == []
    page.close()
