"""The control's random encoder directions, drawn in blocks of columns, must be the numbers of
one float64 draw of the encoder's shape scaled to its column norms (the draw every shipped
control was built with)."""

from __future__ import annotations

import pytest
import torch

import benchmark.saes.random_directions as random_directions
from benchmark.saes.random_directions import column_blocks, randomize_encoder, row_chunks


def one_shot(W: torch.Tensor, seed: int) -> torch.Tensor:
    """The reference: the whole draw at once, as controls were built before blocks."""
    norms = W.double().norm(dim=0)
    generator = torch.Generator().manual_seed(seed)
    random = torch.randn(W.shape, generator=generator, dtype=torch.float64)
    return (random * (norms / random.norm(dim=0)).unsqueeze(0)).float()


@pytest.mark.parametrize("shape", [(3, 7), (5, 33), (17, 101), (64, 48), (7, 1001), (2, 9)])
@pytest.mark.parametrize("block", [16, 40, 100, 1 << 24])
def test_blocks_of_columns_draw_the_one_shot_numbers(
    shape: tuple[int, int], block: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(random_directions, "DRAW_BLOCK", block)
    monkeypatch.setattr(random_directions, "REPLAY_CHUNK", block // 4)
    W = torch.randn(shape, generator=torch.Generator().manual_seed(5)) * 3
    expected = one_shot(W, seed=3)
    randomize_encoder(W, seed=3)
    assert torch.equal(W, expected)


def test_small_blocks_really_split_the_draw(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(random_directions, "DRAW_BLOCK", 40)
    monkeypatch.setattr(random_directions, "REPLAY_CHUNK", 10)
    blocks = column_blocks(17, 101)
    chunks = row_chunks(17, 101)
    assert len(blocks) == 50 and len(chunks) == 2  # 16 rows of 101 (a multiple of 16) and 1
    assert [start for start, _ in blocks[1:]] == [stop for _, stop in blocks[:-1]]
    assert blocks[0][0] == 0 and blocks[-1][1] == 101
    assert min(stop - start for start, stop in blocks) >= 2  # 101 = 49 blocks of 2 and one of 3
    assert chunks == [(0, 16), (16, 17)]


def test_a_short_tail_of_rows_joins_the_chunk_before(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fewer than 16 values are drawn one by one, not 16 at a time: the last chunk never is."""
    monkeypatch.setattr(random_directions, "REPLAY_CHUNK", 16)
    assert row_chunks(40, 3) == [(0, 16), (16, 32), (32, 40)]  # 24 values left
    assert row_chunks(33, 3) == [(0, 16), (16, 33)]  # 3 values left: joined
