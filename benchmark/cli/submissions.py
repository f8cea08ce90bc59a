"""``saeprobe submit``, ``saeprobe validate`` and ``saeprobe ls``: the submission journey."""

from __future__ import annotations

import argparse
import sys

from benchmark.activations.catalog import DEFAULT_MODEL
from benchmark.cli.options import (
    add_json_option,
    add_suite_options,
    datasets_from_args,
    write_json,
)
from benchmark.protocols.protocol import DEFAULT_PROTOCOL
from benchmark.submissions.manifest import SAVED_AS

SUBMIT_EPILOG = """examples:
  saeprobe submit hf://my-org/my-saes/topk-2k --id my-topk --name "TopK 2k" \
      --architecture topk --tokens 2000000 --corpus "Python docs" --author "A. Researcher" \
      --license MIT
  saeprobe submit release:gpt2-small-res-jb/blocks.8.hook_resid_pre --id jb-l8 ...
  saeprobe submit ./my-sae --copy --id my-topk ...

SOURCE is a SAELens folder (cfg.json + sae_weights.safetensors): a local one, a folder of a
Hugging Face Hub repository (fetched, or read from the Hub cache), or an SAE of a SAELens
release. The manifest records where the weights are (a Hub source at the commit fetched) and
their sha256; --copy copies them into submissions/<id>/sae/ instead. Nothing is written when a
check fails.
"""


VALIDATE_EPILOG = """examples:
  saeprobe validate my-topk
  saeprobe validate my-topk --dataset 5_hist_fig_ismale --json

Checks the cfg and the weights (the same checks as submit, and the recorded sha256) before
computing anything, then measures L0, explained variance and dead latents on the suite's
last-token activations. Refuses an SAE whose explained variance is below 0 (worse than the
activations' mean) or that contradicts the manifest's claims, and warns below 0.5. Writes
validation.json only when every check passes.
"""
VERIFY_EPILOG = """examples:
  saeprobe verify ref-topk-2048                 # 20 cells drawn with seed 0
  saeprobe verify ref-topk-2048 --sample 5 --seed 3 --json

Draws a seeded random sample of the submission's recorded cells (SAE and control arms) and
recomputes each from scratch: the baseline probes refit, the random control rebuilt from the SAE
(its hash must be the one the records name), the SAE probes and the quiver. Every field of the
cell's record (its wall time aside) and its per-example scores must be equal; otherwise one line
names the cell and the first differing field, with exit status 1.
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
    command.add_argument(
        "source",
        metavar="SOURCE",
        help="a SAELens SAE folder, hf://ORG/NAME[/PATH][@REVISION] or release:RELEASE/SAE_ID",
    )
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
    command.add_argument("--copy", action="store_true", help="copy the weights into the submission")
    command.set_defaults(handler=submit_command)

    command = groups.add_parser(
        "validate",
        help="check a submission before any compute",
        epilog=VALIDATE_EPILOG,
        formatter_class=formatter,
    )
    command.add_argument("id", metavar="ID")
    add_suite_options(command)
    command.add_argument(
        "--protocol", default=DEFAULT_PROTOCOL, help="protocol whose validation rules apply"
    )
    command.add_argument("--no-progress", action="store_true")
    add_json_option(command)
    command.set_defaults(handler=validate_command)

    command = groups.add_parser(
        "verify",
        help="recompute a sample of a submission's cells and compare with its records",
        epilog=VERIFY_EPILOG,
        formatter_class=formatter,
    )
    command.add_argument("id", metavar="ID")
    command.add_argument("--sample", type=int, default=20, help="cells to recompute (20)")
    command.add_argument("--seed", type=int, default=0, help="seed of the sample (0)")
    command.add_argument("--suite", default="demo", help="the suite the results were computed on")
    command.add_argument("--protocol", default=DEFAULT_PROTOCOL)
    command.add_argument("--no-progress", action="store_true")
    add_json_option(command)
    command.set_defaults(handler=verify_command)

    command = groups.add_parser(
        "ls", help="list submissions and their status", epilog=LS_EPILOG, formatter_class=formatter
    )
    add_json_option(command)
    command.set_defaults(handler=ls_command)


def submit_command(args: argparse.Namespace) -> int:
    from benchmark.workflows.submission import SubmitOptions, submit_sae

    options = SubmitOptions(
        source=args.source,
        id=args.id,
        name=args.name,
        architecture=args.architecture,
        tokens=args.tokens,
        corpus=args.corpus,
        authors=tuple(args.authors),
        license=args.license,
        model=args.model,
        hook=args.hook,
        training_method=args.training_method,
        link=args.link,
        claims={"l0": args.claim_l0, "explained_variance": args.claim_explained_variance},
        copy=args.copy,
    )
    submission = submit_sae(options)
    sys.stdout.write(f"created {submission.folder}; next: saeprobe validate {submission.id}\n")
    return 0


def validate_command(args: argparse.Namespace) -> int:
    from benchmark.workflows.submission import ValidateOptions, validate_submission

    options = ValidateOptions(
        submission_id=args.id,
        suite=args.suite,
        datasets=datasets_from_args(args),
        protocol=args.protocol,
        progress=not (args.json or args.no_progress),
    )
    record = validate_submission(options)
    for warning in record["warnings"]:
        sys.stderr.write(f"saeprobe: warning: {warning}\n")
    if args.json:
        write_json(record)
        return 0
    measured = record["measured"]
    sys.stdout.write(
        f"{record['id']}: validated ({record['architecture']}, {record['width']} latents, "
        f"L0 {measured['l0']:.1f}, explained variance {measured['explained_variance']:.3f}, "
        f"{measured['dead_fraction']:.1%} dead latents on {measured['rows']} benchmark "
        "activations)\n"
    )
    return 0


def verify_command(args: argparse.Namespace) -> int:
    from benchmark.workflows.verify import VerifyOptions, verify_submission

    options = VerifyOptions(
        submission_id=args.id,
        sample=args.sample,
        seed=args.seed,
        suite=args.suite,
        protocol=args.protocol,
        progress=not (args.json or args.no_progress),
    )
    report = verify_submission(options)
    if args.json:
        write_json({"results": str(report.results), "cells": report.checked,
                    "seconds": round(report.seconds, 1)})  # fmt: skip
        return 0
    sys.stdout.write(
        f"{args.id}: {len(report.checked)} recomputed cells equal their records "
        f"({report.seconds:.0f} s; {report.results})\n"
    )
    return 0


def ls_command(args: argparse.Namespace) -> int:
    from benchmark.workflows.submission import list_submissions

    root, rows = list_submissions()
    if args.json:
        write_json({"root": str(root), "submissions": rows})
        return 0
    if not rows:
        sys.stdout.write(f"no submissions under {root}\n")
    id_width = max((len(row["id"]) for row in rows), default=0) + 2
    for row in rows:
        detail = row.get("error") or (
            f"{row['architecture']:<22}{row['width']:>7}  {', '.join(row['evaluated']) or '-'}"
        )
        sys.stdout.write(f"{row['id']:<{id_width}}{row['status']:<11}{detail}\n")
    return 0
