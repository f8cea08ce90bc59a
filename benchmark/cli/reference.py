"""``saeprobe reference train``: reproduce the reference SAE suite and submit each SAE."""

from __future__ import annotations

import argparse
import sys

from benchmark.saes.recipes import BASELINES, TrainingSettings, recipes

TRAIN_EPILOG = """examples:
  saeprobe reference train                         (all five architectures, then submit them)
  saeprobe reference train --architectures topk --width 1024 --force
  saeprobe reference train --max-paragraphs 300 --samples 20480   (a quick trial)
  saeprobe reference train --architectures topk --baselines frozen-decoder frozen-encoder

Trains with SAELens's own trainer on blocks.15.hook_resid_post of smollm2-135m, over Python's
standard-library prose, and submits each SAE as submissions/ref-<architecture>-<width>/.
"""


def register(groups: argparse._SubParsersAction) -> None:
    reference = groups.add_parser("reference", help="the reference SAE suite")
    commands = reference.add_subparsers(dest="command", required=True, metavar="COMMAND")
    train = commands.add_parser(
        "train",
        help="train the reference SAEs and submit them",
        epilog=TRAIN_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    defaults = TrainingSettings()
    names = list(recipes(defaults.width, defaults.k))
    train.add_argument("--architectures", nargs="+", choices=names, default=names)
    train.add_argument("--width", type=int, default=defaults.width)
    train.add_argument("--k", type=int, default=defaults.k, help="TopK-family sparsity")
    train.add_argument("--samples", type=int, default=defaults.samples, help="training tokens")
    train.add_argument("--max-paragraphs", type=int, help="a smaller corpus (for quick trials)")
    train.add_argument("--force", action="store_true", help="replace existing submissions")
    train.add_argument(
        "--baselines", nargs="+", choices=BASELINES, default=[], metavar="CONSTRAINT",
        help="instead of the references, train these random baselines of each (trained like it "
        f"under one constraint): {', '.join(BASELINES)}",
    )  # fmt: skip
    train.set_defaults(handler=train_command)


def train_command(args: argparse.Namespace) -> int:
    from benchmark.workflows.reference import ReferenceOptions, train_reference

    options = ReferenceOptions(
        architectures=tuple(args.architectures),
        settings=TrainingSettings(width=args.width, k=args.k, samples=args.samples),
        max_paragraphs=args.max_paragraphs,
        force=args.force,
        baselines=tuple(args.baselines),
    )
    for trained in train_reference(options):
        measured = trained.measured
        sys.stdout.write(
            f"{trained.submission_id}: {trained.seconds:.0f} s, L0 {measured.l0:.1f}, explained "
            f"variance {measured.explained_variance:.3f} (held-out corpus tokens)\n"
        )
    return 0
