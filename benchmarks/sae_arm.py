"""CPU time of the SAE arm (an SAE and its random control) per demo dataset through the
last-token regimes (and multitoken on request): the reference engine (one SAEProbe per
candidate and fold, dense float64 latents: the path before the lean search) against the lean
search under v1's rules, and the lean search under v2's (its shorter C grid and 25-iteration
cap) and v3's (v1's probe on cells of at most 127 training rows, v2's above; v2's and v3's
cells are v1's), in one run, on the same cells, one BLAS thread. With --check, every
cell of the last engine is compared with the submission's shipped records under that engine's
protocol (same methods and parameters, test AUC to 1e-6).
The shipped multitoken records do not reproduce (README, "Known limitation"): expect
mismatches there.

    python benchmarks/sae_arm.py [--submission ref-topk-2048] [--datasets ID ...]
                                 [--regimes R ...] [--engines reference lean v2 v3] [--check]

Needs the demo's cached activations (saeprobe activations extract --suite demo; with
multitoken, also --all-tokens) and the submission's control in the cache (built by saeprobe
eval on first use). Multitoken cells probe max- or mean-pooled latents of every real token: the
pooling is charged to the regime, and the reference engine probes a dense copy of them.
"""

from __future__ import annotations

import argparse
import functools
import json
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from benchmark.activations.catalog import DEFAULT_MODEL, EMBEDDED
from benchmark.activations.hooks import Hook
from benchmark.activations.models import resolve_model
from benchmark.probes.sae_probe import sae_k_values
from benchmark.probes.sae_search import SAEProbeSearch, per_candidate_outcomes
from benchmark.protocols.protocol import SAEProbeRules, load_protocol
from benchmark.regimes.generate import dataset_cells
from benchmark.results.store import load_record, protocol_folder, record_path
from benchmark.results.summary import submission_results
from benchmark.run.cells import cell_rows
from benchmark.run.context import DatasetArrays, RunContext, load_suite_arrays
from benchmark.saes.load import LoadedSAE, load_sae_folder
from benchmark.saes.pooling import pooled_latents
from benchmark.selection import plan_validation
from benchmark.submissions.intake import open_submission
from benchmark.workflows.evaluate import control_of
from datasets_registry.load import PACKAGED
from datasets_registry.suites import select_suite

DATASETS = ["5_hist_fig_ismale", "87_glue_cola", "66_living-room", "73_control-group"]
LAST_TOKEN = ["normal", "scarcity", "imbalance", "label_noise", "covariate_shift"]
# engine -> the protocol of its rules
ENGINES = {"reference": "v1", "lean": "v1", "v2": "v2", "v3": "v3"}


def encode(engine: str, sae: LoadedSAE, item: DatasetArrays, regime: str, protocol):  # type: ignore[no-untyped-def]
    """A dataset's latents (main, OOD) as each engine holds them: dense, or CSR."""
    if regime == "multitoken":
        if item.tokens is None:
            raise SystemExit(f"{item.data.dataset_id}: multitoken needs all-token activations")
        pooled = pooled_latents(sae, item.tokens, protocol.multitoken.pooling)
        return (pooled.toarray() if engine == "reference" else pooled), None
    code = sae.encode if engine == "reference" else sae.encode_sparse
    Z = code(np.asarray(item.X))
    return Z, (code(np.asarray(item.X_ood)) if item.X_ood is not None else None)


@functools.cache
def engine_rules(engine: str) -> SAEProbeRules:
    """The SAE-probe rules of the engine's protocol, loaded once (outside the timed work)."""
    return load_protocol(ENGINES[engine]).sae_probe


def run_cells(  # type: ignore[no-untyped-def]
    engine: str, protocol, latents, item: DatasetArrays, regime: str, d_sae: int, costs=None
):
    """{cell key: outcomes} of one engine on one dataset's regime, from encoded latents; each
    cell's (training rows, CPU seconds) appended to ``costs`` when given."""
    Z, Z_ood = latents
    rules = engine_rules(engine)
    ks = sae_k_values(rules, regime, d_sae)
    found = {}
    for split in dataset_cells(item.data, item.ood, protocol, [regime]):
        started = time.process_time()
        Z_train, Z_test = cell_rows(split, Z, Z_ood)
        plan = plan_validation(split.train_labels, protocol.selection, split.cell.seed)
        y, y_test = split.train_labels, split.test_labels
        if engine == "reference":
            Z_train, Z_test = np.asarray(Z_train, np.float64), np.asarray(Z_test, np.float64)
            found[split.cell.key] = per_candidate_outcomes(
                rules, Z_train, y, Z_test, y_test, plan, ks
            )
        else:
            search = SAEProbeSearch(rules, ks)
            found[split.cell.key] = search.run(Z_train, y, Z_test, y_test, plan)
        if costs is not None:
            costs.append((len(split.train), time.process_time() - started))
    return found


