"""The noise floor of each regime, measured by ``benchmarks/noise_floor.py``: the half-width of
the interval within which a regime's mean "SAE probe minus best baseline" moves over the demo
suite when only the protocol's seed changes. Deltas inside it cannot be told from reseeding.

The measurement ships as ``noise-floor.json`` beside this module and applies only to the
protocol it was measured under.
"""

from __future__ import annotations

import json
from pathlib import Path

NOISE_FLOOR_FILE = Path(__file__).parent / "noise-floor.json"


def noise_floors(protocol_hash: str, path: Path | None = None) -> dict[str, float]:
    """regime -> noise floor, when measured under ``protocol_hash``; else empty."""
    path = path or NOISE_FLOOR_FILE
    if not path.is_file():
        return {}
    measured = json.loads(path.read_text(encoding="utf-8"))
    if measured.get("protocol_hash") != protocol_hash:
        return {}
    return {regime: float(value) for regime, value in measured["noise_floor"].items()}
