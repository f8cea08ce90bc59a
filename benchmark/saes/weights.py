"""Reading a submitted ``sae_weights.safetensors`` without trusting it.

The header is read by hand first (its length bounded, its JSON free of repeated keys, every
entry typed, floating point only, the tensors' byte ranges tiling the file exactly), so a
truncated, oversized or hand-made file is refused before any tensor is touched. Tensors are then
read in blocks of rows through ``safetensors`` (memory-mapped, never unpickled).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from safetensors import SafetensorError, safe_open

from benchmark.errors import SaeprobeError
from benchmark.saes.cfg import repeated_key

HEADER_MAX_BYTES = 1 << 20  # an SAE's header is a few hundred bytes
BLOCK_VALUES = 1 << 24  # values per block read (64 MB of float32)
FLOAT_DTYPES = {"F64": ("float64", 8), "F32": ("float32", 4), "F16": ("float16", 2),
                "BF16": ("bfloat16", 2)}  # fmt: skip
PICKLE_MAGIC = (b"\x80\x02", b"\x80\x03", b"\x80\x04", b"\x80\x05", b"PK")


class WeightsError(SaeprobeError, ValueError):
    """A weights file that is not a well-formed safetensors file of floating-point tensors."""


@dataclass(frozen=True)
class TensorEntry:
    name: str
    dtype: str  # safetensors' name: F32, F16, BF16, F64
    shape: tuple[int, ...]
    start: int
    end: int

    @property
    def dtype_name(self) -> str:
        return FLOAT_DTYPES[self.dtype][0]


def read_header(path: Path) -> dict[str, TensorEntry]:
    """The tensor table of a safetensors file, checked against the file's size."""
    size = path.stat().st_size
    with path.open("rb") as file:
        prefix = file.read(8)
        if prefix[:2] in PICKLE_MAGIC:
            raise WeightsError(f"{path.name}: a pickle (or zip) archive, not safetensors")
        if len(prefix) < 8:
            raise WeightsError(f"{path.name}: {size} bytes, too short for a safetensors header")
        length = int.from_bytes(prefix, "little")
        if length > HEADER_MAX_BYTES:
            raise WeightsError(
                f"{path.name}: a header of {length:,} bytes, more than the "
                f"{HEADER_MAX_BYTES:,} allowed"
            )
        if 8 + length > size:
            raise WeightsError(
                f"{path.name}: truncated (the header says {length:,} bytes, {size - 8:,} follow)"
            )
        table = parse_header(file.read(length), path.name)
    entries = {
        name: tensor_entry(name, info) for name, info in table.items() if name != "__metadata__"
    }
    check_layout(entries, size - 8 - length, path.name)
    return entries


def parse_header(data: bytes, file_name: str) -> dict[str, Any]:
    def unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        if repeated_key(pairs) is not None:
            raise WeightsError(f"{file_name}: the header names a key twice")
        return dict(pairs)

    try:
        table = json.loads(data.decode("utf-8"), object_pairs_hook=unique)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
        raise WeightsError(f"{file_name}: the header is not valid JSON") from error
    if not isinstance(table, dict):
        raise WeightsError(f"{file_name}: the header is not a JSON object")
    return table


def tensor_entry(name: str, info: Any) -> TensorEntry:
    if not isinstance(info, dict) or set(info) != {"dtype", "shape", "data_offsets"}:
        raise WeightsError(f"tensor {name}: a malformed header entry")
    dtype, shape, offsets = info["dtype"], info["shape"], info["data_offsets"]
    if dtype not in FLOAT_DTYPES:
        raise WeightsError(
            f"tensor {name}: dtype {dtype!r}; weights must be floating point "
            f"({', '.join(FLOAT_DTYPES)})"
        )
    if not (isinstance(shape, list) and all(is_count(size) for size in shape)):
        raise WeightsError(f"tensor {name}: a malformed shape {shape!r}")
    if not (isinstance(offsets, list) and len(offsets) == 2 and all(map(is_count, offsets))):
        raise WeightsError(f"tensor {name}: malformed data offsets {offsets!r}")
    return TensorEntry(name, dtype, tuple(shape), offsets[0], offsets[1])


def is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def check_layout(entries: dict[str, TensorEntry], data_bytes: int, file_name: str) -> None:
    """Each tensor's byte range holds exactly its values, and the ranges tile the data."""
    position = 0
    for entry in sorted(entries.values(), key=lambda e: (e.start, e.end)):
        expected = math.prod(entry.shape) * FLOAT_DTYPES[entry.dtype][1]
        if entry.end - entry.start != expected:
            raise WeightsError(
                f"tensor {entry.name}: {entry.end - entry.start:,} bytes for a shape "
                f"{entry.shape} of {entry.dtype} ({expected:,} bytes)"
            )
        if entry.start != position:
            raise WeightsError(f"tensor {entry.name}: its bytes overlap or leave a gap")
        position = entry.end
    if position != data_bytes:
        raise WeightsError(
            f"{file_name}: the header accounts for {position:,} bytes of data, the file holds "
            f"{data_bytes:,}"
        )


def tensor_blocks(path: Path, entry: TensorEntry) -> Iterator[np.ndarray]:
    """The tensor (one with a rows axis, as every tensor of an SAE has) as float32 arrays of
    consecutive rows, at most ``BLOCK_VALUES`` values each."""
    rows = max(1, BLOCK_VALUES // max(1, math.prod(entry.shape[1:])))
    try:
        with safe_open(str(path), framework="pt") as weights:
            part = weights.get_slice(entry.name)
            for start in range(0, entry.shape[0], rows):
                yield np.asarray(part[start : start + rows].float().numpy())
    except (SafetensorError, OSError, ValueError) as error:
        raise WeightsError(f"tensor {entry.name}: unreadable ({error})") from error
