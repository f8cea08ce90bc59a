"""The noise floor of each regime, measured by ``benchmarks/noise_floor.py``: the half-width of
the interval within which a regime's mean "SAE probe minus best baseline" moves over the demo
suite when only the protocol's seed changes. Deltas inside it cannot be told from reseeding.

Each measurement ships as ``noise-floors/<protocol>.json`` beside this module and applies only
to the protocol hash it was measured under.
"""

from __future__ import annotations

import json
from pathlib import Path

NOISE_FLOOR_DIR = Path(__file__).parent / "noise-floors"


def noise_floor_file(protocol_name: str) -> Path:
    """Where the measurement under the protocol named ``protocol_name`` ships."""
    return NOISE_FLOOR_DIR / f"{protocol_name}.json"


def noise_floors(protocol_hash: str, folder: Path | None = None) -> dict[str, float]:
    """regime -> noise floor, from the measurement made under ``protocol_hash``; else empty."""
    folder = folder or NOISE_FLOOR_DIR
    for path in sorted(folder.glob("*.json")):
        measured = json.loads(path.read_text(encoding="utf-8"))
        if measured.get("protocol_hash") == protocol_hash:
            return {regime: float(value) for regime, value in measured["noise_floor"].items()}
    return {}
