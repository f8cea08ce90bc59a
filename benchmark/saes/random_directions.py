"""The random control's encoder directions: a seeded standard-normal draw the shape of the
encoder, each column scaled to the original latent's norm, all in float64 and rounded into the
float32 weights in place.

The numbers are those of one ``torch.randn(W.shape, dtype=float64)`` draw and of ``norm(dim=0)``
over whole columns. A wide SAE's draw is made one block of columns at a time, so no float64
array of the encoder's size ever exists (1.2 GB at 262,144 latents and d_in 576): each block
replays the generator's stream row by row, keeping its own columns. The values are the same
because torch's CPU normal sampler turns its uniforms into normals 16 at a time from the first
element, and every replayed chunk but the last starts at a multiple of 16 (the last also holds
the draw's tail, which the sampler redraws); a column's norm reduces its d_in values the same
way in any block at least two columns wide. Tests compare the blocks with the one-shot draw
on shapes that are and are not multiples of 16.
"""

from __future__ import annotations

import math

import torch

DRAW_BLOCK = 1 << 24
"""float64 values of a block of columns (128 MB); an encoder of at most this many values is
one block."""
REPLAY_CHUNK = 1 << 21
"""float64 values of a replayed chunk of rows (16 MB)."""


def randomize_encoder(W: torch.Tensor, seed: int) -> None:
    """Overwrite the encoder ``W`` [d_in, d_sae] with random directions of its column norms.
    One float64 block of columns and one chunk of rows are allocated for the whole draw."""
    d_in, d_sae = W.shape
    blocks = column_blocks(d_in, d_sae)
    chunks = row_chunks(d_in, d_sae)
    block = torch.empty((d_in, max(stop - start for start, stop in blocks)), dtype=torch.float64)
    chunk = torch.empty(max(last - first for first, last in chunks) * d_sae, dtype=torch.float64)
    for start, stop in blocks:
        columns = block[:, : stop - start]
        norms = columns.copy_(W[:, start:stop]).norm(dim=0)
        generator = torch.Generator().manual_seed(seed)
        for first, last in chunks:
            rows = chunk[: (last - first) * d_sae].view(last - first, d_sae)
            columns[first:last] = rows.normal_(generator=generator)[:, start:stop]
        columns *= (norms / columns.norm(dim=0)).unsqueeze(0)
        W[:, start:stop] = columns


def column_blocks(d_in: int, d_sae: int) -> list[tuple[int, int]]:
    """(start, stop) of blocks of about ``DRAW_BLOCK // d_in`` columns, none narrower than two
    (a lone column's norm may reduce in another order); one block if the encoder fits."""
    step = max(2, DRAW_BLOCK // d_in)
    starts = list(range(0, d_sae, step))
    if len(starts) > 1 and d_sae - starts[-1] < 2:
        starts.pop()
    return spans(starts, d_sae)


def row_chunks(d_in: int, d_sae: int) -> list[tuple[int, int]]:
    """(first, last) rows of each replayed chunk: about ``REPLAY_CHUNK`` values, a multiple of 16
    of them in every chunk but the last, which takes the remaining rows and at least 16 values
    (the sampler draws fewer one by one)."""
    aligned = 16 // math.gcd(d_sae, 16)  # rows whose values are a multiple of 16
    rows = max(aligned, REPLAY_CHUNK // d_sae // aligned * aligned)
    firsts = list(range(0, d_in, rows))
    if len(firsts) > 1 and (d_in - firsts[-1]) * d_sae < 16:
        firsts.pop()
    return spans(firsts, d_in)


def spans(starts: list[int], end: int) -> list[tuple[int, int]]:
    """(start, next start) pairs, the last ending at ``end``."""
    return list(zip(starts, [*starts[1:], end], strict=True))