def run_regime(  # type: ignore[no-untyped-def]
    engine: str, protocol, sae: LoadedSAE, item: DatasetArrays, regime: str, costs=None
):
    """(CPU seconds, {cell key: outcomes}): encoding and probing one dataset's regime."""
    started = time.process_time()
    latents = encode(engine, sae, item, regime, protocol)
    encoded = time.process_time()
    found = run_cells(engine, protocol, latents, item, regime, sae.d_sae, costs)
    if costs is not None:
        costs.append((0, encoded - started))  # n_train 0: the regime's encoding
    return time.process_time() - started, found


def mismatches(found: dict, folder: Path, item: DatasetArrays, regime: str) -> int:  # type: ignore[type-arg]
    record = load_record(record_path(folder, item.data.dataset_id, item.data_key("bf16"), regime))
    shipped = {cell.key: cell for cell in record.cells} if record else {}
    bad = 0
    for key, outcomes in found.items():
        methods = shipped[key].methods if key in shipped else []
        same = len(methods) == len(outcomes) and all(
            m.method == o.method
            and m.params == {k: v for k, v in o.params.items() if k != "fixed_latents"}
            and abs(m.test_auc - o.test_auc) <= 1e-6
            for m, o in zip(methods, outcomes, strict=False)
        )
        bad += not same
    return bad


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--submission", default="ref-topk-2048")
    parser.add_argument("--datasets", nargs="+", default=DATASETS)
    parser.add_argument("--regimes", nargs="+", default=LAST_TOKEN)
    parser.add_argument("--engines", nargs="+", choices=ENGINES, default=["reference", "lean"])
    parser.add_argument("--check", action="store_true", help="compare lean cells with records")
    parser.add_argument(
        "--cells-json",
        type=Path,
        help="write the harness engines' (lean, v2, v3) per-cell CPU seconds here",
    )
    args = parser.parse_args()

    protocol = load_protocol("v1")
    ref = resolve_model(DEFAULT_MODEL)
    ctx = RunContext(
        ref, Hook.parse(EMBEDDED[DEFAULT_MODEL].default_hook), protocol, progress=False
    )
    submission = open_submission(args.submission)
    sae = load_sae_folder(submission.sae_folder())
    arms = {"sae": sae, "control": control_of(ctx, sae, PACKAGED)}
    for engine in args.engines:
        engine_rules(engine)
    checked = load_protocol(ENGINES[args.engines[-1]])
    results = submission_results(submission.folder) / protocol_folder(checked)
    print(
        "| dataset | arm | regime | cells | "
        + " | ".join(f"{e} CPU s" for e in args.engines)
        + " | ratio | mismatches |"
    )
    print("|---|---|---|---:|" + "---:|" * len(args.engines) + "---:|---:|")
    totals = dict.fromkeys(args.engines, 0.0)
    measured: list[dict[str, object]] = []
    for dataset in args.datasets:
        suite = select_suite("demo", [dataset])
        (item,) = load_suite_arrays(ctx, suite, all_tokens="multitoken" in args.regimes)
        for arm, model in arms.items():
            for regime in args.regimes:
                if regime == "covariate_shift" and item.ood is None:
                    continue
                seconds, found = {}, {}
                with threadpool_limits(limits=1):
                    for engine in args.engines:
                        costs: list[tuple[int, float]] = []
                        seconds[engine], found[engine] = run_regime(
                            engine, protocol, model, item, regime, costs
                        )
                        totals[engine] += seconds[engine]
                        if engine != "reference":
                            measured += cell_costs(dataset, arm, regime, costs, ENGINES[engine])
                last = found[args.engines[-1]]
                bad = mismatches(last, results / arm, item, regime) if args.check else "-"
                ratio = seconds[args.engines[0]] / max(seconds[args.engines[-1]], 1e-9)
                cols = " | ".join(f"{seconds[e]:.1f}" for e in args.engines)
                row = f"| {dataset} | {arm} | {regime} | {len(last)} | {cols} | {ratio:.1f}x"
                print(f"{row} | {bad} |", flush=True)
    cols = " | ".join(f"{totals[e]:.1f}" for e in args.engines)
    ratio = totals[args.engines[0]] / max(totals[args.engines[-1]], 1e-9)
    print(f"| **total** | | | | {cols} | {ratio:.1f}x | |")
    if args.cells_json:
        args.cells_json.write_text(json.dumps(measured, indent=1))


def cell_costs(
    dataset: str, arm: str, regime: str, costs: list[tuple[int, float]], protocol: str
) -> list[dict[str, object]]:
    """Rows for benchmarks/full_suite.py: one per cell, and one (n_train 0) per encoding,
    each naming the protocol whose rules it ran under."""
    return [
        {
            "dataset": dataset,
            "method": arm,
            "regime": regime,
            "protocol": protocol,
            "n_train": n,
            "cpu_s": seconds,
        }
        for n, seconds in costs
    ]


if __name__ == "__main__":
    main()
