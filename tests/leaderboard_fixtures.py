"""Synthetic evaluated submissions for leaderboard tests: manifests, validation records and
result records (with per-example score sidecars) written exactly as ``saeprobe eval`` writes
them, with test AUCs chosen so that the expected ranking and deltas are known."""

from __future__ import annotations

import json
import zlib
from pathlib import Path

import numpy as np
import yaml

from benchmark.results.comparisons import Scored, quiver
from benchmark.results.schema import (
    CellResult,
    MethodResult,
    Provenance,
    QuiverResult,
    ResultRecord,
)
from benchmark.results.store import record_path, save_record

DATASETS = ["1_alpha", "2_beta", "3_gamma", "4_delta", "5_eps ilon"]  # one with a space
LEVELS = {
    "normal": [None],
    "scarcity": [4.0, 16.0, 64.0],
    "imbalance": [0.1, 0.5, 0.9],
    "label_noise": [0.0, 0.25, 0.5],
    "covariate_shift": [None],
}
PROTOCOL_HASH = "a" * 64
BASELINE_AUC = 0.80
N_TEST = 60


def write_ranked_trio(root: Path) -> None:
    """good (0.85, topk) > evil (0.75, jumprelu, a <script> display name) > weak (0.60,
    standard, no control), all under PROTOCOL_HASH."""
    write_submission(root, "good", 0.85, architecture="topk")
    write_submission(root, "weak", 0.60, architecture="standard", control_auc=None)
    write_submission(root, "evil", 0.75, display_name="<script>alert(1)</script>",
                     architecture="jumprelu")  # fmt: skip


def write_submission(
    root: Path,
    submission_id: str,
    sae_auc: float,
    *,
    display_name: str | None = None,
    architecture: str = "topk",
    control_auc: float | None = 0.70,
    protocol_hash: str = PROTOCOL_HASH,
    random_baseline: dict[str, str] | None = None,
    protocol: str = "v1",
) -> Path:
    """A submission whose SAE probe reaches ``sae_auc`` (plus per-dataset noise) everywhere,
    against baselines at ``BASELINE_AUC`` and a control at ``control_auc``; ``random_baseline``:
    the manifest's link from a trained random baseline to its reference."""
    folder = root / submission_id
    folder.mkdir(parents=True)
    manifest = {
        "id": submission_id,
        "display_name": display_name or submission_id,
        "sae": {"folder": "sae"},
        "model": "smollm2-135m",
        "hook": "blocks.15.hook_resid_post",
        "architecture": architecture,
        "width": 2048,
        "training": {"tokens": 1000, "corpus": "synthetic"},
        "authors": ["tests"],
        "license": "MIT",
    }
    if random_baseline is not None:
        manifest["random_baseline"] = random_baseline
    (folder / "submission.yaml").write_text(yaml.safe_dump(manifest), encoding="utf-8")
    measured = {"l0": 32.0, "explained_variance": 0.9, "dead_fraction": 0.25}
    validation = {"status": "validated", "measured": measured}
    (folder / "validation.json").write_text(json.dumps(validation), encoding="utf-8")
    results = folder / "results" / f"{protocol}-{protocol_hash[:12]}"
    arms = {"sae": sae_auc} if control_auc is None else {"sae": sae_auc, "control": control_auc}
    for arm, auc in arms.items():
        for index, dataset in enumerate(DATASETS):
            for regime, levels in LEVELS.items():
                # A per-dataset offset, the same across submissions, keeps datasets distinct.
                cells = [make_cell(dataset, regime, level, auc + 0.01 * index) for level in levels]
                write_record(results / arm, dataset, regime, cells, protocol_hash, arm, protocol)
    return folder


def make_cell(dataset: str, regime: str, level: float | None, sae_auc: float) -> CellResult:
    methods = [
        MethodResult(method="logistic", params={}, val_auc=0.80, test_auc=BASELINE_AUC,
                     test_accuracy=0.7),
        MethodResult(method="sae_k16", params={"k": 16}, val_auc=0.90, test_auc=sae_auc,
                     test_accuracy=0.7),
        MethodResult(method="sae_k128", params={"k": 128}, val_auc=0.50, test_auc=0.5,
                     test_accuracy=0.5),
    ]  # fmt: skip
    baselines, sae = methods[:1], methods[1:]
    arrows = quiver(
        [Scored.of(m.method, m.val_auc, m.test_auc) for m in baselines],
        [Scored.of(m.method, m.val_auc, m.test_auc) for m in sae],
        "mean",
    )
    return CellResult(
        dataset=dataset,
        regime=regime,  # type: ignore[arg-type]
        level=level,
        seed=0,
        n_train=100,
        n_test=N_TEST,
        test_split="ood" if regime == "covariate_shift" else "main",
        selection="holdout",
        methods=sae,
        quiver=QuiverResult(
            baseline_methods=list(arrows.baselines.methods),
            baseline_test_auc=arrows.baselines.test_auc,
            with_sae_methods=list(arrows.with_sae.methods),
            with_sae_test_auc=arrows.with_sae.test_auc,
            delta=arrows.delta,
        ),
    )


def write_record(
    root: Path,
    dataset: str,
    regime: str,
    cells: list[CellResult],
    protocol_hash: str,
    arm: str = "sae",
    protocol: str = "v1",
) -> None:
    record = ResultRecord(
        arm=arm,  # type: ignore[arg-type]
        protocol=protocol,
        protocol_hash=protocol_hash,
        dataset=dataset,
        regime=regime,  # type: ignore[arg-type]
        provenance=Provenance(
            harness_version="0.1.0",
            harness_commit=None,
            packages={},
            model="smollm2-135m",
            model_weights_hash="b" * 64,
            hook="blocks.15.hook_resid_post",
            activation_dtype="bf16",
            dataset_hashes={dataset: "c" * 64},
        ),
        cells=cells,
    )
    rng = np.random.default_rng(zlib.crc32(f"{dataset}|{regime}".encode()))
    labels = np.repeat([0, 1], N_TEST // 2).astype(np.int8)
    scores = {}
    for cell in cells:
        scores[f"{cell.key}/test_labels"] = labels
        scores[f"{cell.key}/test_rows"] = np.arange(N_TEST, dtype=np.int32)
        for method in cell.methods:
            scores[f"{cell.key}/{method.method}"] = labels + rng.normal(0, 1.2, N_TEST)
    save_record(record_path(root, dataset, "datakey", regime), record, scores)
