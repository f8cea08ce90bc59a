"""``saeprobe activations``: extract and cache model activations for a suite of datasets."""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict
from pathlib import Path

from benchmark.activations.extract import ExtractionSettings
from benchmark.activations.hooks import Hook
from benchmark.activations.models import DEFAULT_MODEL, DTYPES, EMBEDDED, resolve_model
from benchmark.activations.pipeline import extract_all_tokens_to_store, extract_to_store
from benchmark.activations.store import ActivationStore
from benchmark.cli.options import (
    add_json_option,
    add_source_options,
    add_suite_options,
    selected_suite,
    source_from_args,
    write_json,
)
from benchmark.protocols.protocol import DEFAULT_PROTOCOL, load_protocol
from datasets_registry.suites import iter_suite_data

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
    extract.add_argument("--dtype", choices=sorted(DTYPES), default="bf16")
    extract.add_argument("--device", default="cpu", help="cpu, cuda, cuda:1, ...")
    extract.add_argument("--batch-size", type=int, default=ExtractionSettings.batch_size)
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
    hook = Hook.parse(args.hook or _default_hook(args.model))
    protocol = load_protocol(args.protocol)
    settings = ExtractionSettings(
        max_length=protocol.activations.max_length,
        batch_size=args.batch_size,
        device=args.device,
    )
    suite = selected_suite(args)
    data = list(iter_suite_data(suite, source_from_args(args), protocol.clean))
    ref = resolve_model(args.model, args.model_revision)
    store = ActivationStore()
    progress = not args.no_progress
    if args.all_tokens:
        cap = protocol.multitoken.max_tokens
        report = extract_all_tokens_to_store(
            ref, hook, data, store, cap, settings, args.dtype, progress=progress
        )
        kind = f"all-token (at most {cap} per prompt)"
    else:
        report = extract_to_store(ref, hook, data, store, settings, args.dtype, progress=progress)
        kind = "last-token"
    disk = folder_bytes(store.root / report.space)
    if args.json:
        write_json(
            {**asdict(report), "tokens_per_second": report.tokens_per_second, "cache_bytes": disk}
        )
        return 0
    sys.stdout.write(
        f"{suite.name}: {report.datasets} {kind} arrays ({report.datasets_cached} already cached), "
        f"{report.prompts_computed} prompts / {report.tokens_computed} tokens computed in "
        f"{report.seconds:.1f} s ({report.tokens_per_second:.0f} tok/s) at {hook.name} of "
        f"{ref.name} [{args.dtype}]\n"
        f"cache: {store.root / report.space} ({disk / 1e9:.2f} GB)\n"
    )
    return 0


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def _default_hook(model: str) -> str:
    if model in EMBEDDED:
        return EMBEDDED[model].default_hook
    raise ValueError("--hook is required for models other than the embedded ones")
