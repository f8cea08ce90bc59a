"""The ablation chain from `paper` to `v1`: what each of the benchmark's fixes changes.

Each step applies one more of v1's rules to the original protocol (`paper`, version 2, which
reproduces sae-probes 0.4.2 row for row), and runs the logistic baseline and the SAE probe
(k 16 and 128) on the same datasets, regimes and SAE, in fp32, one BLAS thread:

    paper          the original code
    + draws        v1's nested class-balanced draws and stratified folds (seed 42 kept)
    + clean        duplicated prompts deduplicated, conflicting ones dropped, balanced pool,
                   covariate shift without training prompts
    + liblinear    the lean search's liblinear solver for the L1 probe (v1's iterations and C)
    + fold ranking latents ranked on each fold's own fitting rows
    + rms scale    kept latents divided by their RMS on the fitting rows
    + standardized the logistic baseline on standardized rows (v1's tolerance, no refit shuffle)
    v1             the rest of v1 (seed 0, quiver ties by the mean, ...): the default protocol

Per step: the mean test AUC of each probe over the cells, the mean SAE-minus-logistic
difference of the SAE probe picked by validation AUC, and the change from the step before. A
record of what the fixes do, not a leaderboard result.

    python benchmarks/paper_ablation.py [--datasets ID ...] [--regimes R ...]
                                        [--submission ref-topk-2048]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from threadpoolctl import threadpool_limits

from benchmark.protocols.protocol import Protocol, load_protocol
from benchmark.results.comparisons import Scored, pick
from benchmark.run.cells import baseline_cell, cell_rows, sae_search
from benchmark.run.jobs import plan_cells
from benchmark.saes.load import load_sae_folder
from benchmark.selection import plan_validation
from benchmark.submissions.intake import open_submission
from benchmark.workflows.evaluate import RunOptions, run_context, suite_arrays

V1 = load_protocol("v1")
STEPS: list[tuple[str, dict[str, Any]]] = [
    ("paper", {}),
    (
        "+ draws",
        {
            "splits": {"original": None},
            "selection": {"folds": None, "holdout": V1.selection.holdout},
        },
    ),
    (
        "+ clean",
        {
            "clean": True,
            "splits": {"pool": V1.splits.pool},
            "regimes": {"covariate_shift": {"drop_train_overlap": True}},
        },
    ),
    (
        "+ liblinear",
        {"sae_probe": {"solver": None, "max_iter": V1.sae_probe.max_iter, "C": V1.sae_probe.C}},
    ),
    ("+ fold ranking", {"sae_probe": {"rank_within_folds": True}}),
    ("+ rms scale", {"sae_probe": {"scale": "rms"}}),
    (
        "+ standardized",
        {
            "baselines": {
                "logistic": {
                    "standardize": True,
                    "tol": V1.baselines.logistic.tol,
                    "refit_shuffle_seed": None,
                    "C": V1.baselines.logistic.C,
                }
            }
        },
    ),
    ("v1", {}),
]
KS = (16, 128)


def merged(base: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in update.items():
        out[key] = merged(base[key], value) if isinstance(value, dict) else value
    return out


def chain() -> list[tuple[str, Protocol]]:
    """The cumulative steps; the last is v1 itself."""
    raw = load_protocol("paper").model_dump()
    steps = []
    for name, update in STEPS[:-1]:
        raw = merged(raw, update)
        steps.append((name, Protocol.model_validate({**raw, "name": f"ablation-{len(steps)}"})))
    return [*steps, ("v1", V1)]


def step_rows(
    protocol: Protocol, folder: Path, datasets: list[str], regimes: list[str], sae_path: Path
) -> list[dict[str, float]]:
    """One row per cell: the test AUC of each probe, and the picked SAE probe's difference."""
    path = folder / f"{protocol.name}.yaml"
    path.write_text(yaml.safe_dump(protocol.model_dump(exclude_none=True)), encoding="utf-8")
    run = RunOptions(
        protocol=str(path), suite="full", datasets=tuple(datasets), dtype="fp32", progress=False
    )
    ctx = run_context(run, None)
    sae = load_sae_folder(sae_path)
    rows = []
    for item in suite_arrays(ctx, run):
        latents = sae.encode_sparse(np.asarray(item.X))
        for regime in regimes:
            key = (item.data.dataset_id, regime)
            baselines = plan_cells([item], protocol, [regime])[key]
            saes = {s.cell.key: s for s in plan_cells([item], protocol, [regime], True)[key]}
            for split in baselines:
                logistic = baseline_cell(ctx, ("logistic",), item, split)[0].methods[0]
                sae_split = saes[split.cell.key]
                plan = plan_validation(sae_split.train_labels, protocol.selection, split.cell.seed)
                Z_train, Z_test = cell_rows(sae_split, latents, None)
                probes = sae_search(protocol.sae_probe, KS, split.cell.seed).run(
                    Z_train, sae_split.train_labels, Z_test, sae_split.test_labels, plan
                )
                scored = [Scored.of(p.method, p.val_auc, p.test_auc) for p in probes]
                picked = pick(scored, set(), "mean").test_auc
                row = {"logistic": logistic.test_auc, "sae - logistic": picked - logistic.test_auc}
                rows.append(row | {p.method: p.test_auc for p in probes})
    return rows


def change(means: dict[str, float], previous: dict[str, float] | None, column: str) -> str:
    return "" if previous is None else f" ({means[column] - previous[column]:+.4f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", nargs="+", default=["117_us_state_FL", "95_toxic_is"])
    parser.add_argument("--regimes", nargs="+", default=["normal", "scarcity", "imbalance"])
    parser.add_argument("--submission", default="ref-topk-2048")
    args = parser.parse_args()
    sae_path = open_submission(args.submission).sae_folder()
    columns = ["logistic", "sae_k16", "sae_k128", "sae - logistic"]
    print(f"| step | cells | {' | '.join(columns)} | CPU s |")
    print(f"|---|---:|{'---:|' * len(columns)}---:|")
    previous: dict[str, float] | None = None
    with tempfile.TemporaryDirectory() as folder, threadpool_limits(limits=1):
        for name, protocol in chain():
            started = time.process_time()
            rows = step_rows(protocol, Path(folder), args.datasets, args.regimes, sae_path)
            means = {c: float(np.mean([r[c] for r in rows])) for c in columns}
            cells = " | ".join(
                f"{means[c]:.4f}"
                + ("" if previous is None else f" ({means[c] - previous[c]:+.4f})")
                for c in columns
            )
            print(f"| {name} | {len(rows)} | {cells} | {time.process_time() - started:.0f} |")
            previous = means


if __name__ == "__main__":
    main()
