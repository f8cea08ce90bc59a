"""The baseline families of a protocol, by name (names are unique; a miss suggests close ones).

The families' modules (scikit-learn, xgboost, torch) are imported when a family is built, not
when the names are read, so the command line can offer the names without loading them.
"""

from __future__ import annotations

import difflib
import importlib
from typing import TYPE_CHECKING

from benchmark.errors import SaeprobeError
from benchmark.protocols.protocol import Protocol

if TYPE_CHECKING:
    from benchmark.probes.base import Family

FACTORIES = {  # name -> the module and function that build it from the protocol's rules
    "logistic": ("benchmark.probes.logistic", "logistic_family"),
    "pca": ("benchmark.probes.pca", "pca_family"),
    "knn": ("benchmark.probes.knn", "knn_family"),
    "xgboost": ("benchmark.probes.xgboost_probe", "xgboost_family"),
    "mlp": ("benchmark.probes.mlp", "mlp_family"),
}
BASELINES = tuple(FACTORIES)
ON_DEVICE = frozenset({"xgboost"})  # families that train on --device; the others are CPU-only


def baseline_family(protocol: Protocol, name: str, device: str = "cpu") -> Family:
    """The family ``name`` under the protocol's rules for it (``protocol.baselines.<name>``),
    on ``device`` if it can train there (``ON_DEVICE``), else on the CPU."""
    module, function = FACTORIES[name]
    factory = getattr(importlib.import_module(module), function)
    rules = getattr(protocol.baselines, name)
    family: Family = factory(rules, device) if name in ON_DEVICE else factory(rules)
    return family


def baseline_families(
    protocol: Protocol, names: tuple[str, ...] = BASELINES, device: str = "cpu"
) -> list[Family]:
    unknown = [name for name in names if name not in BASELINES]
    if unknown:
        close = difflib.get_close_matches(unknown[0], BASELINES, n=1)
        hint = f"; did you mean {close[0]}?" if close else ""
        known = ", ".join(BASELINES)
        raise SaeprobeError(f"unknown baseline {unknown[0]!r}{hint} (known: {known})")
    return [baseline_family(protocol, name, device) for name in names]
