"""Gradient-boosted trees (XGBoost, single-threaded per fit) with a seeded random search. A
fold's quantile sketch of the fitting rows is built once and shared by every configuration."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from benchmark.errors import SaeprobeError
from benchmark.probes.base import BinaryProbe, Family, Params, sample_configs
from benchmark.protocols.protocol import XGBoostRules

if TYPE_CHECKING:
    import xgboost


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

    @classmethod
    def candidate_scores(
        cls, candidates: Sequence[Params], X_fit: np.ndarray, y_fit: np.ndarray, X_val: np.ndarray
    ) -> list[np.ndarray]:
        """Every configuration trained on one quantile matrix of the fold's fitting rows (it
        depends only on the rows, ``max_bin`` and the device, which the search keeps fixed)."""
        probes = [cls(**params) for params in candidates]
        if len({(probe.max_bin, probe.device) for probe in probes}) != 1:
            return super().candidate_scores(candidates, X_fit, y_fit, X_val)
        X, y01 = probes[0]._checked_fit_inputs(X_fit, y_fit)
        rows = probes[0]._quantile_matrix(X, y01)
        scores = []
        for probe in probes:
            probe._checked_fit_inputs(X_fit, y_fit)
            probe._train(rows)
            scores.append(probe.decision_scores(X_val))
        return scores

    def _fit(self, X: np.ndarray, y: np.ndarray) -> None:
        self._train(self._quantile_matrix(X, y))

    def _quantile_matrix(self, X: np.ndarray, y: np.ndarray) -> xgboost.QuantileDMatrix:
        """The matrix ``XGBClassifier.fit`` builds for the hist method (nthread = n_jobs)."""
        import xgboost

        return xgboost.QuantileDMatrix(X, label=y, max_bin=self.max_bin, nthread=1)

    def _train(self, rows: xgboost.QuantileDMatrix) -> None:
        """``xgboost.train`` with the parameters ``XGBClassifier`` passes it: the booster is
        the one ``XGBClassifier.fit`` trains on the same rows."""
        import xgboost

        params = xgboost.XGBClassifier(
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
        ).get_xgb_params()
        self.booster_ = xgboost.train(params, rows, num_boost_round=self.n_estimators)

    def _positive_scores(self, X: np.ndarray) -> np.ndarray:
        return np.asarray(self.booster_.inplace_predict(X))


def xgboost_family(rules: XGBoostRules, device: str = "cpu") -> Family:
    """The protocol's seeded search. Off the CPU (``--device cuda``), every candidate names its
    device in its parameters, so the records say where the trees grew: a GPU histogram rounds
    differently from the CPU reference the protocol's results are defined on."""
    placed = {} if device == "cpu" else {"device": require_device(device)}
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
        {**config, "max_bin": rules.max_bin, "random_state": rules.seed, **placed}
        for config in sample_configs(space, rules.n_configs, rules.seed)
    ]

    def candidates(_n_fit: int, _n_features: int) -> list[Params]:
        return configs

    return Family(
        "xgboost",
        XGBoostProbe,
        candidates,
        defaults={"max_bin": rules.max_bin, "random_state": rules.seed, **placed},
    )


def require_device(device: str) -> str:
    """``device``, if this XGBoost can train there (``xgboost-cpu``, the default dependency,
    has no CUDA build)."""
    import xgboost

    if device.startswith("cuda") and not xgboost.build_info().get("USE_CUDA"):
        raise SaeprobeError(
            f"--device {device}: this XGBoost has no CUDA build; install the full package "
            "(pip install xgboost) to train the XGBoost baseline on the GPU"
        )
    return device
