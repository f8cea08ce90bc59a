"""What an SAE does on benchmark activations: mean L0 (active latents per input), explained
variance of its reconstruction, and each latent's firing rate."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from benchmark.saes.load import LoadedSAE


@dataclass(frozen=True)
class Measured:
    l0: float
    explained_variance: float
    rows: int


def sample_rows(arrays: Sequence[np.ndarray], limit: int, seed: int) -> np.ndarray:
    """At most ``limit`` rows drawn without replacement from the stacked arrays (float32)."""
    stacked = np.concatenate([np.asarray(a, np.float32) for a in arrays])
    if len(stacked) <= limit:
        return stacked
    chosen = np.sort(np.random.default_rng(seed).choice(len(stacked), limit, replace=False))
    return stacked[chosen]


def measure(sae: LoadedSAE, X: np.ndarray) -> Measured:
    latents = sae.encode(X)
    with torch.no_grad():
        decoded = sae.sae.decode(torch.from_numpy(latents).to(sae.sae.dtype)).float().numpy()
    residual = ((X - decoded) ** 2).sum()
    total = ((X - X.mean(axis=0)) ** 2).sum()
    return Measured(
        l0=float((latents != 0).sum(axis=1).mean()),
        explained_variance=float(1.0 - residual / total),
        rows=len(X),
    )


def firing_rates(sae: LoadedSAE, X: np.ndarray) -> np.ndarray:
    return np.asarray((sae.encode(X) != 0).mean(axis=0), np.float64)
