"""The quiver of arrows: per cell, the method a practitioner would pick by validation AUC from
the baselines alone, and from the baselines plus the SAE probes. The difference of their test
AUCs is the value of adding the SAE to the toolkit.

Ties on validation AUC: ``mean`` (v1) takes the mean test AUC of the tied methods; ``sae``
(the original) prefers the SAE probes among the tied. A cell too small to search (every
validation AUC is NaN) ties every method.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np


@dataclass(frozen=True)
class Scored:
    """What the quiver needs of a method's result on a cell (NaN: not searched)."""

    method: str
    val_auc: float
    test_auc: float

    @classmethod
    def of(cls, method: str, val_auc: float | None, test_auc: float) -> Scored:
        return cls(method, float("nan") if val_auc is None else val_auc, test_auc)


@dataclass(frozen=True)
class QuiverPick:
    methods: tuple[str, ...]
    val_auc: float
    test_auc: float


def pick(
    outcomes: Sequence[Scored], sae_methods: set[str], ties: Literal["mean", "sae"]
) -> QuiverPick:
    if not outcomes:
        raise ValueError("the quiver needs at least one method")
    val = np.array([o.val_auc for o in outcomes], dtype=float)
    if np.isnan(val).all():
        tied = list(outcomes)
    else:
        best = np.nanmax(val)
        tied = [o for o, v in zip(outcomes, val, strict=True) if v == best]
    if ties == "sae" and any(o.method in sae_methods for o in tied):
        tied = [o for o in tied if o.method in sae_methods]
    return QuiverPick(
        methods=tuple(o.method for o in tied),
        val_auc=float(tied[0].val_auc),
        test_auc=float(np.mean([o.test_auc for o in tied])),
    )


@dataclass(frozen=True)
class Quiver:
    baselines: QuiverPick
    with_sae: QuiverPick

    @property
    def delta(self) -> float:
        return self.with_sae.test_auc - self.baselines.test_auc


def quiver(
    baselines: Sequence[Scored], sae: Sequence[Scored], ties: Literal["mean", "sae"]
) -> Quiver:
    sae_methods = {o.method for o in sae}
    return Quiver(
        baselines=pick(baselines, set(), ties),
        with_sae=pick([*baselines, *sae], sae_methods, ties),
    )
