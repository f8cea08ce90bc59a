"""Checks on a SAELens folder before any compute: the strict cfg, safetensors only, exactly the
tensors SAELens's class of the architecture holds (none missing, none extra: SAELens would drop
an extra one silently), floating point, the right shapes, finite values, non-negative
thresholds, sane decoder norms, d_in equal to the hook's width and the cfg's hook equal to the
manifest's.

The lesson of SAELens PR #608: a BatchTopK checkpoint that loaded without its threshold gave
wrong results without an error, so a missing tensor is a rejection, never a default.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchmark.errors import SaeprobeError
from benchmark.saes.cfg import WEIGHTS_FILE, Expected, SAECfg, expected_tensors, read_sae_cfg
from benchmark.saes.weights import TensorEntry, read_header, tensor_blocks
from benchmark.submissions.manifest import SAVED_AS, Manifest

PICKLE_SUFFIXES = (".pt", ".pth", ".bin", ".pkl", ".pickle", ".ckpt", ".joblib", ".npy", ".npz")
DECODER_NORM_RANGE = (1e-3, 1e3)
VALUE_RULES: dict[str, tuple[str, Callable[[np.ndarray], np.ndarray]]] = {
    "threshold": ("negative", lambda values: values < 0),  # JumpReLU: a latent fires above it
}


class SubmissionError(SaeprobeError, ValueError):
    """A submission that fails a check; the message is one line naming the field or tensor."""


@dataclass(frozen=True)
class CheckedSAE:
    cfg: SAECfg
    weights_dtype: str  # as stored: float32, float16, bfloat16 or float64 (or several, joined)


def check_sae_folder(
    folder: Path, manifest: Manifest, hook_width: Callable[[], int], cfg: SAECfg | None = None
) -> CheckedSAE:
    """Every static check; raises at the first failure. ``cfg`` is the folder's cfg when the
    caller has read it already. ``hook_width()`` (which may resolve the model, writing its
    cache) is asked last, once the SAE itself has passed."""
    cfg = cfg or read_sae_cfg(folder)
    refuse_pickles(folder)
    check_cfg_against_manifest(cfg, manifest)
    weights_dtype = check_weights(folder, cfg)
    width = hook_width()
    if cfg.d_in != width:
        raise SubmissionError(
            f"d_in: the SAE reads {cfg.d_in} dimensions but {manifest.hook} of "
            f"{manifest.model} has {width}"
        )
    return CheckedSAE(cfg, weights_dtype)


def check_weights(folder: Path, cfg: SAECfg) -> str:
    """The weights against the cfg's architecture: exactly its tensors, with their shapes and
    sane values. Returns the dtype they are stored in. ``eval`` of a bare folder runs this too."""
    path = folder / WEIGHTS_FILE
    entries = read_header(path)
    check_tensor_table(entries, expected_tensors(cfg.architecture), cfg)
    for entry in entries.values():
        check_values(path, entry)
    return "+".join(sorted({entry.dtype_name for entry in entries.values()}))


def refuse_pickles(folder: Path) -> None:
    """Weights are read from safetensors only; a pickle beside them means a mistaken upload."""
    for path in sorted(folder.iterdir()):
        if path.suffix in PICKLE_SUFFIXES:
            raise SubmissionError(f"{path.name}: only safetensors weights are accepted")


def check_cfg_against_manifest(cfg: SAECfg, manifest: Manifest) -> None:
    if SAVED_AS[manifest.architecture] != cfg.architecture:
        raise SubmissionError(
            f"architecture: the manifest says {manifest.architecture!r} (saved by SAELens as "
            f"{SAVED_AS[manifest.architecture]!r}) but cfg.json says {cfg.architecture!r}"
        )
    if cfg.hook_name is not None and cfg.hook_name != manifest.hook:
        raise SubmissionError(
            f"hook: the submission reads {manifest.hook!r} but cfg.json's hook_name is "
            f"{cfg.hook_name!r}"
        )
    if cfg.d_sae != manifest.width:
        raise SubmissionError(
            f"width: the manifest says {manifest.width}, cfg.json d_sae {cfg.d_sae}"
        )


def check_tensor_table(
    entries: dict[str, TensorEntry], expected: tuple[Expected, ...], cfg: SAECfg
) -> None:
    """Exactly the expected tensors, each of its expected shape."""
    wanted = {item.name for item in expected}
    for name in sorted(set(entries) - wanted):
        raise SubmissionError(
            f"tensor {name}: not a tensor of SAELens's {cfg.architecture!r} SAE "
            f"(it holds {', '.join(sorted(wanted))})"
        )
    dims = {"d_in": cfg.d_in, "d_sae": cfg.d_sae}
    for item in expected:
        if item.name not in entries:
            raise SubmissionError(f"tensor {item.name}: missing from {WEIGHTS_FILE}")
        shape = tuple(dims[axis] for axis in item.shape)
        if entries[item.name].shape != shape:
            raise SubmissionError(
                f"tensor {item.name}: shape {entries[item.name].shape}, expected {shape} "
                f"({' x '.join(item.shape)})"
            )


def check_values(path: Path, entry: TensorEntry) -> None:
    """Finite values, the tensor's own range rule, and decoder row norms, block by block."""
    non_finite = bad = 0
    norms = []
    rule = VALUE_RULES.get(entry.name)
    for block in tensor_blocks(path, entry):
        non_finite += int(np.size(block) - np.isfinite(block).sum())
        if rule is not None:
            bad += int(rule[1](block).sum())
        if entry.name == "W_dec" and not non_finite:
            norms.append(np.linalg.norm(block, axis=1))
    if non_finite:
        raise SubmissionError(f"tensor {entry.name}: {non_finite} non-finite values")
    if rule is not None and bad:
        raise SubmissionError(f"tensor {entry.name}: {bad} {rule[0]} values")
    if norms:
        check_decoder_norms(np.concatenate(norms))


def check_decoder_norms(norms: np.ndarray) -> None:
    low, high = DECODER_NORM_RANGE
    bad = int(((norms < low) | (norms > high)).sum())
    if bad:
        raise SubmissionError(
            f"tensor W_dec: {bad} decoder rows have norms outside [{low:g}, {high:g}]"
        )
