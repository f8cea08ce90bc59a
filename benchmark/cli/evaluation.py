"""``saeprobe baselines run`` and ``saeprobe eval``: probe the suites under the protocol."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from benchmark.activations.hooks import Hook
from benchmark.activations.models import DEFAULT_MODEL, DTYPES, EMBEDDED, hidden_size, resolve_model
from benchmark.cli.options import (
    add_json_option,
    add_source_options,
    add_suite_options,
    selected_suite,
    source_from_args,
    write_json,
)
from benchmark.cli.submissions import results_folder
from benchmark.evaluate import Records, finished_records, mean_deltas, run_baselines, run_sae
from benchmark.executor import default_workers
from benchmark.paths import cache_root
from benchmark.probes.registry import BASELINES
from benchmark.protocols.protocol import DEFAULT_PROTOCOL, load_protocol
from benchmark.regimes.cells import REGIMES
from benchmark.regimes.generate import parse_regimes
from benchmark.results.store import baselines_dir, protocol_folder
from benchmark.run import DatasetArrays, RunContext, load_suite_arrays
from benchmark.saes.control import cached_control
from benchmark.saes.load import CFG_FILE, LoadedSAE, load_sae_folder
from benchmark.submissions.intake import Submission, open_submission
from benchmark.submissions.measure import sample_rows
from datasets_registry.suites import get_suite

CONTROL_ROWS = 8192
CONTROL_SUITE = "demo"  # the control's calibration rows come from here, not from --dataset
ARMS = ("sae", "control")

BASELINES_EPILOG = """examples:
  saeprobe baselines run --suite demo
  saeprobe baselines run --suite demo --regimes normal scarcity --baselines logistic pca knn
  saeprobe baselines run --model google/gemma-2-2b --hook blocks.12.hook_resid_post --device cuda

Results go to $SAEPROBE_CACHE/results/baselines/<model>/<hook>/<protocol>/; a rerun computes
only the cells that are missing, so an interrupted run continues where it stopped.
"""
EVAL_EPILOG = """examples:
  saeprobe eval my-topk --suite demo         (a submission: the SAE and its random control)
  saeprobe eval ./my-sae --suite demo
  saeprobe eval ./my-sae --suite demo --regimes normal label_noise --protocol paper
  saeprobe eval ./my-sae --suite full --out ./results/my-sae

