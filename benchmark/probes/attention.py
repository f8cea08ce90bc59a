"""The attention-pooled probe for multi-token probing.

Per prompt, a learned query scores each real token, a softmax over that prompt's tokens weighs
them, and a linear readout of the weighted tokens gives the logit:

    logit = sum_t softmax_t(x_t . q) (x_t . w) + b

Prompts are ragged (``Ragged``: every real token, BOS excluded), so there is no padding to
mask: softmax and pooling run per prompt through segment reductions, and no token of another
prompt can receive weight. Inputs are standardized with the fitting tokens' mean and spread.

The search is batched: every configuration of the seeded random search (learning rate, weight
decay, maximum steps) trains at once on the same tokens, each with its own AdamW parameter
group. Every ``eval_every`` full-batch steps the validation AUC of each configuration is
measured; a configuration stops after ``patience`` evaluations without improvement or at its
maximum steps, and keeps its best step. The winner (best mean validation AUC over folds) is
refit on all training rows for its best step count (the mean over folds, in whole
evaluations). Validation rows never train, and test rows are never seen before the refit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from sklearn.metrics import roc_auc_score

from benchmark.probes.base import Params, sample_configs
from benchmark.probes.search import ProbeOutcome, outcome
from benchmark.protocols.protocol import AttentionProbeRules
from benchmark.ragged import Ragged
from benchmark.selection import ValidationPlan

DTYPE = torch.float32


@dataclass(frozen=True)
class TokenBatch:
    """Standardized tokens of some prompts and, per token, the index of its prompt."""

    X: torch.Tensor  # [tokens, d]
    prompt: torch.Tensor  # [tokens]
    n: int

    @classmethod
    def of(cls, ragged: Ragged, mean: np.ndarray, scale: np.ndarray) -> TokenBatch:
        X = (np.asarray(ragged.tokens, np.float32) - mean) / scale
        prompt = np.repeat(np.arange(len(ragged)), ragged.lengths)
        return cls(torch.from_numpy(X.astype(np.float32)), torch.from_numpy(prompt), len(ragged))


def token_statistics(ragged: Ragged) -> tuple[np.ndarray, np.ndarray]:
    tokens = np.asarray(ragged.tokens, np.float64)
    scale = tokens.std(axis=0)
    return tokens.mean(axis=0).astype(np.float32), np.where(scale > 0, scale, 1).astype(np.float32)


def attention_weights(batch: TokenBatch, queries: torch.Tensor) -> torch.Tensor:
    """Softmax of each token's score within its own prompt: [tokens, configs]."""
    scores = batch.X @ queries.T
    index = batch.prompt[:, None].expand_as(scores)
    peak = torch.full((batch.n, scores.shape[1]), -torch.inf, dtype=scores.dtype)
    peak = peak.scatter_reduce(0, index, scores, "amax", include_self=True)
    weights = torch.exp(scores - peak.gather(0, index))
    total = torch.zeros_like(peak).index_add(0, batch.prompt, weights)
    return weights / total.gather(0, index)


def logits(
    batch: TokenBatch, queries: torch.Tensor, readouts: torch.Tensor, bias: torch.Tensor
) -> torch.Tensor:
    """[prompts, configs]: the attention-weighted readout of each prompt's tokens."""
    values = batch.X @ readouts.T
    pooled = torch.zeros(batch.n, values.shape[1], dtype=values.dtype)
    return pooled.index_add(0, batch.prompt, attention_weights(batch, queries) * values) + bias


@dataclass
class Trained:
    queries: torch.Tensor
    readouts: torch.Tensor
    bias: torch.Tensor
    best_auc: np.ndarray  # [configs], NaN without validation
    best_step: np.ndarray  # [configs]


