"""The selection rule for each training-size band."""

from __future__ import annotations

import numpy as np
import pytest

from benchmark.protocols.protocol import load_protocol
from benchmark.selection import plan_validation, select_best

RULES = load_protocol("v1").selection


def labels_of(n: int) -> np.ndarray:
    return np.array([i % 2 for i in range(n)])


@pytest.mark.parametrize("n", [2, 3])
def test_tiny_training_sets_are_not_searched(n: int) -> None:
    assert plan_validation(labels_of(n), RULES, 0).strategy == "none"


@pytest.mark.parametrize("n", [4, 7, 12])
def test_leave_pair_out_holds_out_one_of_each_class(n: int) -> None:
    labels = labels_of(n)
    plan = plan_validation(labels, RULES, 0)
    assert plan.strategy == "leave_pair_out"
    n_pos = int(labels.sum())
    assert len(plan.folds) == n_pos * (n - n_pos)
    for fold in plan.folds:
        assert sorted(labels[fold.val].tolist()) == [0, 1]
        assert len(fold.fit) == n - 2 and not set(fold.fit) & set(fold.val)


@pytest.mark.parametrize("n", [13, 60, 127])
def test_stratified_six_fold(n: int) -> None:
    labels = labels_of(n)
    plan = plan_validation(labels, RULES, 0)
    assert plan.strategy == "kfold" and len(plan.folds) == 6
    covered = np.sort(np.concatenate([fold.val for fold in plan.folds]))
    np.testing.assert_array_equal(covered, np.arange(n))
    for fold in plan.folds:
        assert abs(labels[fold.val].mean() - 0.5) <= 0.2


@pytest.mark.parametrize(("n", "size"), [(128, 25), (400, 80), (1024, 100)])
def test_holdout_is_twenty_percent_capped_and_stratified(n: int, size: int) -> None:
    labels = labels_of(n)
    (fold,) = plan_validation(labels, RULES, 0).folds
    assert plan_validation(labels, RULES, 0).strategy == "holdout"
    assert len(fold.val) == size and len(fold.fit) == n - size
    assert abs(int(labels[fold.val].sum()) - size / 2) <= 1


def test_single_example_of_a_class_cannot_be_searched() -> None:
    labels = np.array([1] + [0] * 20)
    assert plan_validation(labels, RULES, 0).strategy == "none"


def test_select_best_takes_the_first_best_mean() -> None:
    aucs = np.array([[0.6, 0.8], [0.9, 0.7], [0.8, 0.8]])
    selection = select_best(aucs)
    assert selection.best == 1 and selection.val_auc == pytest.approx(0.8)
