"""Statistics against hand-computed small cases and direct scipy / scikit-learn calls."""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pytest
from scipy import stats as scipy_stats
from sklearn.metrics import roc_auc_score

from benchmark.stats.bootstrap import bootstrap_p_value, dataset_bootstrap
from benchmark.stats.counts import win_tie_loss
from benchmark.stats.examples import auc_interval, rank_auc
from benchmark.stats.multiple import adjust, benjamini_hochberg, holm
from benchmark.stats.ranks import rank_entries
from benchmark.stats.settings import StatsSettings

SETTINGS = StatsSettings(resamples=20_000, seed=0)


def test_two_datasets_give_the_hand_computed_bootstrap_distribution() -> None:
    # Resampling {A: [1, 1, 1], B: [0]}: AA -> 1 (1/4), AB or BA -> 3/4 (1/2), BB -> 0 (1/4).
    estimate = dataset_bootstrap({"A": [1.0, 1.0, 1.0], "B": [0.0]}, SETTINGS)
    assert estimate.mean == 0.75
    assert (estimate.low, estimate.high) == (0.0, 1.0)
    assert (estimate.n_datasets, estimate.n_cells) == (2, 4)
    # P(draw <= 0) = 1/4, so the plain percentile test gives 2 * 1/4 = 1/2 (up to resampling
    # noise). The expanded test carries z(3/4) * sqrt(1/2) to t with 1 degree of freedom, the
    # Cauchy distribution: p = 1 - 2 atan(x) / pi.
    x = NormalDist().inv_cdf(0.75) * math.sqrt(1 / 2)
    assert bootstrap_p_value(np.array([0.0] * 25 + [1.0] * 75)) == pytest.approx(0.5, abs=0.02)
    assert estimate.p_value == pytest.approx(1 - 2 * math.atan(x) / math.pi, abs=0.02)


def test_cells_of_a_dataset_move_together() -> None:
    # Had cells been resampled alone, 4 cells of 1 and 1 of 0 would rarely give a mean of 0.
    estimate = dataset_bootstrap({"A": [1.0] * 4, "B": [0.0]}, SETTINGS)
    assert estimate.low == 0.0


def test_one_cell_per_dataset_matches_scipy_percentile_bootstrap() -> None:
    values = np.random.default_rng(1).normal(0.02, 0.05, size=30)
    ours = dataset_bootstrap({f"d{i}": [v] for i, v in enumerate(values)}, SETTINGS)
    theirs = scipy_stats.bootstrap(
        (values,), np.mean, n_resamples=20_000, method="percentile", random_state=2
    ).confidence_interval
    assert ours.mean == pytest.approx(values.mean())
    assert ours.low == pytest.approx(theirs.low, abs=0.002)
    assert ours.high == pytest.approx(theirs.high, abs=0.002)


def test_p_value_is_small_for_a_clear_effect_and_large_for_none() -> None:
    rng = np.random.default_rng(3)
    clear = dataset_bootstrap({f"d{i}": rng.normal(0.1, 0.02, 5) for i in range(20)}, SETTINGS)
    # The smallest p 20,000 resamples give: 2 / 20,001 plain, 0.0012 expanded on 20 datasets.
    assert clear.p_value < 0.0013 and clear.excludes_zero
    centred = rng.normal(0, 0.02, 40)
    none = dataset_bootstrap(
        {f"d{i}": [v - centred.mean()] for i, v in enumerate(centred)}, SETTINGS
    )
    assert none.p_value > 0.8 and not none.excludes_zero
    assert bootstrap_p_value(np.zeros(99)) == 1.0


def test_p_value_and_ci_agree_on_significance_with_few_datasets() -> None:
    # The p-value inverts the expanded interval: p < 0.05 exactly when the 95% CI excludes 0
    # (up to the percentiles' interpolation right at the boundary), once 4,000 resamples resolve
    # the interval's tails (about 0.1% each from 5 datasets on). Below that the interval's ends
    # are the extreme draws, which can exclude 0 while p, floored by the +1 correction, cannot
    # reach 0.05; a significant p never comes with a CI that contains 0.
    rng = np.random.default_rng(5)
    settings = StatsSettings(resamples=4_000, seed=0)
    significant = 0
    for trial in range(300):
        n = 2 + trial % 8
        values = rng.normal(rng.uniform(0, 0.06), 0.03, size=n)
        estimate = dataset_bootstrap({f"d{i}": [v] for i, v in enumerate(values)}, settings)
        significant += estimate.p_value < 0.05
        if 0.045 < estimate.p_value < 0.055:
            continue
        if estimate.p_value < 0.05:
            assert estimate.excludes_zero, (n, estimate)
        if n >= 5:
            assert (estimate.p_value < 0.05) == estimate.excludes_zero, (n, estimate)
    assert 30 < significant < 270  # both outcomes occur


def test_ci_covers_the_known_mean_in_at_least_93_percent_of_500_trials() -> None:
    # Ten such blocks of 500 (data seeds 100..109) covered 93.2% to 96.0%, mean 94.6%; the
    # plain percentile interval covered about 91%.
    rng = np.random.default_rng(100)
    settings = StatsSettings(resamples=2_000, seed=0)
    covered = 0
    for trial in range(500):
        by_dataset = {}
        for d in range(40):
            effect = rng.normal(0.01, 0.03)
            by_dataset[f"d{d}"] = effect + rng.normal(0, 0.05, rng.integers(5, 30))
        estimate = dataset_bootstrap(by_dataset, settings.model_copy(update={"seed": trial}))
        covered += estimate.low <= 0.01 <= estimate.high
    assert covered / 500 >= 0.93


