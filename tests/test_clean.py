"""Cleaning on crafted duplicates and conflicts, and the reproduction of the paper's split."""

from __future__ import annotations

import numpy as np

from datasets_registry.clean import clean_indices, original_split_leak, paper_normal_split
from datasets_registry.load import load_labeled
from datasets_registry.spec import get_spec, normal_test_rows, paper_rule_test_rows


def test_duplicates_keep_the_first_copy_and_conflicts_drop_every_copy() -> None:
    prompts = ["a", "b", "a", "c", "b", "d", "c", "a"]
    labels = np.array([1, 0, 1, 1, 1, 0, 1, 1])  # b conflicts (0 then 1)
    keep, counts = clean_indices(prompts, labels)
    assert keep.tolist() == [0, 3, 5]  # first a, first c, d
    assert counts.n_rows == 8 and counts.n_rows_clean == 3
    assert counts.conflicting_prompts == 1 and counts.conflict_rows_removed == 2
    assert counts.duplicate_rows_removed == 3  # two extra a, one extra c
    assert counts.positives == 6 and counts.positives_clean == 2


def test_clean_data_has_unique_prompts() -> None:
    data = load_labeled(get_spec("130_temp_cat_Frequency"), clean=True)
    assert len(set(data.prompts)) == len(data) == 371


def test_paper_split_is_balanced_disjoint_and_sized_like_the_original() -> None:
    labels = np.array([0, 1] * 600)
    train, test = paper_normal_split(labels)
    assert len(train) == 1024 and len(test) == 1200 - 1024 - 1
    assert not set(train) & set(test)
    assert labels[train].sum() == 512


def test_leak_counts_test_rows_whose_prompt_is_in_train() -> None:
    prompts = ["same"] * 600 + [f"p{i}" for i in range(600)]
    labels = np.array([0, 1] * 600)
    leak = original_split_leak(prompts, labels)
    rng_train, rng_test = paper_normal_split(labels)
    in_train = {prompts[i] for i in rng_train}
    assert leak.leaked_test_rows == sum(prompts[i] in in_train for i in rng_test)
    assert leak.leaked_test_rows > 0


def test_normal_test_rows_hand_computed() -> None:
    assert normal_test_rows(1200, 600) == 1200 - 1024
    assert normal_test_rows(1000, 300) == 100  # balanced pool 600: train 500, test 100
    assert normal_test_rows(3000, 1000) == 2000 - 1024
    assert normal_test_rows(150, 75) == 100  # train 50
    assert normal_test_rows(80, 40) == 80  # no room to train: flagged small elsewhere


def test_paper_rule_ignores_imbalance() -> None:
    assert paper_rule_test_rows(1200, 600) == 2 * (600 - 512)
    assert paper_rule_test_rows(1000, 300) == 0  # 450 positives needed for a 900-row train
