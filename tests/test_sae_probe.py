"""Latent ranking on a crafted case, and the SAE probe's use of training rows only."""

from __future__ import annotations

import numpy as np

from benchmark.probes.sae_probe import SAEProbe, rank_latents


def test_ranking_by_normalised_mean_difference_hand_computed() -> None:
    # latent 0 fires with magnitude 10 for both classes: normalised diff 0
    # latent 1 fires at 1.0 on positives only: normalised diff 1
    # latent 2 fires at 100 on half the positives and never on negatives: normalised diff 0.5
    # latent 3 fires at 2 on one positive and 4 on both negatives: magnitude 10/3, normalised
    #   rows 0.6, 0, 1.2, 1.2, so the class means are 0.3 and 1.2: diff -0.9
    latents = np.array(
        [
            [10, 1, 100, 2],
            [10, 1, 0, 0],
            [10, 0, 0, 4],
            [10, 0, 0, 4],
        ],
        dtype=float,
    )
    labels = np.array([1, 1, 0, 0])
    order = rank_latents(latents, labels)
    assert order.tolist() == [1, 3, 2, 0]


def test_ranking_ignores_rows_it_is_not_given() -> None:
    rng = np.random.default_rng(0)
    latents = np.abs(rng.normal(size=(40, 30))) * (rng.random((40, 30)) > 0.7)
    labels = np.array([0, 1] * 20)
    latents[:20, 5] += labels[:20] * 5.0  # informative only in the first half
    first_half = rank_latents(latents[:20], labels[:20])
    assert first_half[0] == 5
    probe = SAEProbe(k=1, C=1.0).fit(latents[:20], labels[:20])
    assert probe.latents_.tolist() == [5]


def test_fixed_latents_override_the_ranking() -> None:
    rng = np.random.default_rng(1)
    latents = rng.random((30, 10))
    labels = np.array([0, 1] * 15)
    probe = SAEProbe(k=2, fixed_latents=(7, 3, 1)).fit(latents, labels)
    assert probe.latents_.tolist() == [7, 3]
