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


def baseline_family(protocol: Protocol, name: str) -> Family:
    """The family ``name`` under the protocol's rules for it (``protocol.baselines.<name>``)."""
    module, function = FACTORIES[name]
    factory = getattr(importlib.import_module(module), function)
    family: Family = factory(getattr(protocol.baselines, name))
    return family


def baseline_families(protocol: Protocol, names: tuple[str, ...] = BASELINES) -> list[Family]:
    unknown = [name for name in names if name not in BASELINES]
    if unknown:
        close = difflib.get_close_matches(unknown[0], BASELINES, n=1)
        hint = f"; did you mean {close[0]}?" if close else ""
        known = ", ".join(BASELINES)
        raise SaeprobeError(f"unknown baseline {unknown[0]!r}{hint} (known: {known})")
    return [baseline_family(protocol, name) for name in names]
