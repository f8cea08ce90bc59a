"""Intake: ``submit`` turns a SAELens folder into ``submissions/<id>/`` and ``validate`` checks a
submission before any probing. Every check runs before anything is written; a rejected
submission leaves nothing behind (a failed re-validation also removes a stale record).
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from benchmark import __version__
from benchmark.activations.models import ModelRef, hidden_size, resolve_model, sha256_file
from benchmark.atomic_io import write_text_atomic
from benchmark.saes.load import CFG_FILE, WEIGHTS_FILE, load_sae_folder
from benchmark.submissions.checks import SubmissionError, check_sae_folder
from benchmark.submissions.manifest import MANIFEST_FILE, Manifest, manifest_yaml, read_manifest
from benchmark.submissions.measure import claim_problems, measure
from benchmark.submissions.store import SAE_DIR, VALIDATION_FILE, submission_dir


@dataclass(frozen=True)
class Submission:
    folder: Path
    manifest: Manifest

    @property
    def id(self) -> str:
        return self.manifest.id

    def sae_folder(self) -> Path:
        if self.manifest.sae.folder is None:
            raise SubmissionError(
                f"sae.release: {self.id} names SAELens release {self.manifest.sae.release!r}; "
                "fetch it with SAELens and submit the folder (releases need the Hub)"
            )
        folder = Path(self.manifest.sae.folder).expanduser()
        return folder if folder.is_absolute() else self.folder / folder

    def validation(self) -> dict[str, Any] | None:
        path = self.folder / VALIDATION_FILE
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def open_submission(submission_id: str, root: Path | None = None) -> Submission:
    folder = submission_dir(submission_id, root)
    manifest = read_manifest(folder / MANIFEST_FILE)
    if manifest.id != folder.name:
        raise SubmissionError(
            f"id: the manifest says {manifest.id!r}, the folder is {folder.name!r}"
        )
    return Submission(folder, manifest)


def submit(
    source: Path, manifest: Manifest, copy: bool = True, root: Path | None = None
) -> Submission:
    """Check ``source`` against ``manifest`` and create the submission folder atomically."""
    target = submission_dir(manifest.id, root)
    if target.exists():
        raise SubmissionError(f"id: {manifest.id!r} already exists at {target}")
    source = source.expanduser().resolve()
    check_sae_folder(source, manifest, hook_width(manifest))
    recorded = manifest.model_copy(
        update={
            "sae": manifest.sae.model_copy(update={"folder": SAE_DIR if copy else str(source)}),
            "weights_sha256": sha256_file(source / WEIGHTS_FILE),
        }
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{manifest.id}.", dir=target.parent))
    try:
        if copy:
            (staging / SAE_DIR).mkdir()
            for name in (CFG_FILE, WEIGHTS_FILE):
                shutil.copy2(source / name, staging / SAE_DIR / name)
        (staging / MANIFEST_FILE).write_text(manifest_yaml(recorded), encoding="utf-8")
        staging.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return Submission(target, recorded)


def hook_width(manifest: Manifest) -> int:
    return hidden_size(model_for(manifest))


def model_for(manifest: Manifest) -> ModelRef:
    return resolve_model(manifest.model)


def validate(submission: Submission, rows: Callable[[], np.ndarray]) -> dict[str, Any]:
    """The static checks and the weights hash first, then L0 and explained variance measured
    on benchmark activations (``rows()``, only computed once the checks pass); writes
    ``validation.json`` only when everything passes."""
    record_path = submission.folder / VALIDATION_FILE
    try:
        folder = check_submission(submission)
        sae = load_sae_folder(folder)
        measured = measure(sae, rows())
        manifest = submission.manifest
        problems = claim_problems(measured, manifest.claims.l0, manifest.claims.explained_variance)
        if problems:
            raise SubmissionError(problems[0])
    except ValueError:  # any rejection (SubmissionError, SAELoadError, ...) voids a record
        record_path.unlink(missing_ok=True)
        raise
    record = {
        "id": submission.id,
        "status": "validated",
        "weights_sha256": sae.weights_hash,
        "architecture": submission.manifest.architecture,
        "saved_as": sae.architecture,
        "d_in": sae.d_in,
        "width": sae.d_sae,
        "measured": asdict(measured),
        "harness_version": __version__,
    }
    write_text_atomic(record_path, json.dumps(record, indent=2, sort_keys=True) + "\n")
    return record


def check_submission(submission: Submission) -> Path:
    """Static checks and the recorded weights hash; returns the SAE folder."""
    manifest = submission.manifest
    folder = submission.sae_folder()
    check_sae_folder(folder, manifest, hook_width(manifest))
    digest = sha256_file(folder / WEIGHTS_FILE)
    if manifest.weights_sha256 is not None and digest != manifest.weights_sha256:
        raise SubmissionError(
            f"weights_sha256: {WEIGHTS_FILE} hashes to {digest[:12]}..., the manifest records "
            f"{manifest.weights_sha256[:12]}..."
        )
    return folder