def test_holm_matches_the_hand_computed_adjustment() -> None:
    # sorted 0.01, 0.03, 0.04 times 3, 2, 1 = 0.03, 0.06, 0.04 -> monotone 0.03, 0.06, 0.06
    assert holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    assert holm([0.5, 0.9]) == pytest.approx([1.0, 1.0])


def test_benjamini_hochberg_matches_scipy() -> None:
    p = np.random.default_rng(5).uniform(0, 0.2, 9)
    assert benjamini_hochberg(p) == pytest.approx(scipy_stats.false_discovery_control(p))
    assert adjust(p, "bh") == pytest.approx(scipy_stats.false_discovery_control(p))
    assert adjust([], "holm").size == 0


def test_win_tie_loss_counts_with_tolerance() -> None:
    counts = win_tie_loss([0.1, 0.0, 1e-12, -0.2, -0.3], tolerance=1e-9)
    assert (counts.wins, counts.ties, counts.losses) == (1, 2, 2)
    assert counts.display == "1/2/2"


def test_separated_entries_get_tight_ranks_and_their_own_groups() -> None:
    rng = np.random.default_rng(6)
    scores = {
        name: {f"d{i}": offset + rng.normal(0, 0.01) for i in range(25)}
        for name, offset in [("low", 0.0), ("mid", 0.1), ("high", 0.2)]
    }
    ranked = rank_entries(scores, SETTINGS)
    assert [r.entry for r in ranked] == ["high", "mid", "low"]
    assert [(r.rank, r.rank_low, r.rank_high, r.group) for r in ranked] == [
        (1, 1, 1, 1),
        (2, 2, 2, 2),
        (3, 3, 3, 3),
    ]


def test_indistinguishable_entries_share_a_group_and_a_wide_interval() -> None:
    rng = np.random.default_rng(7)
    base = rng.normal(0, 0.05, 20)
    noise = rng.normal(0, 0.03, 20)
    scores = {  # a and b differ per dataset but not on average (noise - its mean sums to 0)
        "a": {f"d{i}": v + 1e-4 for i, v in enumerate(base)},
        "b": {f"d{i}": v for i, v in enumerate(base + noise - noise.mean())},
        "far": {f"d{i}": v - 0.5 for i, v in enumerate(base)},
    }
    ranked = {r.entry: r for r in rank_entries(scores, SETTINGS)}
    assert ranked["a"].group == ranked["b"].group == 1
    assert (ranked["a"].rank_low, ranked["a"].rank_high) == (1, 2)
    assert (ranked["far"].rank_low, ranked["far"].rank_high, ranked["far"].group) == (3, 3, 2)


def test_ranks_use_only_the_datasets_every_entry_covers() -> None:
    ranked = rank_entries({"a": {"x": 1.0, "y": 0.0}, "b": {"x": 0.5}}, SETTINGS)
    assert [(r.entry, r.score, r.n_datasets) for r in ranked] == [("a", 1.0, 1), ("b", 0.5, 1)]


def test_rank_auc_matches_scikit_learn_with_ties() -> None:
    rng = np.random.default_rng(8)
    labels = rng.integers(0, 2, (5, 40))
    scores = np.round(rng.normal(size=(5, 40)) + labels, 1)  # rounding makes ties
    expected = [roc_auc_score(y, s) for y, s in zip(labels, scores, strict=True)]
    assert rank_auc(scores, labels) == pytest.approx(expected)


def test_auc_interval_holds_the_point_and_narrows_with_more_examples() -> None:
    rng = np.random.default_rng(9)

    def width(n: int) -> tuple[float, float, float]:
        labels = np.repeat([0, 1], n // 2)
        scores = labels + rng.normal(0, 1.5, n)
        low, high = auc_interval(scores, labels, SETTINGS)
        return low, roc_auc_score(labels, scores), high

    small, large = width(40), width(4000)
    assert small[0] < small[1] < small[2]
    assert large[0] < large[1] < large[2]
    assert large[2] - large[0] < (small[2] - small[0]) / 5
    with pytest.raises(ValueError, match="both classes"):
        auc_interval(np.ones(3), np.ones(3), SETTINGS)


def test_one_dataset_has_no_ci_and_no_p_value() -> None:
    estimate = dataset_bootstrap({"only": [0.1, 0.3]}, SETTINGS)
    assert estimate.mean == pytest.approx(0.2)
    assert np.isnan(estimate.low) and np.isnan(estimate.high) and np.isnan(estimate.p_value)
    assert not estimate.excludes_zero


def test_adjust_leaves_untestable_p_values_out() -> None:
    adjusted = adjust([0.01, float("nan"), 0.04], "holm")
    assert adjusted[0] == pytest.approx(0.02) and adjusted[2] == pytest.approx(0.04)
    assert np.isnan(adjusted[1])


def test_one_shared_dataset_leaves_ranks_unresolved() -> None:
    ranked = rank_entries({"a": {"x": 0.3}, "b": {"x": 0.1}, "c": {"x": 0.2}}, SETTINGS)
    assert [(r.entry, r.rank, r.rank_low, r.rank_high, r.group) for r in ranked] == [
        ("a", 1, 1, 3, 1),
        ("c", 2, 1, 3, 1),
        ("b", 3, 1, 3, 1),
    ]
