"""Regime index properties: sizes, ratios, exact noise counts, clean tests, disjointness, and
identical rows across arms and methods."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from benchmark.errors import SaeprobeError
from benchmark.protocols.protocol import load_protocol
from benchmark.regimes.cells import CellSplit
from benchmark.regimes.generate import dataset_cells, parse_regimes
from benchmark.regimes.imbalance import imbalance_sizes
from datasets_registry.rows import LabeledPrompts

V1 = load_protocol("v1")


def make_data(n_pos: int, n_neg: int, name: str = "1_synthetic") -> LabeledPrompts:
    labels = np.array([1] * n_pos + [0] * n_neg)
    order = np.random.default_rng(7).permutation(len(labels))
    labels = labels[order]
    prompts = [f"prompt {i}" for i in range(len(labels))]
    return LabeledPrompts(name, "main", prompts, labels, np.arange(len(labels)))


def make_ood(data: LabeledPrompts, shared: int) -> LabeledPrompts:
    prompts = [*data.prompts[:shared], *[f"ood {i}" for i in range(200 - shared)]]
    labels = np.array([i % 2 for i in range(200)])
    return LabeledPrompts(data.dataset_id, "ood", prompts, labels, np.arange(200))


def cells(data: LabeledPrompts, regime: str, ood: LabeledPrompts | None = None) -> list[CellSplit]:
    return dataset_cells(data, ood, V1, parse_regimes([regime]))


@pytest.mark.parametrize(("n_pos", "n_neg"), [(750, 750), (900, 400), (150, 90)])
def test_normal_split_is_balanced_sized_from_the_balanced_pool(n_pos: int, n_neg: int) -> None:
    data = make_data(n_pos, n_neg)
    (split,) = cells(data, "normal")
    pool = 2 * min(n_pos, n_neg)
    assert len(split.train) == min(pool - 100, 1024)
    assert split.train_labels.sum() == (len(split.train) + 1) // 2
    assert len(split.test) == pool - len(split.train) >= 100
    assert split.test_labels.sum() * 2 == len(split.test)
    assert not np.intersect1d(split.train, split.test).size
    np.testing.assert_array_equal(split.train_labels, data.labels[split.train])


def test_scarcity_levels_are_nested_and_share_the_normal_test_set() -> None:
    data = make_data(400, 400)
    (normal,) = cells(data, "normal")
    levels = cells(data, "scarcity")
    sizes = [int(c.cell.level) for c in levels]  # type: ignore[arg-type]
    assert sizes == [s for s in V1.regimes.scarcity.train_sizes if s <= 700]
    for small, large in itertools.pairwise(levels):
        assert set(small.train) <= set(large.train)
    for split in levels:
        assert len(split.train) == int(split.cell.level)  # type: ignore[arg-type]
        assert abs(2 * split.train_labels.sum() - len(split.train)) <= 1
        np.testing.assert_array_equal(split.test, normal.test)


def test_imbalance_matches_the_fraction_in_train_and_test() -> None:
    data = make_data(1200, 1000)
    n_train, n_test = imbalance_sizes(
        1200, 1000, V1.regimes.imbalance.positive_fractions, 100, 1024
    )
    levels = cells(data, "imbalance")
    assert len(levels) == 19
    for split in levels:
        fraction = split.cell.level
        assert (len(split.train), len(split.test)) == (n_train, n_test)
        assert split.train_labels.sum() == min(max(round(fraction * n_train), 1), n_train - 1)
        assert split.test_labels.sum() == min(max(round(fraction * n_test), 1), n_test - 1)
        assert not np.intersect1d(split.train, split.test).size


def test_imbalance_sizes_hand_computed() -> None:
    # pool = floor(min(1000 / 0.95, 1200 / 0.95)) = 1052: train 952, test 100
    assert imbalance_sizes(1200, 1000, [0.05, 0.95], 100, 1024) == (952, 100)


def test_label_noise_flips_exactly_and_keeps_the_test_clean() -> None:
    data = make_data(600, 600)
    (normal,) = cells(data, "normal")
    for split in cells(data, "label_noise"):
        flipped = int((split.train_labels != data.labels[split.train]).sum())
        assert flipped == int(np.floor(split.cell.level * len(split.train) + 1e-9))  # type: ignore[operator]
        np.testing.assert_array_equal(split.train, normal.train)
        np.testing.assert_array_equal(split.test_labels, data.labels[split.test])


def test_covariate_shift_trains_on_the_normal_rows_and_drops_overlapping_prompts() -> None:
    data = make_data(600, 600)
    ood = make_ood(data, shared=30)
    (normal,) = cells(data, "normal")
    (split,) = cells(data, "covariate_shift", ood)
    np.testing.assert_array_equal(split.train, normal.train)
    assert split.test_split == "ood"
    train_prompts = {data.prompts[i] for i in split.train}
    assert not any(ood.prompts[i] in train_prompts for i in split.test)
    assert len(split.test) == 200 - len(train_prompts & set(ood.prompts[:30]))
    assert cells(data, "covariate_shift", None) == []


def test_cells_are_deterministic_and_seed_dependent() -> None:
    data = make_data(500, 500)
    first = dataset_cells(data, None, V1, parse_regimes(None))
    second = dataset_cells(data, None, V1, parse_regimes(None))
    assert [c.cell.key for c in first] == [c.cell.key for c in second]
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a.train, b.train)
        np.testing.assert_array_equal(a.train_labels, b.train_labels)
        np.testing.assert_array_equal(a.test, b.test)
    other_seed = V1.model_copy(update={"seeds": [1]})
    (moved,) = dataset_cells(data, None, other_seed, ["normal"])
    assert not np.array_equal(moved.train, first[0].train)


def test_no_cell_ever_tests_on_a_training_row() -> None:
    data = make_data(700, 500)
    for split in dataset_cells(data, make_ood(data, 10), V1, parse_regimes(None)):
        if split.test_split == "main":
            assert not np.intersect1d(split.train, split.test).size, split.cell.key


def test_unknown_regime_is_rejected() -> None:
    with pytest.raises(SaeprobeError, match="unknown regime"):
        parse_regimes(["normal", "noise"])
