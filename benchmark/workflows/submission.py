"""The submission journeys: submit a SAELens folder, validate a submission on benchmark
activations, list the submissions and their status."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from benchmark.activations.catalog import DEFAULT_MODEL
from benchmark.activations.hooks import Hook
from benchmark.errors import SaeprobeError
from benchmark.protocols.protocol import DEFAULT_PROTOCOL, Protocol, load_protocol
from benchmark.results.summary import submission_results
from benchmark.saes.cfg import read_sae_cfg
from benchmark.saes.measure import sample_rows
from benchmark.submissions.intake import (
    Submission,
    model_for,
    open_submission,
    submit,
    validate,
)
from benchmark.submissions.manifest import Manifest, ManifestError, build_manifest
from benchmark.submissions.sources import hub_folder, parse_source
from benchmark.submissions.store import SAE_DIR, submission_ids, submissions_root
from datasets_registry.suites import Suite, select_suite


@dataclass(frozen=True)
class SubmitOptions:
    """A SAELens folder and what its checkpoint does not say about it."""

    source: str  # a folder, hf://ORG/NAME[/PATH][@REVISION] or release:RELEASE/SAE_ID
    id: str
    name: str
    architecture: str
    tokens: int
    corpus: str
    authors: tuple[str, ...]
    license: str
    model: str = DEFAULT_MODEL
    hook: str | None = None  # default: the hook in the SAE's cfg.json
    training_method: str | None = None
    link: str | None = None
    claims: dict[str, float | None] = field(default_factory=dict)  # l0, explained_variance
    copy: bool = False  # True: copy the weights into the submission instead of naming them


@dataclass(frozen=True)
class ValidateOptions:
    submission_id: str
    suite: str = "demo"
    datasets: tuple[str, ...] = ()
    protocol: str = DEFAULT_PROTOCOL
    progress: bool = True


def submit_sae(options: SubmitOptions) -> Submission:
    """Check the source's folder (fetched first for a Hub or release source) against the
    manifest the options describe, then create the submission (nothing is written when a check
    fails)."""
    stated = parse_source(options.source)
    folder = Path(options.source).expanduser() if stated.folder is not None else hub_folder(stated)
    cfg = read_sae_cfg(folder)
    hook = options.hook or cfg.hook_name
    if not hook:
        raise ManifestError("hook: not in the SAE's cfg.json; pass --hook")
    manifest = build_manifest(manifest_fields(options, hook, cfg.d_sae))
    return submit(folder, manifest, stated, copy=options.copy, cfg=cfg)


def manifest_fields(options: SubmitOptions, hook: str, width: int) -> dict[str, Any]:
    training = {
        "tokens": options.tokens,
        "corpus": options.corpus,
        "method": options.training_method,
    }
    return {
        "id": options.id,
        "display_name": options.name,
        "sae": {"folder": SAE_DIR},  # replaced by where the weights are recorded
        "model": options.model,
        "hook": hook,
        "architecture": options.architecture,
        "width": width,
        "training": training,
        "claims": options.claims,
        "authors": list(options.authors),
        "license": options.license,
        "link": options.link,
    }


def validate_submission(options: ValidateOptions) -> dict[str, Any]:
    """The static checks, then L0 and explained variance on the suite's last-token activations
    against the manifest's claims, under the protocol's validation rules."""
    submission = open_submission(options.submission_id)
    protocol = load_protocol(options.protocol)
    suite = select_suite(options.suite, options.datasets)

    def rows() -> np.ndarray:
        return benchmark_rows(submission.manifest, protocol, suite, options.progress)

    return validate(submission, rows, protocol.validation)


def benchmark_rows(
    manifest: Manifest, protocol: Protocol, suite: Suite, progress: bool
) -> np.ndarray:
    """Last-token activations of the suite at the submission's hook (extracted if new),
    sampled as the protocol's validation rules say."""
    from benchmark.run.context import RunContext, load_suite_arrays  # scikit-learn: 3 s

    ctx = RunContext(
        ref=model_for(manifest),
        hook=Hook.parse(manifest.hook),
        protocol=protocol,
        progress=progress,
    )
    arrays = load_suite_arrays(ctx, suite)
    rules = protocol.validation
    return sample_rows([item.X for item in arrays], rules.rows, rules.seed)


def list_submissions() -> tuple[Path, list[dict[str, Any]]]:
    """The submissions root and one status row per submission."""
    return submissions_root(), [submission_status(i) for i in submission_ids()]


def submission_status(submission_id: str) -> dict[str, Any]:
    try:
        submission = open_submission(submission_id)
    except SaeprobeError as error:
        return {"id": submission_id, "status": "invalid", "error": str(error)}
    validation = submission.validation()
    results = submission_results(submission.folder)
    evaluated = sorted(p.name for p in results.iterdir() if p.is_dir()) if results.is_dir() else []
    return {
        "id": submission.id,
        "name": submission.manifest.display_name,
        "architecture": submission.manifest.architecture,
        "width": submission.manifest.width,
        "status": validation["status"] if validation else "submitted",
        "evaluated": evaluated,
    }