def train(
    fit: TokenBatch,
    y: np.ndarray,
    configs: Sequence[Params],
    rules: AttentionProbeRules,
    seed: int,
    val: tuple[TokenBatch, np.ndarray] | None = None,
) -> Trained:
    """Train every configuration at once (full batch). With ``val``, track each one's
    validation AUC and stop it early; without, train each for its ``steps``."""
    d, C = fit.X.shape[1], len(configs)
    generator = torch.Generator().manual_seed(seed)
    params = [
        (torch.randn(C, d, generator=generator) * 0.01).requires_grad_(),  # queries
        torch.zeros(C, d, requires_grad=True),  # readouts
        torch.zeros(C, 1, requires_grad=True),  # bias
    ]
    optimizer = RowAdamW(params, configs)
    limit = np.array([c["steps"] for c in configs])
    target = torch.from_numpy(np.asarray(y, np.float32))[:, None].expand(-1, C)
    best_auc, best_step = np.full(C, np.nan), limit.copy()
    stale, active = np.zeros(C, dtype=int), np.ones(C, dtype=bool)
    for step in range(1, int(limit.max()) + 1):
        active &= step <= limit
        if not active.any():
            break
        queries, readouts, bias = params
        loss = torch.nn.functional.binary_cross_entropy_with_logits(
            logits(fit, queries, readouts, bias[:, 0]), target, reduction="none"
        )
        for p in params:
            p.grad = None
        loss.mean(dim=0).sum().backward()  # each config's loss reaches only its own row
        optimizer.step(active)
        if val is not None and step % rules.eval_every == 0:
            aucs = validation_aucs(val, queries, readouts, bias[:, 0])
            improved = active & ~(aucs <= best_auc)  # the first evaluation always improves
            best_auc[improved], best_step[improved] = aucs[improved], step
            stale = np.where(improved, 0, stale + active)
            active &= stale < rules.patience
    queries, readouts, bias = (p.detach() for p in params)
    return Trained(queries, readouts, bias[:, 0], best_auc, best_step)


class RowAdamW:
    """AdamW where row c of every parameter belongs to configuration c, with its own learning
    rate and weight decay (decoupled, as torch.optim.AdamW); inactive rows are left as they
    are."""

    def __init__(self, params: list[torch.Tensor], configs: Sequence[Params]) -> None:
        self.params = params
        self.lr = torch.tensor([c["learning_rate"] for c in configs], dtype=DTYPE)[:, None]
        self.decay = torch.tensor([c["weight_decay"] for c in configs], dtype=DTYPE)[:, None]
        self.moments = [(torch.zeros_like(p), torch.zeros_like(p)) for p in params]
        self.t = 0

    def step(self, active: np.ndarray, betas: tuple[float, float] = (0.9, 0.999)) -> None:
        self.t += 1
        lr = self.lr * torch.from_numpy(active.astype(np.float32))[:, None]
        b1, b2 = betas
        with torch.no_grad():
            for p, (m, v) in zip(self.params, self.moments, strict=True):
                assert p.grad is not None
                m.mul_(b1).add_((1 - b1) * p.grad)
                v.mul_(b2).add_((1 - b2) * p.grad**2)
                update = (m / (1 - b1**self.t)) / ((v / (1 - b2**self.t)).sqrt() + 1e-8)
                p.mul_(1 - lr * self.decay).sub_(lr * update)


def validation_aucs(
    val: tuple[TokenBatch, np.ndarray], queries: torch.Tensor, readouts: torch.Tensor,
    bias: torch.Tensor,
) -> np.ndarray:  # fmt: skip
    batch, y = val
    with torch.no_grad():
        scores = logits(batch, queries, readouts, bias).numpy()
    return np.array([roc_auc_score(y, scores[:, c]) for c in range(scores.shape[1])])


