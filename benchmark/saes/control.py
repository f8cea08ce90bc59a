"""The random control of an SAE (after Korznikov et al., arXiv 2602.14111): the same architecture
and width, encoder directions drawn at random (seeded) with the original's column norms, and
the encoder bias (``b_gate`` for gated SAEs) recalibrated so that each latent fires as often on
benchmark activations as the original's does. The decoder is kept.

Latents of ReLU, JumpReLU and gated SAEs fire independently, so one quantile per latent matches
its rate exactly on the calibration rows; under TopK the latents compete for k slots, so the
biases are refined over a few rounds of measuring and correcting.
"""

from __future__ import annotations

import copy
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from benchmark.atomic_io import staging_folder
from benchmark.hashing import sha256_array
from benchmark.paths import cache_root
from benchmark.protocols.protocol import ControlRules
from benchmark.saes.cfg import WEIGHTS_FILE
from benchmark.saes.load import LoadedSAE, load_sae_folder, with_module
from benchmark.saes.measure import firing_rates
from benchmark.saes.random_directions import randomize_encoder

PROJECTION_BLOCK = 1 << 24  # projection values per block (64 MB of float32)
SORTED_IN_MEMORY = 1 << 30  # bytes of sorted projections held in memory; past it, on disk


def bias_name(sae: Any) -> str:
    return "b_gate" if hasattr(sae, "b_gate") else "b_enc"


def build_control(sae: LoadedSAE, X: np.ndarray, rules: ControlRules, out: Path) -> LoadedSAE:
    """Write the control of ``sae`` calibrated on rows ``X`` to ``out`` and load it back. The
    calibrated module and its sorted projections are freed before the load, so a wide SAE's
    weights are never held three times (at 262,144 latents a copy is 1.2 GB)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    calibrated_control(sae, X, rules, out.parent).save_model(out)
    return load_sae_folder(out)


def calibrated_control(sae: LoadedSAE, X: np.ndarray, rules: ControlRules, scratch: Path) -> Any:
    """A copy of the SAE's module with random encoder directions and biases calibrated to the
    SAE's firing rates on ``X`` (sorted projections past ``SORTED_IN_MEMORY`` go to a
    temporary folder in ``scratch``)."""
    target = firing_rates(sae, X)
    control = copy.deepcopy(sae.sae)
    with torch.no_grad(), tempfile.TemporaryDirectory(dir=scratch) as folder:
        randomize_encoder(control.W_enc, rules.seed)
        ordered = sorted_projections(control, X, Path(folder))
        set_biases(control, quantile_biases(control, ordered, target))
        if sae.architecture == "topk":
            refine_topk(control, sae, ordered, target, X, rules.topk_rounds)
    return control


def cached_control(sae: LoadedSAE, X: np.ndarray, rules: ControlRules) -> LoadedSAE:
    """The control under ``$SAEPROBE_CACHE/controls/``, keyed by the SAE's weights hash, the
    seed, the TopK rounds and the calibration rows; built in a staging folder and renamed, so a
    crash leaves no half-written control."""
    key = f"{sae.weights_hash[:16]}-seed{rules.seed}-r{rules.topk_rounds}-{sha256_array(X)[:12]}"
    folder = cache_root() / "controls" / key
    if (folder / WEIGHTS_FILE).is_file():
        return load_sae_folder(folder)
    with staging_folder(folder.parent) as staging:
        build_control(sae, X, rules, staging / "sae")
        (staging / "sae").rename(folder)
    return load_sae_folder(folder)


@dataclass(frozen=True)
class SortedProjections:
    """Each latent's projections sorted descending, ``n`` rows per latent: held in memory
    (``[n, d_sae]``) up to ``SORTED_IN_MEMORY`` bytes, else in a latent-major ``[d_sae, n]``
    file mapped one block of latents at a time, so memory never grows as rows x width."""

    n: int
    d_sae: int
    memory: np.ndarray | None = None
    path: Path | None = None

    def at(self, positions: np.ndarray) -> np.ndarray:
        """Latent i's value at sorted position ``positions[i]``, as float64."""
        if self.memory is not None:
            return self.memory[positions, np.arange(self.d_sae)].astype(np.float64)
        values = np.empty(self.d_sae, dtype=np.float64)
        for start, stop, block in self.blocks("r"):
            values[start:stop] = block[np.arange(stop - start), positions[start:stop]]
        return values

    def blocks(self, mode: str) -> Iterator[tuple[int, int, np.ndarray]]:
        """(start, stop, the file's rows for latents start..stop), each block unmapped after."""
        assert self.path is not None
        for start, stop in latent_blocks(self.n, self.d_sae):
            mapped = np.lib.format.open_memmap(self.path, mode=mode)
            yield start, stop, mapped[start:stop]
            mapped.flush()
            del mapped


