"""What an SAE does on benchmark activations: mean L0 (active latents per input), explained
variance of its reconstruction, the share of latents that never fire, and each latent's firing
rate."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from benchmark.saes.load import LoadedSAE, encode_batch


@dataclass(frozen=True)
class Measured:
    l0: float
    explained_variance: float
    rows: int
    dead_fraction: float  # latents that fire on none of the rows


def sample_rows(arrays: Sequence[np.ndarray], limit: int, seed: int) -> np.ndarray:
    """At most ``limit`` rows drawn without replacement from the stacked arrays (float32)."""
    stacked = np.concatenate([np.asarray(a, np.float32) for a in arrays])
    if len(stacked) <= limit:
        return stacked
    chosen = np.sort(np.random.default_rng(seed).choice(len(stacked), limit, replace=False))
    return stacked[chosen]


def measure(sae: LoadedSAE, X: np.ndarray) -> Measured:
    """L0, explained variance and dead latents, encoding in batches so that no more than one
    batch of latents is ever dense (a 4,096-row sample is one batch for SAEs up to 4,096
    latents)."""
    active, decoded = [], []
    fired = np.zeros(sae.d_sae, dtype=bool)
    for latents in latent_batches(sae, X):
        active.append((latents != 0).sum(axis=1))
        fired |= (latents != 0).any(axis=0)
        with torch.no_grad():
            restored = sae.sae.decode(torch.from_numpy(latents).to(sae.sae.dtype))
        decoded.append(restored.float().numpy())
    residual = ((X - np.concatenate(decoded)) ** 2).sum()
    total = ((X - X.mean(axis=0)) ** 2).sum()
    return Measured(
        l0=float(np.concatenate(active).mean()),
        explained_variance=float(1.0 - residual / total),
        rows=len(X),
        dead_fraction=float(1.0 - fired.mean()),
    )


def firing_rates(sae: LoadedSAE, X: np.ndarray) -> np.ndarray:
    """Each latent's share of rows on which it is non-zero, counted batch by batch."""
    counts = np.zeros(sae.d_sae, dtype=np.int64)
    for latents in latent_batches(sae, X):
        counts += (latents != 0).sum(axis=0)
    return counts / max(len(X), 1)


def latent_batches(sae: LoadedSAE, X: np.ndarray) -> Iterator[np.ndarray]:
    batch = encode_batch(sae.d_sae)
    for start in range(0, len(X), batch):
        yield sae.encode(X[start : start + batch], batch)