class AttentionProbe:
    """One configuration, trained for a fixed number of steps on all its rows; the estimator
    contract of the other probes (``fit``, ``predict_proba``, ``decision_scores``) with ragged
    token inputs instead of a matrix."""

    def __init__(
        self, learning_rate: float = 1e-3, weight_decay: float = 0.0, steps: int = 500,
        seed: int = 0, eval_every: int = 25, patience: int = 4,
    ) -> None:  # fmt: skip
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.steps = steps
        self.seed = seed
        self.eval_every = eval_every
        self.patience = patience

    def fit(self, X: Ragged, y: np.ndarray) -> AttentionProbe:
        y = np.asarray(y)
        if set(np.unique(y)) - {0, 1}:
            raise ValueError("labels must be 0 and 1")
        self.mean_, self.scale_ = token_statistics(X)
        config = {"learning_rate": self.learning_rate, "weight_decay": self.weight_decay,
                  "steps": self.steps}  # fmt: skip
        rules = AttentionProbeRules(
            n_configs=1, seed=self.seed, learning_rate=[self.learning_rate],
            weight_decay=[self.weight_decay], max_steps=[self.steps],
            eval_every=self.eval_every, patience=self.patience,
        )  # fmt: skip
        self.trained_ = train(self._batch(X), y, [config], rules, self.seed)
        return self

    def decision_scores(self, X: Ragged) -> np.ndarray:
        t = self.trained_
        with torch.no_grad():
            return logits(self._batch(X), t.queries, t.readouts, t.bias)[:, 0].numpy()

    def predict_proba(self, X: Ragged) -> np.ndarray:
        positive = 1 / (1 + np.exp(-self.decision_scores(X).astype(np.float64)))
        return np.column_stack([1 - positive, positive])

    def predict(self, X: Ragged) -> np.ndarray:
        return (self.decision_scores(X) > 0).astype(int)

    def _batch(self, X: Ragged) -> TokenBatch:
        return TokenBatch.of(X, self.mean_, self.scale_)


def attention_configs(rules: AttentionProbeRules) -> list[Params]:
    space: dict[str, list[Any]] = {
        "learning_rate": rules.learning_rate,
        "weight_decay": rules.weight_decay,
        "steps": rules.max_steps,
    }
    return sample_configs(space, rules.n_configs, rules.seed)


@dataclass(frozen=True)
class AttentionChoice:
    params: Params
    val_auc: float


def select_attention(
    tokens: Ragged, y: np.ndarray, plan: ValidationPlan, rules: AttentionProbeRules
) -> AttentionChoice:
    """The configuration with the best mean validation AUC over the plan's folds, and its step
    count: the mean of its best steps over folds, rounded to whole evaluations."""
    configs = attention_configs(rules)
    if not plan.searches:
        return AttentionChoice(configs[0], float("nan"))
    aucs, steps = [], []
    for fold in plan.folds:
        fit = tokens.take(fold.fit)
        mean, scale = token_statistics(fit)
        val = (TokenBatch.of(tokens.take(fold.val), mean, scale), y[fold.val])
        trained = train(TokenBatch.of(fit, mean, scale), y[fold.fit], configs, rules,
                        rules.seed, val)  # fmt: skip
        aucs.append(trained.best_auc)
        steps.append(trained.best_step)
    mean_auc = np.mean(aucs, axis=0)
    best = int(np.argmax(mean_auc))
    evaluations = max(1, round(float(np.mean([s[best] for s in steps])) / rules.eval_every))
    return AttentionChoice({**configs[best], "steps": evaluations * rules.eval_every},
                           float(mean_auc[best]))  # fmt: skip


def fit_attention(
    tokens: Ragged, y: np.ndarray, choice: AttentionChoice, rules: AttentionProbeRules
) -> AttentionProbe:
    return AttentionProbe(
        choice.params["learning_rate"], choice.params["weight_decay"], choice.params["steps"],
        rules.seed, rules.eval_every, rules.patience,
    ).fit(tokens, y)  # fmt: skip


def run_attention(
    train: Ragged,
    y_train: np.ndarray,
    test: Ragged,
    y_test: np.ndarray,
    plan: ValidationPlan,
    rules: AttentionProbeRules,
) -> ProbeOutcome:
    """The attention probe on a cell's arrays: select on the validation plan, refit on all the
    training prompts, score the test prompts."""
    choice = select_attention(train, y_train, plan, rules)
    probe = fit_attention(train, y_train, choice, rules)
    scores = probe.predict_proba(test)[:, 1]
    return outcome("attention", choice.params, choice.val_auc, scores, y_test)
