"""Baselines shared by protocols with equal baseline rules: a protocol that changes only the SAE
arm's rules adopts the baseline records another one made (relabelled, cells and scores
unchanged); one that changes a rule baselines depend on adopts nothing."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from benchmark.activations.catalog import ModelRef
from benchmark.protocols.protocol import Protocol, load_protocol
from benchmark.results.baselines import baseline_rules_hash, baselines_dir
from benchmark.results.store import load_record, load_scores
from tests.leaderboard_fixtures import make_cell, write_record

REF = ModelRef("smollm2-135m", Path(), "b" * 64)
HOOK = "blocks.15.hook_resid_post"
V1 = load_protocol("v1")


def sae_arm_change(protocol: Protocol) -> Protocol:
    """A protocol like ``protocol`` but for the SAE probe's iteration cap and its name."""
    probe = protocol.sae_probe.model_copy(update={"max_iter": 25})
    return protocol.model_copy(update={"name": "v9", "sae_probe": probe})


def baseline_change(protocol: Protocol) -> Protocol:
    selection = protocol.selection.model_copy(update={"holdout_fraction": 0.3})
    return protocol.model_copy(update={"name": "v9", "selection": selection})


def v1_baselines() -> Path:
    """Two v1 baseline records (normal, scarcity) with score sidecars in the cache."""
    folder = baselines_dir(REF, HOOK, V1)
    for regime, level in (("normal", None), ("scarcity", 4.0)):
        cell = make_cell("1_alpha", regime, level, 0.8)
        write_record(folder, "1_alpha", regime, [cell], V1.content_hash(), "baselines")
    return folder


def test_only_the_sae_arm_sections_leave_the_baseline_hash_unchanged() -> None:
    assert baseline_rules_hash(sae_arm_change(V1)) == baseline_rules_hash(V1)
    assert sae_arm_change(V1).content_hash() != V1.content_hash()
    assert baseline_rules_hash(baseline_change(V1)) != baseline_rules_hash(V1)
    assert baseline_rules_hash(load_protocol("paper")) != baseline_rules_hash(V1)


def test_a_protocol_changing_only_the_sae_arm_adopts_the_baselines() -> None:
    source = v1_baselines()
    v9 = sae_arm_change(V1)
    folder = baselines_dir(REF, HOOK, v9)
    assert folder.name == f"v9-{v9.content_hash()[:12]}" and folder != source
    originals = sorted(source.rglob("*.json"))
    assert len(originals) == 2
    for path in originals:
        adopted = folder / path.relative_to(source)
        record, original = load_record(adopted), load_record(path)
        assert record is not None and original is not None
        assert (record.protocol, record.protocol_hash) == ("v9", v9.content_hash())
        assert record.cells == original.cells and record.provenance == original.provenance
        ours, theirs = load_scores(adopted), load_scores(path)
        assert ours.keys() == theirs.keys() and ours
        assert all(np.array_equal(ours[key], theirs[key]) for key in ours)


def test_a_record_the_protocol_has_is_kept_and_later_ones_are_added() -> None:
    source = v1_baselines()
    v9 = sae_arm_change(V1)
    folder = baselines_dir(REF, HOOK, v9)
    mine = next(folder.rglob("normal.json"))
    edited = json.loads(mine.read_text())
    edited["cells"][0]["seconds"] = 123.0
    mine.write_text(json.dumps(edited, indent=1))
    cell = make_cell("1_alpha", "imbalance", 0.1, 0.8)
    write_record(source, "1_alpha", "imbalance", [cell], V1.content_hash(), "baselines")
    baselines_dir(REF, HOOK, v9)
    assert json.loads(mine.read_text())["cells"][0]["seconds"] == 123.0
    assert (mine.parent / "imbalance.json").is_file()


@pytest.mark.parametrize("other", [baseline_change, lambda p: load_protocol("paper")])
def test_other_baseline_rules_adopt_nothing(other: object) -> None:
    v1_baselines()
    protocol = other(V1)  # type: ignore[operator]
    assert not list(baselines_dir(REF, HOOK, protocol).rglob("*.json"))
