"""``saeprobe submit``, ``saeprobe validate`` and ``saeprobe ls``: the submission journey."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import numpy as np

from benchmark.activations.hooks import Hook
from benchmark.activations.models import DEFAULT_MODEL
from benchmark.cli.options import add_json_option, add_suite_options, selected_suite, write_json
from benchmark.protocols.protocol import load_protocol
from benchmark.results.store import protocol_folder
from benchmark.run import RunContext, load_suite_arrays
from benchmark.submissions.checks import read_cfg_json
from benchmark.submissions.intake import Submission, model_for, open_submission, submit, validate
from benchmark.submissions.manifest import SAVED_AS, Manifest, ManifestError, build_manifest
from benchmark.submissions.measure import sample_rows
from benchmark.submissions.store import RESULTS_DIR, submission_ids, submissions_root
from datasets_registry.suites import Suite

VALIDATION_ROWS = 4096

SUBMIT_EPILOG = """examples:
  saeprobe submit ./my-sae --id my-topk --name "TopK 2k" --architecture topk \\
      --tokens 2000000 --corpus "Python docs" --author "A. Researcher" --license MIT

SOURCE is a SAELens folder (cfg.json + sae_weights.safetensors). Its weights are copied into
submissions/<id>/sae/ (or referenced with --reference) and their sha256 is recorded. Nothing is
written when a check fails.
"""


VALIDATE_EPILOG = """examples:
  saeprobe validate my-topk
  saeprobe validate my-topk --dataset 5_hist_fig_ismale --json

Checks the weights (safetensors only, tensor names and shapes, d_in, finite values, decoder
norms, the recorded sha256) before computing anything, then measures L0 and explained variance
on the suite's last-token activations against the manifest's claims. Writes validation.json only
when every check passes.
"""
LS_EPILOG = """examples:
  saeprobe ls
  saeprobe ls --json

Submissions live in $SAEPROBE_SUBMISSIONS (default ./submissions).
"""


def register(groups: argparse._SubParsersAction) -> None:
    formatter = argparse.RawDescriptionHelpFormatter
    command = groups.add_parser(
        "submit", help="create a submission", epilog=SUBMIT_EPILOG, formatter_class=formatter
    )
    command.add_argument("source", type=Path, metavar="SOURCE", help="a SAELens SAE folder")
    command.add_argument("--id", required=True, help="a slug: lowercase letters, digits, dashes")
    command.add_argument("--name", required=True, help="display name")
    command.add_argument("--architecture", required=True, choices=sorted(SAVED_AS))
    command.add_argument("--model", default=DEFAULT_MODEL)
    command.add_argument("--hook", help="default: the hook in the SAE's cfg.json")
    command.add_argument("--tokens", type=int, required=True, help="training tokens")
    command.add_argument("--corpus", required=True, help="training corpus")
    command.add_argument("--training-method", help="trainer and notable settings")
    command.add_argument("--author", action="append", required=True, dest="authors")
    command.add_argument("--license", required=True)
    command.add_argument("--link")
    command.add_argument("--claim-l0", type=float)
    command.add_argument("--claim-explained-variance", type=float)
    command.add_argument("--reference", action="store_true", help="reference, do not copy")
    command.set_defaults(handler=submit_command)

    command = groups.add_parser(
        "validate",
        help="check a submission before any compute",
        epilog=VALIDATE_EPILOG,
        formatter_class=formatter,
    )
    command.add_argument("id", metavar="ID")
    add_suite_options(command)
    command.add_argument("--no-progress", action="store_true")
    add_json_option(command)
    command.set_defaults(handler=validate_command)

    command = groups.add_parser(
        "ls", help="list submissions and their status", epilog=LS_EPILOG, formatter_class=formatter
    )
    add_json_option(command)
    command.set_defaults(handler=ls_command)


def submit_command(args: argparse.Namespace) -> int:
    manifest = manifest_from_args(args)
    submission = submit(args.source, manifest, copy=not args.reference)
    sys.stdout.write(f"created {submission.folder}; next: saeprobe validate {submission.id}\n")
    return 0


def manifest_from_args(args: argparse.Namespace) -> Manifest:
    cfg = read_cfg_json(args.source.expanduser())
    hook = args.hook or cfg.get("metadata", {}).get("hook_name") or cfg.get("hook_name")
    if not hook:
        raise ManifestError("hook: not in the SAE's cfg.json; pass --hook")
    claims = {"l0": args.claim_l0, "explained_variance": args.claim_explained_variance}
    training = {"tokens": args.tokens, "corpus": args.corpus, "method": args.training_method}
    return build_manifest(
        {
            "id": args.id,
            "display_name": args.name,
            "sae": {"folder": str(args.source)},
            "model": args.model,
            "hook": hook,
            "architecture": args.architecture,
            "width": int(cfg["d_sae"]),
            "training": training,
            "claims": claims,
            "authors": args.authors,
            "license": args.license,
            "link": args.link,
        }
    )


def benchmark_rows(submission: Submission, suite: Suite, progress: bool = True) -> np.ndarray:
    """Last-token activations of the suite at the submission's hook (extracted if new)."""
    ctx = submission_context(submission, progress)
    arrays = load_suite_arrays(ctx, suite)
    return sample_rows([item.X for item in arrays], VALIDATION_ROWS)


def submission_context(submission: Submission, progress: bool) -> RunContext:
    return RunContext(
        ref=model_for(submission.manifest),
        hook=Hook.parse(submission.manifest.hook),
        protocol=load_protocol("v1"),
        progress=progress,
    )


def validate_command(args: argparse.Namespace) -> int:
    submission = open_submission(args.id)
    suite = selected_suite(args)
    record = validate(
        submission, lambda: benchmark_rows(submission, suite, not (args.json or args.no_progress))
    )
    if args.json:
        write_json(record)
    else:
        measured = record["measured"]
        sys.stdout.write(
            f"{submission.id}: validated ({record['architecture']}, {record['width']} latents, "
            f"L0 {measured['l0']:.1f}, explained variance {measured['explained_variance']:.3f} "
            f"on {measured['rows']} benchmark activations)\n"
        )
    return 0


def status(submission_id: str) -> dict[str, Any]:
    try:
        submission = open_submission(submission_id)
    except ValueError as error:
        return {"id": submission_id, "status": "invalid", "error": str(error)}
    validation = submission.validation()
    results = submission.folder / RESULTS_DIR
    evaluated = sorted(p.name for p in results.iterdir() if p.is_dir()) if results.is_dir() else []
    return {
        "id": submission.id,
        "name": submission.manifest.display_name,
        "architecture": submission.manifest.architecture,
        "width": submission.manifest.width,
        "status": validation["status"] if validation else "submitted",
        "evaluated": evaluated,
    }


def ls_command(args: argparse.Namespace) -> int:
    rows = [status(i) for i in submission_ids()]
    if args.json:
        write_json({"root": str(submissions_root()), "submissions": rows})
        return 0
    if not rows:
        sys.stdout.write(f"no submissions under {submissions_root()}\n")
    for row in rows:
        detail = row.get("error") or (
            f"{row['architecture']:<22}{row['width']:>7}  {', '.join(row['evaluated']) or '-'}"
        )
        sys.stdout.write(f"{row['id']:<28}{row['status']:<11}{detail}\n")
    return 0


def results_folder(submission: Submission, ctx: RunContext) -> Path:
    return submission.folder / RESULTS_DIR / protocol_folder(ctx.protocol)
