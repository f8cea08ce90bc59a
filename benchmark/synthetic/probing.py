"""Probing where the truth is known: binary tasks whose label is one ground-truth feature firing,
run through the benchmark's hard regimes (the track's protocol: its cells, selection, logistic
baseline, SAE probe and random control), so one can see whether an SAE that recovers a feature
also probes it better.

Rows are drawn once per track under the probing seed; a task is a feature whose firing rate on
those rows lies in the track's band, spread evenly over the band's features by rate. Per task,
regime and SAE: the mean over cells of the SAE probe's test AUC (the k picked by validation
AUC), the logistic baseline's, and the SAE's random control's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch
from scipy import sparse

from benchmark.probes.logistic import logistic_family
from benchmark.probes.sae_probe import sae_k_values
from benchmark.probes.sae_search import SAEProbeSearch
from benchmark.probes.search import select_and_score
from benchmark.protocols.protocol import Protocol
from benchmark.regimes.cells import CellSplit, RegimeName
from benchmark.regimes.generate import dataset_cells
from benchmark.results.comparisons import Scored, pick
from benchmark.saes.load import LoadedSAE
from benchmark.selection import plan_validation
from benchmark.synthetic.track import ProbingRules
from datasets_registry.rows import LabeledPrompts


@dataclass(frozen=True, eq=False)
class ProbingRows:
    X: np.ndarray  # [rows, hidden_dim] float32 activations
    fires: np.ndarray  # [rows, features] bool: which ground-truth features fire


@dataclass(frozen=True, eq=False)
class ProbingTask:
    feature: int
    rate: float
    data: LabeledPrompts  # labels: the feature fires; the prompts only name the rows


@dataclass(frozen=True)
class TaskScores:
    """Mean test AUCs over a regime's cells."""

    sae: float
    logistic: float
    control: float


def probing_rows(model: Any, rules: ProbingRules) -> ProbingRows:
    with torch.random.fork_rng():
        torch.manual_seed(rules.seed)
        hidden, features = model.sample_with_features(rules.rows)
    return ProbingRows(hidden.float().numpy(), (features > 0).numpy())


def probing_tasks(rows: ProbingRows, rules: ProbingRules) -> list[ProbingTask]:
    """``rules.tasks`` features of the firing-rate band, spread over it on a log scale: for
    each of ``tasks`` geometrically spaced target rates, the unused feature closest to it."""
    rates = rows.fires.mean(axis=0)
    band = list(np.flatnonzero((rates >= rules.min_rate) & (rates <= rules.max_rate)))
    if len(band) < rules.tasks:
        raise ValueError(f"only {len(band)} features fire at rates in the probing band")
    chosen = []
    for target in np.geomspace(rules.min_rate, rules.max_rate, rules.tasks):
        nearest = min(band, key=lambda f: (abs(np.log(rates[f] / target)), f))
        band.remove(nearest)
        chosen.append(int(nearest))
    chosen.sort(key=lambda f: (rates[f], f))
    return [ProbingTask(f, float(rates[f]), task_rows(rows, f)) for f in chosen]


def task_rows(rows: ProbingRows, feature: int) -> LabeledPrompts:
    """The feature's task: every probing row, labelled by whether the feature fires."""
    names = [f"synthetic row {i}" for i in range(len(rows.X))]
    labels = rows.fires[:, feature].astype(np.int64)
    return LabeledPrompts(f"feature_{feature}", "main", names, labels, np.arange(len(rows.X)))


def task_cells(task: ProbingTask, protocol: Protocol, regime: RegimeName) -> list[CellSplit]:
    return dataset_cells(task.data, None, protocol, [regime])


def logistic_aucs(
    rows: ProbingRows, task: ProbingTask, protocol: Protocol, regime: RegimeName
) -> list[float]:
    """The logistic baseline's test AUC in each cell (the same for every SAE)."""
    family = logistic_family(protocol.baselines.logistic)
    X = rows.X.astype(np.float64)
    aucs = []
    for split in task_cells(task, protocol, regime):
        plan = plan_validation(split.train_labels, protocol.selection, split.cell.seed)
        found = select_and_score(
            family, X[split.train], split.train_labels, X[split.test], split.test_labels, plan
        )
        aucs.append(found.test_auc)
    return aucs


def sae_aucs(
    latents: sparse.csr_matrix,
    task: ProbingTask,
    protocol: Protocol,
    regime: RegimeName,
    d_sae: int,
) -> list[float]:
    """The SAE probe's test AUC in each cell: the k picked by validation AUC (ties: mean)."""
    search = SAEProbeSearch(protocol.sae_probe, sae_k_values(protocol.sae_probe, regime, d_sae))
    aucs = []
    for split in task_cells(task, protocol, regime):
        plan = plan_validation(split.train_labels, protocol.selection, split.cell.seed)
        outcomes = search.run(
            latents[split.train], split.train_labels, latents[split.test], split.test_labels, plan
        )
        scored = [Scored.of(o.method, o.val_auc, o.test_auc) for o in outcomes]
        aucs.append(pick(scored, set(), "mean").test_auc)
    return aucs


def probe_tasks(
    sae: LoadedSAE,
    control: LoadedSAE,
    rows: ProbingRows,
    tasks: Sequence[ProbingTask],
    protocol: Protocol,
    regimes: Sequence[RegimeName],
    logistic: dict[tuple[int, str], list[float]],
) -> dict[int, dict[str, TaskScores]]:
    """feature -> regime -> mean test AUCs of the SAE probe, the baseline and the control."""
    latents, control_latents = sae.encode_sparse(rows.X), control.encode_sparse(rows.X)
    found: dict[int, dict[str, TaskScores]] = {}
    for task in tasks:
        found[task.feature] = {}
        for regime in regimes:
            ours = sae_aucs(latents, task, protocol, regime, sae.d_sae)
            theirs = sae_aucs(control_latents, task, protocol, regime, control.d_sae)
            found[task.feature][regime] = TaskScores(
                float(np.mean(ours)),
                float(np.mean(logistic[(task.feature, regime)])),
                float(np.mean(theirs)),
            )
    return found


def scores_json(found: dict[int, dict[str, TaskScores]]) -> dict[str, dict[str, dict[str, float]]]:
    return {str(f): {r: asdict(s) for r, s in regimes.items()} for f, regimes in found.items()}


@dataclass(frozen=True, eq=False)
class ProbingContext:
    """What every SAE of a track is probed with: the rows, the tasks, the protocol and the
    logistic baseline's cell AUCs (computed once)."""

    rows: ProbingRows
    tasks: list[ProbingTask]
    protocol: Protocol
    regimes: list[RegimeName]
    logistic: dict[tuple[int, str], list[float]]

    @classmethod
    def build(cls, model: Any, rules: ProbingRules) -> ProbingContext:
        from benchmark.protocols.protocol import load_protocol

        rows = probing_rows(model, rules)
        tasks = probing_tasks(rows, rules)
        protocol = load_protocol(rules.protocol)
        regimes: list[RegimeName] = list(rules.regimes)
        logistic: dict[tuple[int, str], list[float]] = {
            (task.feature, regime): logistic_aucs(rows, task, protocol, regime)
            for task in tasks
            for regime in regimes
        }
        return cls(rows, tasks, protocol, regimes, logistic)

    def probe(self, sae: LoadedSAE, control: LoadedSAE) -> dict[int, dict[str, TaskScores]]:
        return probe_tasks(
            sae, control, self.rows, self.tasks, self.protocol, self.regimes, self.logistic
        )
