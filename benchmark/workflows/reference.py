"""The reference-suite journey: train each reference architecture with SAELens's own trainer on
the embedded model's activations over Python's standard-library prose, measure it on held-out
paragraphs, and submit it as ``submissions/ref-<architecture>-<width>/``."""

from __future__ import annotations

import logging
import shutil
import sys
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from benchmark.activations.catalog import DEFAULT_MODEL, EMBEDDED
from benchmark.activations.hooks import Hook
from benchmark.activations.models import load_model, resolve_model
from benchmark.errors import SaeprobeError
from benchmark.saes.corpus import drop_overlaps, stdlib_paragraphs
from benchmark.saes.load import load_sae_folder
from benchmark.saes.measure import Measured, measure
from benchmark.saes.recipes import TrainingSettings, recipes
from benchmark.saes.train import Trained, corpus_activations, train_suite
from benchmark.submissions.intake import submit
from benchmark.submissions.manifest import build_manifest
from benchmark.submissions.store import SAE_DIR, submission_dir
from datasets_registry.suites import get_suite, iter_suite_data

log = logging.getLogger(__name__)

HELD_OUT_FRACTION = 0.05
CORPUS = (
    "Python {version} standard-library prose: the language reference topics (pydoc_data) and "
    "module, class and function docstrings; paragraphs that contain any benchmark prompt "
    "removed; 5% of paragraphs held out for L0 / explained variance"
)


@dataclass(frozen=True)
class ReferenceOptions:
    architectures: tuple[str, ...]
    settings: TrainingSettings = field(default_factory=TrainingSettings)
    max_paragraphs: int | None = None  # a smaller corpus, for quick trials
    force: bool = False  # replace existing submissions
    baselines: tuple[str, ...] = ()  # train these random baselines of each reference instead


@dataclass(frozen=True)
class ReferenceResult:
    submission_id: str
    seconds: float
    measured: Measured  # on held-out corpus tokens


def train_reference(options: ReferenceOptions) -> Iterator[ReferenceResult]:
    """Train and submit each requested architecture (or its random baselines), yielding each
    as it is submitted."""
    settings = options.settings
    jobs = training_jobs(options)
    hook = Hook.parse(EMBEDDED[DEFAULT_MODEL].default_hook)
    train_rows, held_out = corpus_split(options.max_paragraphs)
    loaded = load_model(resolve_model(DEFAULT_MODEL), "bf16")  # as the benchmark reads it
    train_x = stack(corpus_activations(loaded, hook, train_rows), len(train_rows), "train")
    test_x = stack(corpus_activations(loaded, hook, held_out), len(held_out), "held out")
    log.info("corpus: %d training tokens, %d held out", len(train_x), len(test_x))
    for trained in train_suite(jobs, train_x, settings):
        submission_id = trained_id(trained.name, settings.width, trained.baseline)
        with tempfile.TemporaryDirectory() as staging:
            trained.sae.save_inference_model(staging)
            measured = measure(load_sae_folder(Path(staging)), test_x)
            if options.force:
                replace_existing(submission_id)
            fields = manifest_fields(trained, settings, hook, measured, len(train_x))
            manifest = build_manifest({**fields, "sae": {"folder": SAE_DIR}})
            submit(Path(staging), manifest, copy=True)
        yield ReferenceResult(submission_id, trained.seconds, measured)


def training_jobs(options: ReferenceOptions) -> list[tuple[str, str | None]]:
    """(architecture, None) per reference, or (architecture, baseline) per random baseline of
    a reference that is already submitted."""
    if not options.baselines:
        return [(name, None) for name in options.architectures]
    for name in options.architectures:
        reference = trained_id(name, options.settings.width, None)
        if not submission_dir(reference).is_dir():
            raise SaeprobeError(f"{reference} is not submitted: train the reference first")
    return [(name, kind) for name in options.architectures for kind in options.baselines]


def trained_id(name: str, width: int, baseline: str | None) -> str:
    """``ref-<architecture>-<width>``, and ``-<constraint>`` after it for a random baseline."""
    return f"ref-{name}-{width}" + (f"-{baseline}" if baseline else "")


def manifest_fields(
    trained: Trained, settings: TrainingSettings, hook: Hook, measured: Measured, tokens: int
) -> dict[str, Any]:
    """A reference claims its held-out L0 and explained variance (validation checks them on
    benchmark prompts); a random baseline claims nothing and states them in its method: ReLU's
    frozen decoder fired on 53 latents per held-out token and 159 per benchmark prompt, past
    the claims' tolerance, and a baseline is a measurement of ours, not a submitter's claim."""
    recipe = recipes(settings.width, settings.k)[trained.name]
    kind = trained.baseline
    constraint = f"; constraint {kind} (Korznikov et al. 2026)" if kind else ""
    reference = trained_id(trained.name, settings.width, None)
    l0, ev = round(measured.l0, 2), round(measured.explained_variance, 4)
    held_out = f"; on held-out corpus tokens L0 {l0:g}, explained variance {ev:g}" if kind else ""
    return {
        "id": trained_id(trained.name, settings.width, kind),
        "display_name": f"{trained.name} ({settings.width} latents, "
        + (kind.replace("-", " ") if kind else "reference")
        + ")",
        "model": DEFAULT_MODEL,
        "hook": hook.name,
        "architecture": recipe.architecture,
        "width": settings.width,
        "training": {
            "tokens": settings.samples,
            "corpus": CORPUS.format(version=sys.version.split()[0]),
            "method": f"sae_lens {recipe.trainer_class} {recipe.settings}, "
            f"batch {settings.batch_size}, lr {settings.lr}, seed {settings.seed}, "
            f"{tokens} unique tokens{constraint}; trained in {trained.seconds:.0f} s{held_out}",
        },
        **({"random_baseline": {"of": reference, "constraint": kind}} if kind else {}),
        **({} if kind else {"claims": {"l0": l0, "explained_variance": ev}}),
        "authors": ["saeprobe maintainers"],
        "license": "MIT",
    }


def corpus_split(limit: int | None) -> tuple[list[str], list[str]]:
    paragraphs = stdlib_paragraphs()[:limit]
    prompts = (p for data in iter_suite_data(get_suite("full")) for p in data.prompts)
    kept, dropped = drop_overlaps(paragraphs, prompts)
    if dropped:
        log.info("corpus: dropped %d paragraphs that contain benchmark prompts", dropped)
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
