"""The SAE probe: rank latents by the normalised mean difference between the classes on the
training rows, keep the top k, and fit an (L1) logistic regression on them.

Under ``scale=True`` (protocol v1) the kept latents are divided by their RMS on the fitting rows,
so the L1 penalty does not depend on each latent's arbitrary scale and the solve stays
well-conditioned (a random control's latents span RMS 0 to 1,500).

Ranking happens inside ``fit``, so during selection each fold ranks on its own fitting rows and
validation rows never choose the latents (the original ranked once on all training rows, which
leaks validation rows into feature selection; ``fixed_latents`` reproduces that).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import sparse

from benchmark.probes.base import BinaryProbe, Family, Params
from benchmark.probes.logistic import LogisticProbe
from benchmark.protocols.protocol import SAEProbeRules

EPSILON = 1e-6


def rank_latents(latents: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Latent indices by decreasing |mean(pos) - mean(neg)| after dividing each latent by its
    mean absolute non-zero activation (so rarely and strongly firing latents compare fairly)."""
    return np.argsort(-np.abs(normalised_difference(latents, labels)), kind="stable")


def normalised_difference(latents: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Per column, the ranking statistic; each column's value depends on that column alone."""
    magnitude = np.abs(latents).sum(axis=0) / ((latents != 0).sum(axis=0) + EPSILON)
    normalised = latents / (magnitude + EPSILON)
    return normalised[labels == 1].mean(axis=0) - normalised[labels == 0].mean(axis=0)


def top_latents(latents: sparse.csr_matrix, labels: np.ndarray, count: int) -> np.ndarray:
    """``rank_latents(latents.toarray(), labels)[:count]`` without densifying the width: the
    statistic is computed on the columns that fire (a silent column's is exactly 0), then the
    firing columns with a non-zero statistic come first by decreasing magnitude, and the rest
    follow in index order, as the stable sort orders them."""
    active = np.unique(latents.indices)
    block = latents[:, active].toarray().astype(np.float64)
    magnitude = np.abs(normalised_difference(block, labels))
    leading = active[magnitude > 0][np.argsort(-magnitude[magnitude > 0], kind="stable")]
    if len(leading) >= count:
        return leading[:count]
    rest = np.ones(latents.shape[1], dtype=bool)
    rest[leading] = False
    return np.concatenate([leading, np.flatnonzero(rest)[: count - len(leading)]])


class SAEProbe(BinaryProbe):
    def __init__(
        self,
        k: int = 16,
        C: float = 1.0,
        penalty: str = "l1",
        max_iter: int = 1000,
        fixed_latents: tuple[int, ...] | None = None,
        scale: bool = False,
    ) -> None:
        self.k = k
        self.C = C
        self.penalty = penalty
        self.max_iter = max_iter
        self.fixed_latents = fixed_latents
        self.scale = scale

    def _fit(self, X: np.ndarray, y: np.ndarray) -> None:
        if self.fixed_latents is not None:
            self.latents_ = np.asarray(self.fixed_latents[: self.k])
        else:
            self.latents_ = rank_latents(X, y)[: self.k]
        kept = X[:, self.latents_]
        self.divisors_ = latent_rms(kept) if self.scale else np.ones(kept.shape[1])
        self.model_ = LogisticProbe(self.C, self.penalty, False, self.max_iter).fit(
            kept / self.divisors_, y
        )
        self.n_iter_ = self.model_.n_iter_

    def _positive_scores(self, X: np.ndarray) -> np.ndarray:
        return self.model_.predict_proba(X[:, self.latents_] / self.divisors_)[:, 1]


def latent_rms(latents: np.ndarray) -> np.ndarray:
    """Each column's root mean square; 1 for a column that never fires."""
    rms = np.sqrt(np.mean(np.square(latents, dtype=np.float64), axis=0))
    return np.where(rms > 0, rms, 1.0)


def sae_family(
    rules: SAEProbeRules, k: int, fixed_latents: tuple[int, ...] | None = None
) -> Family:
    fixed: Params = {
        "k": k,
        "penalty": rules.penalty,
        "max_iter": rules.max_iter,
        "fixed_latents": fixed_latents,
        "scale": rules.scale == "rms",
    }

    def candidates(_n_fit: int, _n_features: int) -> list[Params]:
        return [{**fixed, "C": C} for C in rules.C]

    return Family(f"sae_k{k}", SAEProbe, candidates, defaults=fixed)


def sae_families(
    rules: SAEProbeRules, ks: Sequence[int], Z_train: np.ndarray, y_train: np.ndarray
) -> list[Family]:
    """The SAE probe's family of every k on a cell's (dense) training latents; without
    ``rank_within_folds`` (the original), all of them keep the ranking of all training rows."""
    rules = rules.for_rows(len(y_train))
    ranked = None if rules.rank_within_folds else tuple(rank_latents(Z_train, y_train).tolist())
    return [sae_family(rules, k, ranked) for k in ks]


def sae_k_values(rules: SAEProbeRules, regime: str, d_sae: int) -> list[int]:
    """The protocol's k values for the regime that an SAE of ``d_sae`` latents can supply."""
    ks = rules.k_normal if regime == "normal" else rules.k_hard
    return [k for k in ks if k <= d_sae]
