"""Quiver of arrows: picks by validation AUC, ties under both protocols."""

from __future__ import annotations

import math

import pytest

from benchmark.results.comparisons import Scored, quiver

NAN = math.nan


def test_best_validation_wins_and_delta_is_the_test_difference() -> None:
    baselines = [Scored("logistic", 0.80, 0.70), Scored("knn", 0.75, 0.90)]
    sae = [Scored("sae_k16", 0.85, 0.72)]
    arrows = quiver(baselines, sae, "mean")
    assert arrows.baselines.methods == ("logistic",)
    assert arrows.with_sae.methods == ("sae_k16",)
    assert arrows.delta == pytest.approx(0.72 - 0.70)


def test_ties_take_the_mean_under_v1_and_the_sae_under_paper() -> None:
    baselines = [Scored("logistic", 0.9, 0.80)]
    sae = [Scored("sae_k16", 0.9, 0.60), Scored("sae_k128", 0.8, 0.99)]
    neutral = quiver(baselines, sae, "mean")
    assert neutral.with_sae.methods == ("logistic", "sae_k16")
    assert neutral.with_sae.test_auc == pytest.approx(0.70)
    favoured = quiver(baselines, sae, "sae")
    assert favoured.with_sae.methods == ("sae_k16",)
    assert favoured.delta == pytest.approx(0.60 - 0.80)


def test_unsearched_cells_tie_every_method() -> None:
    baselines = [Scored("logistic", NAN, 0.6), Scored("knn", NAN, 0.8)]
    sae = [Scored("sae_k16", NAN, 1.0)]
    arrows = quiver(baselines, sae, "mean")
    assert arrows.baselines.test_auc == pytest.approx(0.7)
    assert arrows.with_sae.test_auc == pytest.approx(0.8)
    assert quiver(baselines, sae, "sae").with_sae.test_auc == pytest.approx(1.0)


def test_missing_validation_becomes_nan() -> None:
    assert math.isnan(Scored.of("x", None, 0.5).val_auc)
