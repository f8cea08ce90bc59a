"""Suites and protocols are data, validated and hashed."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError

from benchmark.protocols.protocol import Protocol, UnknownProtocolError, load_protocol
from benchmark.results.baselines import baseline_rules_hash
from datasets_registry.suites import UnknownSuiteError, balanced_subsample, get_suite


def test_demo_suite_spans_families_and_includes_ood_sets() -> None:
    specs = get_suite("demo").specs()
    assert 12 <= len(specs) <= 16
    assert len({spec.family for spec in specs}) >= 10
    assert sum(spec.ood is not None for spec in specs) >= 3
    assert all(spec.paper_rule_test_rows_clean >= 100 for spec in specs)


def test_full_suite_is_everything() -> None:
    assert len(get_suite("full").specs()) == 113


def test_unknown_suite() -> None:
    with pytest.raises(UnknownSuiteError, match="known suites"):
        get_suite("nope")


def test_balanced_subsample_is_balanced_seeded_and_sorted() -> None:
    labels = np.array([1] * 300 + [0] * 900)
    picked = balanced_subsample(labels, 400, seed=0)
    assert len(picked) == 400 and labels[picked].sum() == 200
    assert picked.tolist() == sorted(picked.tolist())
    assert np.array_equal(picked, balanced_subsample(labels, 400, seed=0))
    short = balanced_subsample(labels, 800, seed=0)  # only 300 positives: fill with negatives
    assert len(short) == 800 and labels[short].sum() == 300


def test_protocols_load_and_hash_differently() -> None:
    v1, paper = load_protocol("v1"), load_protocol("paper")
    assert v1.clean and not paper.clean
    assert v1.content_hash() != paper.content_hash()
    assert v1.content_hash() == load_protocol("v1").content_hash()


def test_v2_changes_only_the_sae_probes_grid_and_iteration_cap() -> None:
    v1, v2 = load_protocol("v1"), load_protocol("v2")
    first, second = v1.model_dump(), v2.model_dump()
    changed = {key for key in first if first[key] != second[key]}
    assert changed == {"name", "description", "sae_probe"}
    probe_changes = {
        key for key in first["sae_probe"] if first["sae_probe"][key] != second["sae_probe"][key]
    }
    assert probe_changes == {"C", "max_iter"} and v2.sae_probe.max_iter == 25
    assert [c for c in v1.sae_probe.C if c <= 46.42] == v2.sae_probe.C  # v1's, from 46.4 down
    assert baseline_rules_hash(v2) == baseline_rules_hash(v1)  # v2 adopts v1's baselines


def test_v3_is_v1_on_cells_of_at_most_127_rows_and_v2_above() -> None:
    v1, v2, v3 = load_protocol("v1"), load_protocol("v2"), load_protocol("v3")
    second, third = v2.model_dump(), v3.model_dump()
    assert {key for key in second if second[key] != third[key]} == {
        "name",
        "description",
        "sae_probe",
    }
    assert v3.sae_probe.model_copy(update={"small_train": None}) == v2.sae_probe
    assert v3.sae_probe.for_rows(127) == v1.sae_probe  # small cells: v1's SAE probe, whole
    assert v3.sae_probe.for_rows(2) == v1.sae_probe
    assert v3.sae_probe.for_rows(128) is v3.sae_probe and v3.sae_probe.C == v2.sae_probe.C
    assert v3.sae_probe.small_train is not None
    assert v3.sae_probe.small_train.max_rows == v3.selection.kfold_max  # the k-fold band's end
    assert baseline_rules_hash(v3) == baseline_rules_hash(v1)  # v3 adopts v1's baselines


def test_added_rules_leave_the_older_protocols_hashes_alone() -> None:
    # the hashes the shipped v1 records and the measured v2 costs carry, from before small_train
    assert load_protocol("v1").content_hash().startswith("c578c5b31996")
    assert load_protocol("v2").content_hash().startswith("50a6a65e4b89")
    assert "small_train" not in load_protocol("v2").model_dump_json()


def test_protocol_rejects_unknown_keys_and_names() -> None:
    body = load_protocol("v1").model_dump()
    with pytest.raises(ValidationError):
        Protocol.model_validate({**body, "typo_field": 1})
    with pytest.raises(UnknownProtocolError):
        load_protocol("v9")