def sorted_projections(sae: Any, X: np.ndarray, scratch: Path) -> SortedProjections:
    """Each latent's encoder input times its direction, before any bias, sorted descending per
    latent (float32: the product is float32, so keeping it so loses nothing). Computed in
    blocks of ``PROJECTION_BLOCK // N`` latents, so no float64 copy of rows x width is ever
    made (a reference SAE's 2,048 latents on 8,192 rows are one block; whether narrower blocks
    round like the full product depends on the CPU's BLAS kernels). Past ``SORTED_IN_MEMORY``
    bytes they are written to a file in ``scratch``, in the same blocks."""
    inputs = sae.process_sae_in(torch.from_numpy(np.asarray(X, np.float32)))
    n, d_sae = len(X), sae.W_enc.shape[1]

    def sorted_block(start: int, stop: int) -> np.ndarray:
        product = (inputs @ sae.W_enc[:, start:stop]).numpy()
        return -np.sort(-product, axis=0)

    if n * d_sae * 4 <= SORTED_IN_MEMORY:
        ordered = np.empty((n, d_sae), dtype=np.float32)
        for start, stop in latent_blocks(n, d_sae):
            ordered[:, start:stop] = sorted_block(start, stop)
        return SortedProjections(n, d_sae, memory=ordered)
    path = scratch / "sorted-projections.npy"
    np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(d_sae, n))
    on_disk = SortedProjections(n, d_sae, path=path)
    for start, stop, block in on_disk.blocks("r+"):
        block[:] = sorted_block(start, stop).T
    return on_disk


def latent_blocks(n: int, d_sae: int) -> Iterator[tuple[int, int]]:
    """(start, stop) of each block of ``PROJECTION_BLOCK // n`` latents (at least one)."""
    step = max(1, PROJECTION_BLOCK // max(n, 1))
    for start in range(0, d_sae, step):
        yield start, min(start + step, d_sae)


def firing_threshold(sae: Any) -> np.ndarray:
    """Where each latent's pre-activation starts to fire, in projection units."""
    d_sae = sae.W_enc.shape[1]
    threshold = sae.threshold.double().numpy() if hasattr(sae, "threshold") else np.zeros(d_sae)
    if getattr(sae.cfg, "rescale_acts_by_decoder_norm", False):
        threshold = threshold / sae.W_dec.double().norm(dim=1).numpy()
    return threshold


def quantile_biases(sae: Any, ordered: SortedProjections, rates: np.ndarray) -> np.ndarray:
    """Biases under which latent i fires on exactly round(rate_i * N) of the rows, from the
    projections sorted descending per latent (``sorted_projections``)."""
    n = ordered.n
    counts = np.clip(np.rint(rates * n).astype(int), 0, n)
    above = ordered.at(np.clip(counts - 1, 0, n - 1))
    below = ordered.at(np.clip(counts, 0, n - 1))
    top = ordered.at(np.zeros_like(counts))
    cut = np.where(counts == 0, top + 1.0, np.where(counts == n, below - 1.0, (above + below) / 2))
    return firing_threshold(sae) - cut


def set_biases(sae: Any, biases: np.ndarray) -> None:
    parameter = getattr(sae, bias_name(sae))
    parameter.copy_(torch.from_numpy(biases).to(parameter.dtype))


def refine_topk(
    control: Any,
    original: LoadedSAE,
    ordered: SortedProjections,
    target: np.ndarray,
    X: np.ndarray,
    rounds: int,
) -> None:
    """Under TopK a latent's rate also depends on the others: rescale each latent's quantile
    level by target / measured rate and recompute its bias, for a few rounds."""
    floor = 1.0 / len(X)
    level = target.copy()
    probe = with_module(original, control)
    for _ in range(rounds):
        measured = firing_rates(probe, X)
        level = np.clip(level * (target + floor) / (measured + floor), 0.0, 1.0)
        set_biases(control, quantile_biases(control, ordered, level))
