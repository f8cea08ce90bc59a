"""The one reader of a SAELens folder's ``cfg.json``, and the tensors each architecture needs.

Submit, validate, eval and the random control all read a folder's cfg here, once per journey.
Unknown keys are ignored (SAELens adds keys between releases); the few the benchmark needs are
typed and checked. The expected tensors of an architecture come from SAELens's own registered
class: a tiny instance is built and its state dict read, so a new SAELens tensor is never missed
by a hand-written list.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from benchmark.errors import SaeprobeError

CFG_FILE = "cfg.json"
WEIGHTS_FILE = "sae_weights.safetensors"
PROBE_DIMS = {"d_in": 2, "d_sae": 3}  # distinct sizes, so each axis names its dimension


class SAELoadError(SaeprobeError, ValueError):
    """A folder that is not a readable SAELens SAE; the message is one line."""


class SAECfg(BaseModel):
    """What the benchmark reads of a SAELens cfg: widths, architecture and hook."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    d_in: int = Field(ge=1, strict=True)
    d_sae: int = Field(ge=1, strict=True)
    architecture: str = "standard"
    hook_name: str | None = None


def read_sae_cfg(folder: Path) -> SAECfg:
    """The folder's cfg, checked: both files present, valid JSON, positive integer widths."""
    for name in (CFG_FILE, WEIGHTS_FILE):
        if not (folder / name).is_file():
            raise SAELoadError(f"{name}: missing from {folder}")
    raw = parse_json(folder / CFG_FILE)
    hook = (raw.get("metadata") or {}).get("hook_name") or raw.get("hook_name")
    try:
        return SAECfg.model_validate({**raw, "hook_name": hook})
    except ValidationError as error:
        where = ".".join(str(part) for part in error.errors()[0]["loc"])
        raise SAELoadError(f"{CFG_FILE}: {where} must be a positive integer") from error


def parse_json(path: Path) -> dict[str, Any]:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise SAELoadError(f"{CFG_FILE}: not valid JSON ({error})") from error
    if not isinstance(raw, dict):
        raise SAELoadError(f"{CFG_FILE}: not a JSON object")
    return raw


@dataclass(frozen=True)
class Expected:
    name: str
    shape: tuple[str, ...]  # in terms of "d_in" and "d_sae"


@functools.cache
def expected_tensors(architecture: str) -> tuple[Expected, ...]:
    """The tensors SAELens's inference class of ``architecture`` holds, with their shapes."""
    from sae_lens.registry import SAE_CLASS_REGISTRY

    if architecture not in SAE_CLASS_REGISTRY:
        known = ", ".join(sorted(SAE_CLASS_REGISTRY))
        raise SAELoadError(f"{CFG_FILE}: architecture {architecture!r} is not one of {known}")
    sae_class, cfg_class = SAE_CLASS_REGISTRY[architecture]
    axis = {size: name for name, size in PROBE_DIMS.items()}
    try:  # transcoders and temporal SAEs need more than d_in and d_sae: not probe-able here
        state = sae_class(cfg_class(**PROBE_DIMS)).state_dict()
        return tuple(
            Expected(name, tuple(axis[size] for size in tensor.shape))
            for name, tensor in sorted(state.items())
        )
    except (TypeError, ValueError, KeyError, AssertionError) as error:
        raise SAELoadError(
            f"{CFG_FILE}: architecture {architecture!r} is not an SAE the benchmark can probe"
        ) from error
