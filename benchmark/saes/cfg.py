"""The one strict reader of a SAELens folder's ``cfg.json``, and the tensors each architecture
needs.

Submit, validate, eval and the random control all read a folder's cfg here. Nothing in the file
is trusted: both files must be regular files inside the folder, the cfg is bounded in size and
nesting before it is parsed, a key named twice is refused, and every field SAELens's config
class of the architecture declares is checked against that class's type (strictly: a JSON
boolean is not an integer, the string ``"false"`` is not a boolean). Keys SAELens does not
declare are ignored, as SAELens ignores them (it adds keys between releases).

The expected tensors of an architecture come from SAELens's own registered class: a tiny
instance is built and its state dict read, so a new SAELens tensor is never missed by a
hand-written list.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import re
import stat
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, ValidationError, create_model

from benchmark.errors import SaeprobeError
from benchmark.paths import hub_snapshot_path

CFG_FILE = "cfg.json"
WEIGHTS_FILE = "sae_weights.safetensors"
CFG_MAX_BYTES = 1 << 20  # SAELens writes about 1 KB
CFG_MAX_DEPTH = 16  # SAELens writes 3 levels
PROBED_ARCHITECTURES = ("gated", "jumprelu", "standard", "topk")  # what manifests map to
DTYPES = ("float32", "float64", "float16", "bfloat16")  # SAELens's DTYPE_MAP, without "torch."
PROBE_DIMS = {"d_in": 2, "d_sae": 3}  # distinct sizes, so each axis names its dimension
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)


class SAELoadError(SaeprobeError, ValueError):
    """A folder that is not a readable SAELens SAE; the message is one line."""


class SAECfg(BaseModel):
    """What the benchmark reads of a SAELens cfg: widths, architecture, hook, dtype and k."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    d_in: int
    d_sae: int
    architecture: str
    hook_name: str | None = None
    dtype: str = "float32"
    k: int | None = None  # TopK only


def read_sae_cfg(folder: Path) -> SAECfg:
    """The folder's cfg, checked field by field; any problem is one ``SAELoadError`` line."""
    if not folder.is_dir():
        raise SAELoadError(f"{folder}: no such SAE folder")
    path = regular_file(folder, CFG_FILE, CFG_MAX_BYTES)
    regular_file(folder, WEIGHTS_FILE)
    raw = parse_cfg_json(path.read_bytes())
    architecture = cfg_architecture(raw)
    check_saelens_fields(raw, architecture)
    cfg = SAECfg(
        d_in=raw["d_in"],
        d_sae=raw["d_sae"],
        architecture=architecture,
        hook_name=cfg_hook(raw),
        dtype=raw.get("dtype", "float32").removeprefix("torch."),
        k=raw.get("k") if architecture == "topk" else None,
    )
    check_ranges(cfg)
    return cfg


def regular_file(folder: Path, name: str, max_bytes: int | None = None) -> Path:
    """``folder/name`` as a regular file inside ``folder`` (a link is followed only when it stays
    inside, or inside the Hub repository cache a snapshot folder belongs to), at most
    ``max_bytes`` long; checked before anything reads it."""
    path = folder / name
    try:
        info = path.stat()
    except FileNotFoundError:
        raise SAELoadError(f"{name}: missing from {folder}") from None
    except OSError as error:
        raise SAELoadError(f"{name}: cannot be read ({error.strerror})") from error
    if not path.resolve().is_relative_to(link_root(folder)):
        raise SAELoadError(f"{name}: a link to {path.resolve()}, outside {folder}; copy it in")
    if not stat.S_ISREG(info.st_mode):
        raise SAELoadError(f"{name}: not a regular file")
    if max_bytes is not None and info.st_size > max_bytes:
        raise SAELoadError(f"{name}: {info.st_size:,} bytes, more than the {max_bytes:,} allowed")
    return path


def link_root(folder: Path) -> Path:
    """Where links in ``folder`` may lead: the folder itself, or for a folder of a Hugging Face
    Hub snapshot that repository's cache, whose ``blobs/`` its files link to."""
    snapshot = hub_snapshot_path(folder)
    return snapshot.repo_cache if snapshot is not None else folder.resolve()


def parse_cfg_json(data: bytes) -> dict[str, Any]:
    """A JSON object, nested at most ``CFG_MAX_DEPTH`` levels (checked before parsing), with no
    key named twice at any level."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise SAELoadError(f"{CFG_FILE}: not UTF-8 text ({error.reason})") from error
    if nesting_depth(text) > CFG_MAX_DEPTH:
        raise SAELoadError(f"{CFG_FILE}: nested deeper than {CFG_MAX_DEPTH} levels")
    try:
        raw = json.loads(text, object_pairs_hook=without_duplicate_keys)
    except json.JSONDecodeError as error:
        raise SAELoadError(f"{CFG_FILE}: not valid JSON ({error})") from error
    if not isinstance(raw, dict):
        raise SAELoadError(f"{CFG_FILE}: not a JSON object")
    return raw


def nesting_depth(text: str) -> int:
    """How deeply objects and arrays nest, counted outside strings."""
    skeleton = np.frombuffer(_JSON_STRING.sub('""', text).encode("utf-8"), np.uint8)
    opens = (skeleton == ord("{")) | (skeleton == ord("["))
    closes = (skeleton == ord("}")) | (skeleton == ord("]"))
    steps = opens.astype(np.int64) - closes
    return int(np.cumsum(steps).max()) if len(steps) else 0


def without_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    key = repeated_key(pairs)
    if key is not None:
        raise SAELoadError(f"{CFG_FILE}: {key} is given twice")
    return dict(pairs)


def repeated_key(pairs: list[tuple[str, Any]]) -> str | None:
    """The first key of a JSON object's pairs that was already given (linear in the pairs)."""
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            return key
        seen.add(key)
    return None


