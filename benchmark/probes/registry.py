"""The baseline families of a protocol, by name (names are unique; a miss suggests close ones)."""

from __future__ import annotations

import difflib
from collections.abc import Callable

from benchmark.probes.base import Family
from benchmark.probes.knn import knn_family
from benchmark.probes.logistic import logistic_family
from benchmark.probes.mlp import mlp_family
from benchmark.probes.pca import pca_family
from benchmark.probes.xgboost_probe import xgboost_family
from benchmark.protocols.protocol import Protocol

FACTORIES: dict[str, Callable[[Protocol], Family]] = {
    "logistic": lambda p: logistic_family(p.baselines.logistic),
    "pca": lambda p: pca_family(p.baselines.pca),
    "knn": lambda p: knn_family(p.baselines.knn),
    "xgboost": lambda p: xgboost_family(p.baselines.xgboost),
    "mlp": lambda p: mlp_family(p.baselines.mlp),
}
BASELINES = tuple(FACTORIES)


def baseline_families(protocol: Protocol, names: tuple[str, ...] = BASELINES) -> list[Family]:
    unknown = [name for name in names if name not in FACTORIES]
    if unknown:
        close = difflib.get_close_matches(unknown[0], list(FACTORIES), n=1)
        hint = f"; did you mean {close[0]}?" if close else ""
        raise ValueError(f"unknown baseline {unknown[0]!r}{hint} (known: {', '.join(FACTORIES)})")
    return [FACTORIES[name](protocol) for name in names]
