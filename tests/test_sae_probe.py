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


def test_scaled_probe_is_liblinear_on_rms_scaled_latents() -> None:
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(2)
    latents = np.abs(rng.normal(size=(120, 12))) * (rng.random((120, 12)) > 0.5)
    latents *= np.logspace(-2, 3, 12)  # scales from 0.01 to 1,000, like a random control's
    labels = (latents[:, 3] / 10 + rng.normal(size=120) > 0.5).astype(int)
    probe = SAEProbe(k=12, C=0.5, scale=True).fit(latents, labels)
    kept = latents[:, probe.latents_]
    scaled = kept / np.sqrt((kept**2).mean(axis=0))
    reference = LogisticRegression(
        C=0.5, l1_ratio=1.0, solver="liblinear", intercept_scaling=1e4, max_iter=1000,
        random_state=0,
    ).fit(scaled, labels)  # fmt: skip
    np.testing.assert_allclose(
        probe.predict_proba(latents)[:, 1], reference.predict_proba(scaled)[:, 1], atol=1e-6
    )


def test_scaled_probe_does_not_depend_on_a_latents_scale() -> None:
    rng = np.random.default_rng(3)
    latents = np.abs(rng.normal(size=(100, 8))) * (rng.random((100, 8)) > 0.4)
    labels = (latents[:, 0] + rng.normal(size=100) > 0.8).astype(int)
    stretched = latents * np.array([1000.0, 1, 1, 0.001, 1, 1, 1, 1])
    scores = [
        SAEProbe(k=4, C=0.3, scale=True).fit(x, labels).predict_proba(x)[:, 1]
        for x in (latents, stretched)
    ]
    np.testing.assert_allclose(scores[0], scores[1], atol=1e-5)
    raw = [SAEProbe(k=4, C=0.3).fit(x, labels).predict_proba(x)[:, 1] for x in (latents, stretched)]
    assert np.abs(raw[0] - raw[1]).max() > 1e-3  # unscaled, the L1 penalty sees the stretch
