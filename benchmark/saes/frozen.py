"""The three trained random baselines of Korznikov et al. (2026), "Sanity Checks for Sparse
Autoencoders": an SAE trained exactly like its reference (SAELens's trainer, the same corpus,
width, token budget, seed and initialisation) under one constraint on its directions.

- ``frozen-decoder``: the decoder rows are drawn at random, from the activations' covariance (the
  paper's best initialisation), scaled to SAELens's initial norms, and never trained; the encoder
  starts as their transpose, as SAELens starts it, and is trained.
- ``soft-frozen-decoder``: SAELens's initial decoder, trained, but projected after every optimizer
  step back onto the cone cos(W_dec_j, W_dec_j at init) >= 0.8.
- ``frozen-encoder``: SAELens's initial encoder directions are never trained; biases, thresholds
  and the decoder are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from benchmark.saes.recipes import BASELINES

SOFT_MIN_COSINE = 0.8  # the paper's bound


@dataclass
class Constraint:
    """What a baseline changes: ``prepare`` the freshly initialised SAE, then ``attach`` to its
    trainer before it fits."""

    kind: str
    covariance: np.ndarray | None = None  # frozen-decoder: the activations' covariance
    seed: int = 0
    initial: torch.Tensor | None = field(default=None, repr=False)  # soft: the initial decoder

    def prepare(self, sae: Any) -> None:
        if self.kind == "frozen-decoder":
            with torch.no_grad():
                sae.W_dec.copy_(covariance_rows(self.covariance, sae.W_dec, self.seed))
                sae.W_enc.copy_(sae.W_dec.T)
            sae.W_dec.requires_grad_(False)
        elif self.kind == "frozen-encoder":
            sae.W_enc.requires_grad_(False)
        elif self.kind == "soft-frozen-decoder":
            self.initial = sae.W_dec.detach().clone()
        else:
            raise ValueError(f"unknown baseline {self.kind!r}; known: {', '.join(BASELINES)}")

    def attach(self, trainer: Any) -> None:
        if self.kind == "soft-frozen-decoder":
            initial, sae = self.initial, trainer.sae
            if initial is None:
                raise ValueError("prepare the SAE before attaching its soft-frozen constraint")

            def project(*_: object) -> None:
                with torch.no_grad():
                    sae.W_dec.copy_(onto_cone(sae.W_dec, initial, SOFT_MIN_COSINE))

            trainer.optimizer.register_step_post_hook(project)


def constraint_for(kind: str, activations: np.ndarray, seed: int) -> Constraint:
    """The baseline's constraint; ``frozen-decoder`` draws from ``activations``' covariance."""
    if kind not in BASELINES:
        raise ValueError(f"unknown baseline {kind!r}; known: {', '.join(BASELINES)}")
    covariance = np.cov(activations, rowvar=False) if kind == "frozen-decoder" else None
    return Constraint(kind, covariance, seed)


def covariance_rows(covariance: np.ndarray | None, like: torch.Tensor, seed: int) -> torch.Tensor:
    """Rows drawn from N(0, covariance) under ``seed``, each scaled to ``like``'s row norm."""
    if covariance is None:
        raise ValueError("frozen-decoder needs the activations' covariance")
    eigenvalues, vectors = np.linalg.eigh(covariance)
    root = vectors * np.sqrt(np.clip(eigenvalues, 0.0, None))  # root @ root.T == covariance
    draws = np.random.default_rng(seed).standard_normal(tuple(like.shape)) @ root.T
    rows = torch.from_numpy(draws).to(like.dtype)
    return rows / rows.norm(dim=1, keepdim=True) * like.detach().norm(dim=1, keepdim=True)


def onto_cone(rows: torch.Tensor, initial: torch.Tensor, min_cosine: float) -> torch.Tensor:
    """Each row whose cosine with its initial row is below ``min_cosine`` turned, in the plane
    of the two, to exactly ``min_cosine`` (its norm kept); the other rows as they are."""
    anchor = initial / initial.norm(dim=1, keepdim=True)
    norms = rows.norm(dim=1, keepdim=True)
    along = (rows * anchor).sum(dim=1, keepdim=True)
    cosine = along / norms.clamp_min(1e-12)
    across = rows - along * anchor
    across_norm = across.norm(dim=1, keepdim=True)
    # a row pointing straight against its anchor has no plane: it goes back onto the anchor
    side = torch.where(across_norm > 1e-12, across / across_norm.clamp_min(1e-12), 0.0)
    sine = (1.0 - min_cosine**2) ** 0.5
    bound = torch.where(across_norm > 1e-12, min_cosine * anchor + sine * side, anchor)
    return torch.where(cosine < min_cosine, norms * bound, rows)
