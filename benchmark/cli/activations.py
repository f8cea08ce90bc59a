"""``saeprobe activations``: extract and cache model activations for a suite of datasets."""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict

from benchmark.activations.catalog import DEFAULT_MODEL, DTYPE_NAMES, EMBEDDED
from benchmark.cli.options import (
    add_json_option,
    add_source_options,
    add_suite_options,
    datasets_from_args,
    source_from_args,
    write_json,
)
from benchmark.protocols.protocol import DEFAULT_PROTOCOL

EXTRACT_EPILOG = """examples:
  saeprobe activations extract --suite demo
  saeprobe activations extract --suite demo --all-tokens      (for multi-token probing)
  saeprobe activations extract --dataset 117_us_state_FL --dataset 118_us_state_CA
  saeprobe activations extract --model smollm2-135m --hook blocks.15.hook_resid_post --suite full
  saeprobe activations extract --model google/gemma-2-2b --hook blocks.12.hook_resid_post \\
      --suite full --device cuda
  saeprobe activations extract --model ./my-model-folder --hook blocks.3.hook_resid_post \\
      --suite demo --dtype fp32

Activations are cached under $SAEPROBE_CACHE (default ~/.cache/saeprobe/activations), keyed by
model weights, hook, dataset content, max length and dtype; a rerun computes only what is
missing, and an interrupted run resumes from its last committed chunk.
"""


def register(groups: argparse._SubParsersAction) -> None:
    parser = groups.add_parser("activations", help="extract and cache model activations")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    extract = commands.add_parser(
        "extract",
        help="extract last-token activations for a suite",
        epilog=EXTRACT_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    extract.add_argument(
        "--model",
        default=DEFAULT_MODEL,
        help=f"embedded model ({', '.join(EMBEDDED)}), a Hub id, or a local model folder",
    )
    extract.add_argument("--model-revision", help="branch, tag or commit of a Hub model")
    extract.add_argument(
        "--hook",
        help="SAELens hook name, e.g. blocks.15.hook_resid_post (default: the "
        "embedded model's reference hook)",
    )
    add_suite_options(extract)
    extract.add_argument("--protocol", default=DEFAULT_PROTOCOL, help="protocol name or file")
    extract.add_argument("--dtype", choices=sorted(DTYPE_NAMES), default="bf16")
    extract.add_argument("--device", default="cpu", help="cpu, cuda, cuda:1, ...")
    extract.add_argument("--batch-size", type=int, help="prompts per batch (default: 32)")
    extract.add_argument(
        "--all-tokens",
        action="store_true",
        help="every real token (BOS excluded, the protocol's token cap) for multi-token probing",
    )
    extract.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    add_source_options(extract)
    add_json_option(extract)
    extract.set_defaults(handler=run_extract)


def run_extract(args: argparse.Namespace) -> int:
    from benchmark.workflows.activations import ExtractOptions, extract_activations

    options = ExtractOptions(
        model=args.model,
        model_revision=args.model_revision,
        hook=args.hook,
        suite=args.suite,
        datasets=datasets_from_args(args),
        protocol=args.protocol,
        dtype=args.dtype,
        device=args.device,
        batch_size=args.batch_size,
        all_tokens=args.all_tokens,
        progress=not args.no_progress,
        source=source_from_args(args),
    )
    summary = extract_activations(options)
    report = summary.report
    if args.json:
        write_json(
            {
                **asdict(report),
                "tokens_per_second": report.tokens_per_second,
                "cache_bytes": summary.cache_bytes,
            }
        )
        return 0
    sys.stdout.write(
        f"{summary.suite}: {report.datasets} {summary.kind} arrays ({report.datasets_cached} "
        f"already cached), {report.prompts_computed} prompts / {report.tokens_computed} tokens "
        f"computed in {report.seconds:.1f} s ({report.tokens_per_second:.0f} tok/s) at "
        f"{summary.hook} of {summary.model} [{summary.dtype}]\n"
        f"cache: {summary.cache} ({summary.cache_bytes / 1e9:.2f} GB)\n"
    )
    return 0
