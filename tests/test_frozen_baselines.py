"""The sanity-check paper's trained random baselines: each constraint holds after SAELens's
trainer has run, for every reference architecture.

The training rows are +-1 vectors in 64 dimensions: every row's norm is exactly 8 = sqrt(d_in),
so the input scaling SAELens estimates and folds into the weights is exactly 1, and a frozen
tensor can be compared with its initial value bit for bit."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from benchmark.saes.frozen import constraint_for, covariance_rows, onto_cone
from benchmark.saes.recipes import BASELINES, Recipe, TrainingSettings, recipes
from benchmark.saes.train import train_sae, training_sae

D_IN, WIDTH, K = 64, 128, 4
SETTINGS = TrainingSettings(width=WIDTH, k=K, samples=40_960, batch_size=256, lr=3e-2, seed=3)


def toy_recipes() -> dict[str, Recipe]:
    """The reference recipes; JumpReLU's initial threshold lowered to fit these small inputs
    (at 1.5 nothing fires on them, so nothing trains, constrained or not)."""
    found = recipes(WIDTH, K)
    jumprelu = found["jumprelu"]
    settings = {**jumprelu.settings, "jumprelu_init_threshold": 0.05}
    return {**found, "jumprelu": replace(jumprelu, settings=settings)}


RECIPES = toy_recipes()
ARCHITECTURES = list(RECIPES)


@pytest.fixture(scope="module")
def rows() -> np.ndarray:
    signs = np.random.default_rng(0).standard_normal((4096, D_IN))
    signs[:, :8] += 2.0  # some structure: the first coordinates lean positive
    return np.sign(signs).astype(np.float32)


def initial(architecture: str) -> torch.nn.Module:
    """The SAE as SAELens initialises it under the training seed (as ``fit_sae`` builds it)."""
    torch.manual_seed(SETTINGS.seed)
    return training_sae(RECIPES[architecture], D_IN, WIDTH, "expected_average_only_in")


def trained(architecture: str, rows: np.ndarray, baseline: str | None) -> torch.nn.Module:
    torch.set_num_threads(1)
    return train_sae(RECIPES[architecture], rows, SETTINGS, baseline)


@pytest.mark.parametrize("architecture", ARCHITECTURES)
def test_a_frozen_encoder_is_its_initial_encoder_bit_for_bit(
    architecture: str, rows: np.ndarray
) -> None:
    start = initial(architecture)
    sae = trained(architecture, rows, "frozen-encoder")
    assert torch.equal(sae.W_enc, start.W_enc)
    assert not torch.equal(sae.W_dec, start.W_dec)  # the decoder did train


@pytest.mark.parametrize("architecture", ARCHITECTURES)
def test_a_frozen_decoder_is_its_covariance_draw_bit_for_bit(
    architecture: str, rows: np.ndarray
) -> None:
    start = initial(architecture)
    drawn = covariance_rows(np.cov(rows, rowvar=False), start.W_dec, SETTINGS.seed)
    sae = trained(architecture, rows, "frozen-decoder")
    assert torch.equal(sae.W_dec, drawn)
    assert not torch.equal(sae.W_enc, drawn.T)  # the encoder started as its transpose, and trained


@pytest.mark.parametrize("architecture", ["topk", "batchtopk", "matryoshka"])
def test_a_soft_frozen_decoder_stays_within_cosine_0_8_of_its_start(
    architecture: str, rows: np.ndarray
) -> None:
    start = initial(architecture).W_dec.detach()
    free = torch.nn.functional.cosine_similarity(trained(architecture, rows, None).W_dec, start)
    assert free.min() < 0.7  # unconstrained, some rows turn far away ...
    sae = trained(architecture, rows, "soft-frozen-decoder")
    cosines = torch.nn.functional.cosine_similarity(sae.W_dec, start)
    assert cosines.min() >= 0.8 - 1e-5  # ... constrained, none does,
    assert cosines.min() < 0.8 + 1e-3  # and the bound is reached


def test_onto_cone_turns_only_the_rows_past_the_bound() -> None:
    initial = torch.tensor([[1.0, 0.0], [1.0, 0.0], [2.0, 0.0], [0.0, 5.0]])
    rows = torch.tensor([[0.0, 2.0], [2.0, 0.1], [-3.0, 0.0], [0.6, -0.8]])
    found = onto_cone(rows, initial, 0.8)
    expected = torch.tensor([[1.6, 1.2], [2.0, 0.1], [3.0, 0.0], [0.6, 0.8]])
    assert torch.allclose(found, expected, atol=1e-6)


def test_covariance_rows_follow_the_covariance_at_the_given_norms() -> None:
    covariance = np.diag([100.0, 1.0, 1.0])
    like = torch.full((500, 3), 0.1)
    drawn = covariance_rows(covariance, like, 0)
    assert torch.allclose(drawn.norm(dim=1), like.norm(dim=1))
    assert (drawn[:, 0].abs() / drawn.norm(dim=1)).mean() > 0.9  # mostly along the wide axis
    assert torch.equal(drawn, covariance_rows(covariance, like, 0))  # fixed by its seed
    assert not torch.equal(drawn, covariance_rows(covariance, like, 1))


def test_an_unknown_baseline_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown baseline 'frozen-everything'"):
        constraint_for("frozen-everything", np.zeros((4, 2)), 0)
    assert BASELINES == ("frozen-decoder", "soft-frozen-decoder", "frozen-encoder")
