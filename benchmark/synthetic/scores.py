"""How well an SAE recovers the track's known features.

- ``recovered``: the share of true features that some decoder row points at with cosine above
  the track's threshold (0.8, the sanity-check paper's criterion);
- ``mcc``: the mean |cosine| of a one-to-one (Hungarian) matching of decoder rows to features;
- ``f1``: each latent as a detector of its best-matching feature's firing, mean F1;
- explained variance, L0, dead latents, and the true L0, on rows generated under the track's
  scoring seed (the same rows for every SAE).

All but ``recovered`` come from ``sae_lens.synthetic.eval_sae_on_synthetic_data``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import torch

from benchmark.synthetic.track import ScoringRules


@dataclass(frozen=True)
class SyntheticScores:
    recovered: float
    mcc: float
    f1: float
    explained_variance: float
    l0: float
    dead_latents: int
    true_l0: float

    def as_dict(self) -> dict[str, float]:
        return {key: float(value) for key, value in asdict(self).items()}


METRICS = tuple(SyntheticScores.__dataclass_fields__)


def best_cosines(decoder: torch.Tensor, features: torch.Tensor) -> torch.Tensor:
    """For each ``features`` row ([n, d]), the largest cosine similarity of any ``decoder`` row
    ([latents, d]) to it (signed: a latent reads its direction)."""
    decoder = torch.nn.functional.normalize(decoder.detach().float(), dim=1)
    features = torch.nn.functional.normalize(features.detach().float(), dim=1)
    return (features @ decoder.T).max(dim=1).values


def recovered_fraction(decoder: torch.Tensor, features: torch.Tensor, threshold: float) -> float:
    """The share of features that some decoder row points at with cosine above ``threshold``."""
    return float((best_cosines(decoder, features) > threshold).float().mean())


def score_sae(sae: Any, model: Any, rules: ScoringRules) -> SyntheticScores:
    """Score a (training or inference) SAELens SAE against the ground-truth ``model``."""
    from sae_lens.synthetic import eval_sae_on_synthetic_data

    with torch.random.fork_rng():
        torch.manual_seed(rules.seed)
        result = eval_sae_on_synthetic_data(
            sae, model.feature_dict, model.activation_generator, rules.samples, rules.batch_size
        )
    features = model.feature_dict.feature_vectors
    return SyntheticScores(
        recovered=recovered_fraction(sae.W_dec, features, rules.recovery_cosine),
        mcc=result.mcc,
        f1=result.classification.f1_score,
        explained_variance=result.explained_variance,
        l0=result.sae_l0,
        dead_latents=result.dead_latents,
        true_l0=result.true_l0,
    )


def feature_rates(model: Any, rules: ScoringRules) -> list[float]:
    """Each true feature's firing rate on the scoring rows (drawn under the scoring seed, in
    batches): the rate at which it fires where SAEs are scored, hierarchy and correlation
    included."""
    fired = torch.zeros(model.feature_dict.feature_vectors.shape[0])
    with torch.random.fork_rng():
        torch.manual_seed(rules.seed)
        for start in range(0, rules.samples, rules.batch_size):
            _, features = model.sample_with_features(min(rules.batch_size, rules.samples - start))
            fired += (features > 0).float().sum(dim=0)
    return (fired / rules.samples).tolist()
