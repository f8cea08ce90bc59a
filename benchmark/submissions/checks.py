"""Checks on a SAELens folder before any compute: safetensors only, the tensors the architecture
needs with the right shapes, d_in equal to the hook's width, finite weights, sane decoder norms.

The lesson of SAELens PR #608: a BatchTopK checkpoint that loaded without its threshold gave
wrong results without an error, so a missing tensor is a rejection, never a default.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from safetensors import SafetensorError, safe_open

from benchmark.errors import SaeprobeError
from benchmark.saes.cfg import WEIGHTS_FILE, Expected, SAECfg, expected_tensors, read_sae_cfg
from benchmark.submissions.manifest import SAVED_AS, Manifest

PICKLE_SUFFIXES = (".pt", ".pth", ".bin", ".pkl", ".pickle", ".ckpt", ".joblib", ".npy", ".npz")
DECODER_NORM_RANGE = (1e-3, 1e3)


class SubmissionError(SaeprobeError, ValueError):
    """A submission that fails a check; the message is one line naming the field or tensor."""


def check_sae_folder(
    folder: Path, manifest: Manifest, hook_width: int, cfg: SAECfg | None = None
) -> SAECfg:
    """Every static check; returns the cfg (read here unless the caller has read it).
    Raises ``SubmissionError`` at the first failure."""
    cfg = cfg or read_sae_cfg(folder)
    refuse_pickles(folder)
    saved_as = cfg.architecture
    if SAVED_AS[manifest.architecture] != saved_as:
        raise SubmissionError(
            f"architecture: the manifest says {manifest.architecture!r} (saved by SAELens as "
            f"{SAVED_AS[manifest.architecture]!r}) but cfg.json says {saved_as!r}"
        )
    dims = {"d_in": cfg.d_in, "d_sae": cfg.d_sae}
    if dims["d_in"] != hook_width:
        raise SubmissionError(
            f"d_in: the SAE reads {dims['d_in']} dimensions but {manifest.hook} of "
            f"{manifest.model} has {hook_width}"
        )
    if dims["d_sae"] != manifest.width:
        raise SubmissionError(
            f"width: the manifest says {manifest.width}, cfg.json d_sae {dims['d_sae']}"
        )
    tensors = read_tensors(folder / WEIGHTS_FILE)
    check_tensor_shapes(tensors, expected_tensors(saved_as), dims)
    for name, array in tensors.items():
        if not np.isfinite(array).all():
            raise SubmissionError(
                f"tensor {name}: {np.size(array) - np.isfinite(array).sum()} non-finite values"
            )
    check_decoder_norms(tensors["W_dec"])
    return cfg


def refuse_pickles(folder: Path) -> None:
    """Weights are read from safetensors only; a pickle beside them means a mistaken upload."""
    for path in sorted(folder.iterdir()):
        if path.suffix in PICKLE_SUFFIXES:
            raise SubmissionError(f"{path.name}: only safetensors weights are accepted")


def read_tensors(path: Path) -> dict[str, np.ndarray]:
    """The tensors of a safetensors file, as float32 numpy arrays (no pickle involved)."""
    if path.read_bytes()[:2] in (b"\x80\x02", b"\x80\x03", b"\x80\x04", b"\x80\x05", b"PK"):
        raise SubmissionError(f"{path.name}: a pickle (or zip) archive, not safetensors")
    try:
        with safe_open(str(path), framework="pt") as weights:
            return {name: weights.get_tensor(name).float().numpy() for name in weights.keys()}  # noqa: SIM118
    except (SafetensorError, OSError, ValueError) as error:
        raise SubmissionError(f"{path.name}: not a readable safetensors file ({error})") from error


def check_tensor_shapes(
    tensors: dict[str, np.ndarray], expected: tuple[Expected, ...], dims: dict[str, int]
) -> None:
    for item in expected:
        if item.name not in tensors:
            raise SubmissionError(f"tensor {item.name}: missing from {WEIGHTS_FILE}")
        shape = tuple(dims[axis] for axis in item.shape)
        if tuple(tensors[item.name].shape) != shape:
            raise SubmissionError(
                f"tensor {item.name}: shape {tuple(tensors[item.name].shape)}, expected {shape} "
                f"({' x '.join(item.shape)})"
            )


def check_decoder_norms(W_dec: np.ndarray) -> None:
    norms = np.linalg.norm(W_dec, axis=1)
    low, high = DECODER_NORM_RANGE
    bad = int(((norms < low) | (norms > high)).sum())
    if bad:
        raise SubmissionError(
            f"tensor W_dec: {bad} decoder rows have norms outside [{low:g}, {high:g}]"
        )
