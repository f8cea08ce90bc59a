"""The attention-pooled probe: exact per-prompt softmax (no token of another prompt gets weight),
the row-wise AdamW against torch's, a task whose label sits in the middle of the prompt
(attention and max-pooling solve it, the last token does not), selection that never trains on
validation rows, and determinism under a seed."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from benchmark.probes.attention import (
    AttentionProbe,
    RowAdamW,
    TokenBatch,
    attention_weights,
    fit_attention,
    logits,
    select_attention,
)
from benchmark.protocols.protocol import AttentionProbeRules, load_protocol
from benchmark.ragged import Ragged, from_rows
from benchmark.selection import plan_validation

RULES = AttentionProbeRules(
    n_configs=4, seed=0, learning_rate=[0.01, 0.03], weight_decay=[0.0, 0.001],
    max_steps=[150, 300], eval_every=25, patience=3,
)  # fmt: skip


def middle_token_task(n: int, seed: int) -> tuple[Ragged, np.ndarray]:
    """Prompts of 6 to 14 tokens, d = 8. The label is carried by one marked token in the middle
    (feature 1 marks it, feature 0 is +-2 there); the last token is pure noise."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, n)
    rows = []
    for label in labels:
        length = int(rng.integers(6, 15))
        tokens = rng.normal(0, 0.5, (length, 8))
        tokens[:, 1] = 0
        where = int(rng.integers(1, length - 2))
        tokens[where, 0] = 2.0 if label else -2.0
        tokens[where, 1] = 1.0
        rows.append(tokens)
    return from_rows(rows, 8), labels


def test_softmax_stays_within_each_prompt() -> None:
    ragged, _ = middle_token_task(6, 0)
    batch = TokenBatch.of(ragged, np.zeros(8, np.float32), np.ones(8, np.float32))
    queries = torch.randn(3, 8, generator=torch.Generator().manual_seed(0))
    weights = attention_weights(batch, queries)
    sums = torch.zeros(6, 3).index_add(0, batch.prompt, weights)
    torch.testing.assert_close(sums, torch.ones(6, 3))
    readouts, bias = torch.randn(3, 8), torch.zeros(3)
    alone = logits(TokenBatch.of(ragged.take([2]), np.zeros(8, np.float32),
                                 np.ones(8, np.float32)), queries, readouts, bias)  # fmt: skip
    together = logits(batch, queries, readouts, bias)
    torch.testing.assert_close(alone[0], together[2])  # other prompts change nothing


def test_row_adamw_matches_torch_adamw_per_row() -> None:
    torch.manual_seed(0)
    target = torch.randn(2, 5)
    ours = [torch.randn(2, 5, generator=torch.Generator().manual_seed(1)).requires_grad_()]
    configs = [{"learning_rate": 0.1, "weight_decay": 0.01},
               {"learning_rate": 0.03, "weight_decay": 0.0}]  # fmt: skip
    rows = [ours[0][c].detach().clone().requires_grad_() for c in range(2)]
    references = [torch.optim.AdamW([rows[c]], lr=cfg["learning_rate"],
                                    weight_decay=cfg["weight_decay"])
                  for c, cfg in enumerate(configs)]  # fmt: skip
    optimizer = RowAdamW(ours, configs)
    for _ in range(20):
        ours[0].grad = None
        ((ours[0] - target) ** 2).sum().backward()
        optimizer.step(np.array([True, True]))
        for c in range(2):
            references[c].zero_grad()
            ((rows[c] - target[c]) ** 2).sum().backward()
            references[c].step()
    for c in range(2):
        torch.testing.assert_close(ours[0][c].detach(), rows[c].detach(), atol=1e-6, rtol=1e-5)


def test_the_middle_token_task_needs_more_than_the_last_token() -> None:
    train, y_train = middle_token_task(300, 1)
    test, y_test = middle_token_task(200, 2)
    plan = plan_validation(y_train, load_protocol("v1").selection, 0)
    choice = select_attention(train, y_train, plan, RULES)
    probe = fit_attention(train, y_train, choice, RULES)
    attention_auc = roc_auc_score(y_test, probe.decision_scores(test))

    last = np.stack([train.row(i)[-1] for i in range(len(train))])
    last_test = np.stack([test.row(i)[-1] for i in range(len(test))])
    last_auc = roc_auc_score(
        y_test, LogisticRegression().fit(last, y_train).decision_function(last_test)
    )
    pooled = np.stack([np.maximum(train.row(i)[:, 0], 0).max() for i in range(len(train))])
    pooled_test = np.stack([np.maximum(test.row(i)[:, 0], 0).max() for i in range(len(test))])
    max_pool_auc = roc_auc_score(
        y_test,
        LogisticRegression().fit(pooled[:, None], y_train).decision_function(pooled_test[:, None]),
    )
    assert attention_auc > 0.95
    assert max_pool_auc > 0.95
    assert last_auc < 0.65
    assert 0.5 < choice.val_auc <= 1 and choice.params["steps"] % RULES.eval_every == 0


def test_selection_never_sees_validation_labels_for_training(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from benchmark.probes import attention

    seen: list[int] = []
    original = attention.train

    def spy(fit, y, *args, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(fit.n)
        assert len(y) == fit.n
        return original(fit, y, *args, **kwargs)

    monkeypatch.setattr(attention, "train", spy)
    tokens, y = middle_token_task(200, 3)
    plan = plan_validation(y, load_protocol("v1").selection, 0)
    select_attention(tokens, y, plan, RULES)
    assert seen == [len(plan.folds[0].fit)]


def test_same_seed_same_scores() -> None:
    tokens, y = middle_token_task(80, 4)
    first = AttentionProbe(0.01, 0.0, 100, seed=3).fit(tokens, y).decision_scores(tokens)
    second = AttentionProbe(0.01, 0.0, 100, seed=3).fit(tokens, y).decision_scores(tokens)
    np.testing.assert_array_equal(first, second)
    probabilities = AttentionProbe(0.01, 0.0, 50).fit(tokens, y).predict_proba(tokens)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1)