SAE is a SAELens folder (cfg.json + sae_weights.safetensors). Missing baselines are computed
first and cached; the SAE's own probes are cached under --out and resume like the baselines.
"""


def add_run_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", default=DEFAULT_MODEL, help="embedded model, Hub id or folder")
    parser.add_argument("--model-revision", help="branch, tag or commit of a Hub model")
    parser.add_argument("--hook", help="SAELens hook name (default: the SAE's, else the model's)")
    add_suite_options(parser)
    parser.add_argument("--regimes", nargs="+", choices=REGIMES, help="default: all six")
    parser.add_argument("--protocol", default=DEFAULT_PROTOCOL, help="protocol name or file")
    parser.add_argument("--dtype", choices=sorted(DTYPES), default="bf16")
    parser.add_argument("--device", default="cpu")
    parser.add_argument(
        "--engine",
        choices=["auto", "batched", "sklearn"],
        default="auto",
        help="logistic-probe solver: batched torch or scikit-learn (auto: scikit-learn, measured "
        "faster and the reference)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=default_workers(),
        help="worker processes, one BLAS thread each (default: the usable CPUs, %(default)s)",
    )
    parser.add_argument("--no-progress", action="store_true")
    add_source_options(parser)
    add_json_option(parser)


def register(groups: argparse._SubParsersAction) -> None:
    formatter = argparse.RawDescriptionHelpFormatter
    baselines = groups.add_parser("baselines", help="compute and cache the baseline probes")
    commands = baselines.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = commands.add_parser(
        "run", help="run baselines", epilog=BASELINES_EPILOG, formatter_class=formatter
    )
    add_run_options(run)
    run.add_argument("--baselines", nargs="+", choices=BASELINES, default=list(BASELINES))
    run.set_defaults(handler=run_baselines_command)

    evaluate = groups.add_parser(
        "eval", help="evaluate an SAE", epilog=EVAL_EPILOG, formatter_class=formatter
    )
    evaluate.add_argument("sae", metavar="SAE", help="a submission id or a SAELens SAE folder")
    evaluate.add_argument("--out", type=Path, help="results folder (default under the cache)")
    add_run_options(evaluate)
    evaluate.set_defaults(handler=run_eval_command)


def context(args: argparse.Namespace, hook_name: str | None) -> RunContext:
    hook = hook_name or (EMBEDDED[args.model].default_hook if args.model in EMBEDDED else None)
    if hook is None:
        raise ValueError("--hook is required for models other than the embedded ones")
    return RunContext(
        ref=resolve_model(args.model, args.model_revision),
        hook=Hook.parse(hook),
        protocol=load_protocol(args.protocol),
        dtype=args.dtype,
        device=args.device,
        progress=not args.no_progress,
        engine=args.engine,
        workers=args.workers,
    )


def run_baselines_command(args: argparse.Namespace) -> int:
    ctx = context(args, args.hook)
    regimes = parse_regimes(args.regimes)
    arrays = load_suite_arrays(
        ctx, selected_suite(args), source_from_args(args), all_tokens="multitoken" in regimes
    )
    records = run_baselines(ctx, arrays, regimes, tuple(args.baselines))
    summary = {
        "results": str(baselines_dir(ctx.ref, ctx.hook.name, ctx.protocol)),
        "cells": _count(records),
    }
    if args.json:
        write_json(summary)
    else:
        sys.stdout.write(f"{summary['cells']} baseline cells in {summary['results']}\n")
    return 0


def run_eval_command(args: argparse.Namespace) -> int:
    folder = Path(args.sae).expanduser()
    if not (folder / CFG_FILE).is_file() and "/" not in args.sae:
        return eval_submission(args, open_submission(args.sae))
    sae = load_sae_folder(folder, device=args.device)
    ctx = context(args, args.hook or sae.hook)
    check_width(ctx, sae)
    regimes = parse_regimes(args.regimes)
    arrays = load_suite_arrays(
        ctx, selected_suite(args), source_from_args(args), all_tokens="multitoken" in regimes
    )
    baselines = run_baselines(ctx, arrays, regimes)
    out = args.out or cache_root() / "results" / "saes" / sae.weights_hash[:16] / protocol_folder(
        ctx.protocol
    )
    arms = {"sae": run_sae(ctx, arrays, regimes, sae, baselines, out)}
    report(args, out, arms)
    return 0


def eval_submission(args: argparse.Namespace, submission: Submission) -> int:
    """Evaluate a validated submission and its random control; results go under
    ``submissions/<id>/results/<protocol>/{sae,control}/``."""
    sae = load_sae_folder(submission.sae_folder(), device=args.device)
    require_validated(submission, sae.weights_hash)
    as_submitted = argparse.Namespace(**{**vars(args), "model": submission.manifest.model})
    ctx = context(as_submitted, submission.manifest.hook)
    check_width(ctx, sae)
    regimes = parse_regimes(args.regimes)
    out = args.out or results_folder(submission, ctx)
    arrays = load_suite_arrays(ctx, selected_suite(args), source_from_args(args))
    finished = {arm: finished_records(ctx, arrays, regimes, out / arm) for arm in ARMS}
    if all(records is not None for records in finished.values()):
        report(args, out, {arm: found for arm, found in finished.items() if found is not None})
        return 0  # shipped or already finished: no baselines, no control, no all-token rows
    if "multitoken" in regimes:
        arrays = load_suite_arrays(
            ctx, selected_suite(args), source_from_args(args), all_tokens=True
        )
    baselines = run_baselines(ctx, arrays, regimes)
    calibration = load_suite_arrays(ctx, get_suite(CONTROL_SUITE), source_from_args(args))
    control = control_of(sae, calibration, ctx.protocol.seeds[0])
    arms = {
        "sae": run_sae(ctx, arrays, regimes, sae, baselines, out / "sae"),
        "control": run_sae(ctx, arrays, regimes, control, baselines, out / "control"),
    }
    report(args, out, arms)
    return 0


def require_validated(submission: Submission, weights_hash: str) -> None:
    validation = submission.validation()
    if validation is None or validation.get("weights_sha256") != weights_hash:
        raise ValueError(
            f"{submission.id} is not validated for these weights: "
            f"run `saeprobe validate {submission.id}` first"
        )


def control_of(sae: LoadedSAE, arrays: list[DatasetArrays], seed: int) -> LoadedSAE:
    """The SAE's random control, calibrated on rows sampled from ``arrays`` (the demo suite's,
    whatever is evaluated, so a submission has one control) and cached by the SAE's hash, the
    seed and the calibration rows."""
    return cached_control(sae, sample_rows([item.X for item in arrays], CONTROL_ROWS, seed), seed)


def check_width(ctx: RunContext, sae: LoadedSAE) -> None:
    width = hidden_size(ctx.ref)
    if sae.d_in != width:
        raise ValueError(
            f"SAE d_in {sae.d_in} does not match the width {width} of {ctx.hook.name} "
            f"in {ctx.ref.name}"
        )


def report(args: argparse.Namespace, out: Path, arms: dict[str, Records]) -> None:
    regimes = parse_regimes(args.regimes)
    deltas = {
        arm: {
            regime: {"cells": n, "mean_quiver_delta": d}
            for regime, (n, d) in mean_deltas(records, regimes).items()
        }
        for arm, records in arms.items()
    }
    if args.json:
        write_json({"results": str(out), "arms": deltas})
        return
    sys.stdout.write(f"results: {out}\n")
    for arm, rows in deltas.items():
        for regime, row in rows.items():
            delta = row["mean_quiver_delta"]
            shown = "n/a" if delta is None else f"{delta:+.4f}"
            sys.stdout.write(
                f"  {arm:<8} {regime:<16} {row['cells']:>5} cells  mean quiver delta {shown}\n"
            )


def _count(records: Records) -> int:
    return sum(len(record.cells) for record in records.values())
