"""Shipped baselines: ``saeprobe baselines ship`` writes the cached baseline records of a model and
hook as tables git holds, and every baselines lookup restores what the cache lacks from them,
bit for bit, after checking each record belongs where its id puts it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from benchmark.activations.catalog import ModelRef
from benchmark.activations.models import resolve_model
from benchmark.paths import cache_root
from benchmark.protocols.protocol import load_protocol
from benchmark.results.baselines import baselines_dir, ship_baselines, shipped_dir
from benchmark.results.store import load_record
from benchmark.results.summary import SummaryError, write_record_tables
from tests.leaderboard_fixtures import make_cell, write_record
from tests.test_cli import run
from tests.test_shared_baselines import HOOK, REF, V1, sae_arm_change, v1_baselines


@pytest.fixture(autouse=True)
def shipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A cache and a shipped folder of the test's own."""
    monkeypatch.setenv("SAEPROBE_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("SAEPROBE_BASELINES", str(tmp_path / "shipped"))
    return tmp_path / "shipped"


def cache_of(folder: Path) -> Path:
    """The model-and-hook folder holding a protocol's baselines folder."""
    return folder.parent


def texts(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): p.read_text() for p in folder.rglob("*.json")}


def test_shipped_records_are_restored_bit_for_bit_into_an_empty_cache() -> None:
    folder = v1_baselines()
    before = texts(folder)
    tables, records = ship_baselines(REF, HOOK)
    assert records == 2 and tables == shipped_dir(REF, HOOK)
    assert sorted(p.name for p in tables.iterdir()) == [
        "cells.parquet",
        "records.parquet",
        "scores.npz",
    ]
    shutil.rmtree(cache_of(folder))
    assert baselines_dir(REF, HOOK, V1) == folder
    assert texts(folder) == before


def test_a_cached_record_is_never_replaced_by_a_shipped_one() -> None:
    folder = v1_baselines()
    ship_baselines(REF, HOOK)
    mine = folder / next(iter(texts(folder)))
    edited = json.loads(mine.read_text())
    edited["cells"][0]["seconds"] = 123.0
    mine.write_text(json.dumps(edited, indent=1))
    baselines_dir(REF, HOOK, V1)
    assert json.loads(mine.read_text())["cells"][0]["seconds"] == 123.0


def test_shipping_keeps_the_shipped_records_the_cache_lacks() -> None:
    folder = v1_baselines()
    ship_baselines(REF, HOOK)
    shutil.rmtree(cache_of(folder))
    cell = make_cell("2_beta", "normal", None, 0.8)
    write_record(folder, "2_beta", "normal", [cell], V1.content_hash(), "baselines")
    _, records = ship_baselines(REF, HOOK)
    assert records == 3


def test_a_protocol_sharing_the_baseline_rules_adopts_the_shipped_records() -> None:
    folder = v1_baselines()
    ship_baselines(REF, HOOK)
    shutil.rmtree(cache_of(folder))
    v9 = sae_arm_change(V1)
    adopted = baselines_dir(REF, HOOK, v9)
    assert adopted.name == f"v9-{v9.content_hash()[:12]}"
    records = [load_record(path) for path in adopted.rglob("*.json")]
    assert len(records) == 2
    assert all(r is not None and r.protocol_hash == v9.content_hash() for r in records)


def test_records_adopted_by_an_equal_rules_protocol_ship_once_from_the_default() -> None:
    folder = v1_baselines()
    v2 = load_protocol("v2")
    adopted = baselines_dir(REF, HOOK, v2)
    assert len(texts(adopted)) == 2  # v2 adopted both of v1's records
    tables, records = ship_baselines(REF, HOOK)
    assert records == 2
    shutil.rmtree(cache_of(folder))
    assert baselines_dir(REF, HOOK, V1) == folder and len(texts(folder)) == 2
    assert len(texts(baselines_dir(REF, HOOK, v2))) == 2  # adopted again on lookup
    assert texts(tables.parent) == {}  # tables only, no record files


def tamper(record_id: str | None = None, ref: ModelRef = REF, hook: str = HOOK) -> None:
    """Ship the cache's two records with the first one's id replaced, or for another model or
    hook's folder."""
    folder = v1_baselines()
    parent = cache_of(folder)
    entries = []
    for path in sorted(folder.rglob("*.json")):
        record = load_record(path)
        assert record is not None
        record_id_of = path.relative_to(parent).with_suffix("").as_posix()
        entries.append((record_id if record_id and not entries else record_id_of, path, record))
    write_record_tables(entries, "baselines", shipped_dir(ref, hook))
    shutil.rmtree(parent)


@pytest.mark.parametrize(
    "record_id",
    [
        "../../../escaped/1_alpha/key/normal",  # leaves the cache folder
        f"v1-{V1.content_hash()[:12]}/2_beta/key/normal",  # another dataset
        f"v1-{V1.content_hash()[:12]}/1_alpha/key/imbalance",  # another regime
        f"paper-{load_protocol('paper').content_hash()[:12]}/1_alpha/key/normal",
    ],
)
def test_a_record_shipped_under_another_id_restores_nothing(record_id: str) -> None:
    tamper(record_id)
    with pytest.raises(SummaryError, match="is not a baseline record"):
        baselines_dir(REF, HOOK, V1)
    assert not list(cache_root().rglob("escaped")) and not list(cache_root().rglob("*.json"))


def test_records_of_another_model_or_hook_are_refused() -> None:
    tamper(hook="blocks.3.hook_resid_post")  # records of blocks.15 under blocks.3's folder
    with pytest.raises(SummaryError, match=r"blocks\.3\.hook_resid_post"):
        baselines_dir(REF, "blocks.3.hook_resid_post", V1)
    impostor = ModelRef("smollm2-135m", Path(), "e" * 64)  # same name, other weights
    tamper(ref=impostor)
    with pytest.raises(SummaryError):
        baselines_dir(impostor, HOOK, V1)


def test_baselines_ship_command(capsys: pytest.CaptureFixture[str], tiny_model_dir: Path) -> None:
    hook = "blocks.1.hook_resid_post"
    args = ("baselines", "ship", "--model", str(tiny_model_dir), "--hook", hook)
    code, out, err = run(capsys, *args)
    assert code != 0 and out == ""
    assert err.strip().count("\n") == 0 and "no cached baselines" in err
    folder = baselines_dir(resolve_model(str(tiny_model_dir)), hook, V1)
    cell = make_cell("1_alpha", "normal", None, 0.8)
    write_record(folder, "1_alpha", "normal", [cell], V1.content_hash(), "baselines")
    code, out, _ = run(capsys, *args, "--json")
    assert code == 0 and json.loads(out)["records"] == 1
    assert (Path(json.loads(out)["shipped"]) / "records.parquet").is_file()