def cfg_architecture(raw: dict[str, Any]) -> str:
    """The saved architecture, which must be named: a legacy cfg without one is refused rather
    than taken as standard (write ``"architecture": "standard"`` if that is what it is)."""
    known = ", ".join(PROBED_ARCHITECTURES)
    if "architecture" not in raw:
        raise SAELoadError(
            f'{CFG_FILE}: architecture is missing (SAELens 6 writes it; add "architecture": '
            f'"standard" for a ReLU SAE); one of {known}'
        )
    architecture = raw["architecture"]
    if architecture not in PROBED_ARCHITECTURES:
        raise SAELoadError(
            f"{CFG_FILE}: architecture {architecture!r} is not an SAE the benchmark can probe "
            f"(one of {known})"
        )
    return str(architecture)


def check_saelens_fields(raw: dict[str, Any], architecture: str) -> None:
    """Every field SAELens's config class declares, checked strictly against its type."""
    try:
        saelens_cfg_model(architecture).model_validate(raw)
    except ValidationError as error:
        problem = error.errors()[0]
        where = ".".join(str(part) for part in problem["loc"])
        got = f" (got {problem['input']!r})" if problem["type"] != "missing" else ""
        raise SAELoadError(f"{CFG_FILE}: {where}: {problem['msg']}{got}") from error


@functools.cache
def saelens_cfg_model(architecture: str) -> type[BaseModel]:
    """A strict pydantic model of SAELens's config dataclass for ``architecture`` (its
    ``metadata`` is free-form, so only required to be an object)."""
    from sae_lens.registry import SAE_CLASS_REGISTRY

    cfg_class = SAE_CLASS_REGISTRY[architecture][1]
    hints = typing.get_type_hints(cfg_class)
    fields: dict[str, Any] = {}
    for field in dataclasses.fields(cfg_class):
        kind = dict[str, Any] if field.name == "metadata" else hints[field.name]
        required = field.default is dataclasses.MISSING and field.name != "metadata"
        fields[field.name] = (kind, ... if required else None)
    config = ConfigDict(strict=True, extra="ignore")
    return create_model(f"Strict{cfg_class.__name__}", __config__=config, **fields)


def cfg_hook(raw: dict[str, Any]) -> str | None:
    metadata = raw.get("metadata") or {}
    hook = metadata.get("hook_name") or raw.get("hook_name")
    if hook is not None and not isinstance(hook, str):
        raise SAELoadError(f"{CFG_FILE}: metadata.hook_name must be a string, got {hook!r}")
    return hook


def check_ranges(cfg: SAECfg) -> None:
    for name in ("d_in", "d_sae"):
        if getattr(cfg, name) < 1:
            raise SAELoadError(f"{CFG_FILE}: {name} must be at least 1, got {getattr(cfg, name)}")
    if cfg.dtype not in DTYPES:
        raise SAELoadError(f"{CFG_FILE}: dtype {cfg.dtype!r} is not one of {', '.join(DTYPES)}")
    if cfg.k is not None and not 1 <= cfg.k <= cfg.d_sae:
        raise SAELoadError(f"{CFG_FILE}: k must be between 1 and d_sae ({cfg.d_sae}), got {cfg.k}")


@dataclass(frozen=True)
class Expected:
    name: str
    shape: tuple[str, ...]  # in terms of "d_in" and "d_sae"


@functools.cache
def expected_tensors(architecture: str) -> tuple[Expected, ...]:
    """The tensors SAELens's inference class of ``architecture`` holds, with their shapes."""
    from sae_lens.registry import SAE_CLASS_REGISTRY

    if architecture not in PROBED_ARCHITECTURES:
        known = ", ".join(PROBED_ARCHITECTURES)
        raise SAELoadError(f"{CFG_FILE}: architecture {architecture!r} is not one of {known}")
    sae_class, cfg_class = SAE_CLASS_REGISTRY[architecture]
    axis = {size: name for name, size in PROBE_DIMS.items()}
    state = sae_class(cfg_class(**PROBE_DIMS)).state_dict()
    return tuple(
        Expected(name, tuple(axis[size] for size in tensor.shape))
        for name, tensor in sorted(state.items())
    )
