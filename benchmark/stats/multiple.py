"""Multiple-testing control across the regimes reported: Holm (family-wise error) and
Benjamini-Hochberg (false discovery rate). Both return adjusted p-values in the input order."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np


def holm(p_values: Sequence[float]) -> np.ndarray:
    """Holm's step-down adjustment: sorted p_(i) times (m - i), made monotone, capped at 1."""
    p = np.asarray(p_values, dtype=float)
    order = np.argsort(p, kind="stable")
    scaled = p[order] * (len(p) - np.arange(len(p)))
    adjusted = np.minimum(1.0, np.maximum.accumulate(scaled))
    out = np.empty_like(p)
    out[order] = adjusted
    return out


def benjamini_hochberg(p_values: Sequence[float]) -> np.ndarray:
    """BH step-up adjustment: sorted p_(i) times m / i, made monotone from the top, capped at 1."""
    p = np.asarray(p_values, dtype=float)
    m = len(p)
    order = np.argsort(p, kind="stable")
    scaled = p[order] * m / np.arange(1, m + 1)
    adjusted = np.minimum(1.0, np.minimum.accumulate(scaled[::-1])[::-1])
    out = np.empty_like(p)
    out[order] = adjusted
    return out


def adjust(p_values: Sequence[float], method: Literal["holm", "bh"]) -> np.ndarray:
    """Adjusted p-values; NaN (untestable) stays NaN and does not count as a test."""
    p = np.asarray(p_values, dtype=float)
    out = np.full_like(p, np.nan)
    tested = np.isfinite(p)
    if tested.any():
        out[tested] = (holm if method == "holm" else benjamini_hochberg)(p[tested])
    return out
