"""``saeprobe reference train``: reproduce the reference SAE suite and submit each SAE."""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path

import numpy as np
from tqdm import tqdm

from benchmark.activations.hooks import Hook
from benchmark.activations.models import DEFAULT_MODEL, EMBEDDED, load_model, resolve_model
from benchmark.saes.corpus import drop_overlaps, stdlib_paragraphs
from benchmark.saes.load import load_sae_folder
from benchmark.saes.train import TrainingSettings, corpus_activations, recipes, train_suite
from benchmark.submissions.intake import submit
from benchmark.submissions.manifest import build_manifest
from benchmark.submissions.measure import measure
from benchmark.submissions.store import submission_dir
from datasets_registry.suites import get_suite, iter_suite_data

HELD_OUT_FRACTION = 0.05
CORPUS = (
    "Python {version} standard-library prose: the language reference topics (pydoc_data) and "
    "module, class and function docstrings; paragraphs that contain any benchmark prompt "
    "removed; 5% of paragraphs held out for L0 / explained variance"
)


TRAIN_EPILOG = """examples:
  saeprobe reference train                         (all five architectures, then submit them)
  saeprobe reference train --architectures topk --width 1024 --force
  saeprobe reference train --max-paragraphs 300 --samples 20480   (a quick trial)

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
    train.set_defaults(handler=train_command)


def train_command(args: argparse.Namespace) -> int:
    settings = TrainingSettings(width=args.width, k=args.k, samples=args.samples)
    hook = Hook.parse(EMBEDDED[DEFAULT_MODEL].default_hook)
    train_rows, held_out = corpus_split(args.max_paragraphs)
    loaded = load_model(resolve_model(DEFAULT_MODEL), "bf16")  # as the benchmark reads it
    train_x = stack(corpus_activations(loaded, hook, train_rows), len(train_rows), "train")
    test_x = stack(corpus_activations(loaded, hook, held_out), len(held_out), "held out")
    sys.stdout.write(f"corpus: {len(train_x)} training tokens, {len(test_x)} held out\n")
    for trained in train_suite(args.architectures, train_x, settings):
        recipe = recipes(settings.width, settings.k)[trained.name]
        submission_id = f"ref-{trained.name}-{settings.width}"
        with tempfile.TemporaryDirectory() as staging:
            trained.sae.save_inference_model(staging)
            measured = measure(load_sae_folder(Path(staging)), test_x)
            if args.force:
                replace_existing(submission_id)
            manifest = build_manifest(
                {
                    "id": submission_id,
                    "display_name": f"{trained.name} ({settings.width} latents, reference)",
                    "sae": {"folder": staging},
                    "model": DEFAULT_MODEL,
                    "hook": hook.name,
                    "architecture": recipe.architecture,
                    "width": settings.width,
                    "training": {
                        "tokens": settings.samples,
                        "corpus": CORPUS.format(version=sys.version.split()[0]),
                        "method": f"sae_lens {recipe.trainer_class} {recipe.settings}, "
                        f"batch {settings.batch_size}, lr {settings.lr}, seed {settings.seed}, "
                        f"{len(train_x)} unique tokens; trained in {trained.seconds:.0f} s",
                    },
                    "claims": {
                        "l0": round(measured.l0, 2),
                        "explained_variance": round(measured.explained_variance, 4),
                    },
                    "authors": ["saeprobe maintainers"],
                    "license": "MIT",
                }
            )
            submit(Path(staging), manifest)
        sys.stdout.write(
            f"{submission_id}: {trained.seconds:.0f} s, L0 {measured.l0:.1f}, explained "
            f"variance {measured.explained_variance:.3f} (held-out corpus tokens)\n"
        )
    return 0


def corpus_split(limit: int | None) -> tuple[list[str], list[str]]:
    paragraphs = stdlib_paragraphs()[:limit]
    prompts = (p for data in iter_suite_data(get_suite("full")) for p in data.prompts)
    kept, dropped = drop_overlaps(paragraphs, prompts)
    if dropped:
        sys.stdout.write(f"corpus: dropped {dropped} paragraphs that contain benchmark prompts\n")
    held = np.random.default_rng(0).random(len(kept)) < HELD_OUT_FRACTION
    return [p for p, h in zip(kept, held, strict=True) if not h], [
        p for p, h in zip(kept, held, strict=True) if h
    ]


def stack(parts: Iterable[np.ndarray], total: int, label: str) -> np.ndarray:
    arrays = list(tqdm(parts, desc=f"activations ({label})", unit="batch", total=-(-total // 16)))
    return np.concatenate(arrays).astype(np.float32)


def replace_existing(submission_id: str) -> None:
    folder = submission_dir(submission_id)
    if folder.exists():
        shutil.rmtree(folder)
