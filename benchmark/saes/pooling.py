"""SAE latents of every real token, pooled per prompt (max, or mean as a protocol option).

The tokens come from the all-token store, which holds no BOS and no padding, so neither can win
a max-pool. Tokens are encoded in chunks of whole prompts to bound memory.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from scipy import sparse

from benchmark.ragged import Ragged
from benchmark.saes.load import ENCODE_BUDGET, LoadedSAE, encode_batch

CHUNK_TOKENS = 8192


def pooled_latents(
    sae: LoadedSAE, tokens: Ragged, pooling: Literal["max", "mean"], chunk: int = CHUNK_TOKENS
) -> sparse.csr_matrix:
    """[prompts, d_sae] float32 CSR: each latent pooled over each prompt's real tokens. Chunks
    shrink for wide SAEs, so at most one chunk of token latents is ever dense."""
    lengths = tokens.lengths
    if len(lengths) and lengths.min() < 1:
        raise ValueError("every prompt needs at least one real token to pool")
    budget = min(chunk, max(1, ENCODE_BUDGET // sae.d_sae))
    parts = [sparse.csr_matrix((0, sae.d_sae), dtype=np.float32)]
    start = 0
    while start < len(tokens):
        stop = chunk_end(tokens.offsets, start, budget)
        rows = np.asarray(tokens.tokens[tokens.offsets[start] : tokens.offsets[stop]], np.float32)
        latents = sae.encode(rows, encode_batch(sae.d_sae))
        bounds = tokens.offsets[start:stop] - tokens.offsets[start]
        if pooling == "max":
            pooled = np.maximum.reduceat(latents, bounds, axis=0)
        else:
            pooled = np.add.reduceat(latents, bounds, axis=0) / lengths[start:stop, None]
        parts.append(sparse.csr_matrix(pooled.astype(np.float32)))
        start = stop
    return sparse.vstack(parts, format="csr")


def chunk_end(offsets: np.ndarray, start: int, budget: int) -> int:
    """The first prompt after ``start`` that would take the chunk past ``budget`` tokens (at
    least one prompt per chunk)."""
    limit = offsets[start] + budget
    end = int(np.searchsorted(offsets, limit, side="right")) - 1
    return max(end, start + 1)
