"""A multi-layer perceptron on standardized inputs, with a seeded random search over depth
(1-3 hidden layers), width, learning rate and weight decay."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier

from benchmark.probes.base import BinaryProbe, Family, Params, sample_configs
from benchmark.protocols.protocol import MLPRules


class MLPProbe(BinaryProbe):
    def __init__(
        self,
        hidden_layers: tuple[int, ...] = (32,),
        learning_rate: float = 1e-3,
        weight_decay: float = 1e-4,
        max_iter: int = 200,
        random_state: int = 0,
    ) -> None:
        self.hidden_layers = hidden_layers
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.max_iter = max_iter
        self.random_state = random_state

    def _fit(self, X: np.ndarray, y: np.ndarray) -> None:
        self._fit_scaler(X, True)
        self.model_ = MLPClassifier(
            hidden_layer_sizes=tuple(self.hidden_layers),
            learning_rate_init=self.learning_rate,
            alpha=self.weight_decay,
            max_iter=self.max_iter,
            random_state=self.random_state,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            self.model_.fit(self._scaled(X), y)
        self.n_iter_ = int(self.model_.n_iter_)

    def _positive_scores(self, X: np.ndarray) -> np.ndarray:
        return self.model_.predict_proba(self._scaled(X))[:, 1]


def mlp_family(rules: MLPRules) -> Family:
    space: dict[str, list[Any]] = {
        "hidden_layers": [tuple(layers) for layers in rules.hidden_layers],
        "learning_rate": rules.learning_rate,
        "weight_decay": rules.weight_decay,
    }
    configs = [
        {**config, "max_iter": rules.max_iter, "random_state": rules.seed}
        for config in sample_configs(space, rules.n_configs, rules.seed)
    ]

    def candidates(_n_fit: int, _n_features: int) -> list[Params]:
        return configs

    return Family("mlp", MLPProbe, candidates, defaults=configs[0])
