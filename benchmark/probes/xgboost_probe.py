"""Gradient-boosted trees (XGBoost, single-threaded per fit) with a seeded random search."""

from __future__ import annotations

from typing import Any

import numpy as np

from benchmark.probes.base import BinaryProbe, Family, Params, sample_configs
from benchmark.protocols.protocol import XGBoostRules


class XGBoostProbe(BinaryProbe):
    def __init__(
        self,
        n_estimators: int = 100,
        max_depth: int = 3,
        learning_rate: float = 0.1,
        subsample: float = 1.0,
        colsample_bytree: float = 1.0,
        reg_alpha: float = 0.0,
        reg_lambda: float = 1.0,
        min_child_weight: float = 1.0,
        max_bin: int = 256,
        random_state: int = 0,
        device: str = "cpu",
    ) -> None:
        self.n_estimators = n_estimators
        self.max_depth = max_depth
        self.learning_rate = learning_rate
        self.subsample = subsample
        self.colsample_bytree = colsample_bytree
        self.reg_alpha = reg_alpha
        self.reg_lambda = reg_lambda
        self.min_child_weight = min_child_weight
        self.max_bin = max_bin
        self.random_state = random_state
        self.device = device

    def _fit(self, X: np.ndarray, y: np.ndarray) -> None:
        import xgboost

        self.model_ = xgboost.XGBClassifier(
            n_estimators=self.n_estimators,
            max_depth=self.max_depth,
            learning_rate=self.learning_rate,
            subsample=self.subsample,
            colsample_bytree=self.colsample_bytree,
            reg_alpha=self.reg_alpha,
            reg_lambda=self.reg_lambda,
            min_child_weight=self.min_child_weight,
            random_state=self.random_state,
            tree_method="hist",
            max_bin=self.max_bin,
            device=self.device,
            n_jobs=1,
            eval_metric="logloss",
        )
        self.model_.fit(X, y)

    def _positive_scores(self, X: np.ndarray) -> np.ndarray:
        return self.model_.predict_proba(X)[:, 1]


def xgboost_family(rules: XGBoostRules) -> Family:
    space: dict[str, list[Any]] = {
        "n_estimators": rules.n_estimators,
        "max_depth": rules.max_depth,
        "learning_rate": rules.learning_rate,
        "subsample": rules.subsample,
        "colsample_bytree": rules.colsample_bytree,
        "reg_alpha": rules.reg_alpha,
        "reg_lambda": rules.reg_lambda,
        "min_child_weight": rules.min_child_weight,
    }
    configs = [
        {**config, "max_bin": rules.max_bin, "random_state": rules.seed}
        for config in sample_configs(space, rules.n_configs, rules.seed)
    ]

    def candidates(_n_fit: int, _n_features: int) -> list[Params]:
        return configs

    return Family(
        "xgboost",
        XGBoostProbe,
        candidates,
        defaults={"max_bin": rules.max_bin, "random_state": rules.seed},
    )
