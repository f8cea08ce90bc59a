"""Intake: ``submit`` turns a SAELens folder into ``submissions/<id>/`` and ``validate`` checks a
submission before any probing. Every check runs before anything is written; a rejected
submission leaves nothing behind (a failed re-validation also removes a stale record).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from benchmark import __version__
from benchmark.activations.catalog import ModelRef
from benchmark.activations.models import hidden_size, resolve_model
from benchmark.atomic_io import staging_folder, write_text_atomic
from benchmark.errors import SaeprobeError
from benchmark.hashing import sha256_file
from benchmark.protocols.protocol import ValidationRules
from benchmark.saes.cfg import CFG_FILE, WEIGHTS_FILE, SAECfg
from benchmark.saes.load import LoadedSAE, load_sae_folder
from benchmark.saes.measure import Measured, measure
from benchmark.submissions.checks import CheckedSAE, SubmissionError, check_sae_folder
from benchmark.submissions.manifest import (
    MANIFEST_FILE,
    Claims,
    Manifest,
    SAESource,
    manifest_yaml,
    read_manifest,
)
from benchmark.submissions.sources import hub_folder, pinned
from benchmark.submissions.store import SAE_DIR, VALIDATION_FILE, submission_dir

EV_FLOOR = 0.0  # below: worse than predicting the mean; refused
EV_WARNING = 0.5  # below: validated, with a warning


@dataclass(frozen=True)
class Submission:
    folder: Path
    manifest: Manifest

    @property
    def id(self) -> str:
        return self.manifest.id

    def sae_folder(self) -> Path:
        """The local SAELens folder: inside the submission, a folder elsewhere, or a Hub or
        release source's folder (fetched, or read from the Hub cache)."""
        source = self.manifest.sae
        if source.folder is None:
            return hub_folder(source)
        folder = Path(source.folder).expanduser()
        if folder.is_absolute():  # referenced where it lies; checked against weights_sha256
            return folder
        inside = (self.folder / folder).resolve()
        if not inside.is_relative_to(self.folder.resolve()):
            raise SubmissionError(
                f"sae.folder: {folder} leaves the submission folder (a folder elsewhere is "
                "named by its absolute path, with weights_sha256)"
            )
        return inside

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
    folder: Path,
    manifest: Manifest,
    stated: SAESource | None = None,
    copy: bool = False,
    root: Path | None = None,
    cfg: SAECfg | None = None,
) -> Submission:
    """Check the SAELens ``folder`` against ``manifest`` and create the submission folder
    atomically, with the weights' sha256 and where they are: ``stated`` (a Hub or release source
    that ``folder`` was fetched from; default: ``folder`` itself) or, with ``copy``, a copy of the
    two files. ``manifest.sae`` is replaced by what is recorded; ``cfg`` is the folder's cfg when
    the caller has read it already."""
    target = submission_dir(manifest.id, root)
    if target.exists():
        raise SubmissionError(f"id: {manifest.id!r} already exists at {target}")
    folder = folder.expanduser().resolve()
    check_sae_folder(folder, manifest, lambda: hook_width(manifest), cfg)
    recorded = manifest.model_copy(
        update={
            "sae": recorded_source(stated, folder, copy),
            "weights_sha256": sha256_file(folder / WEIGHTS_FILE),
        }
    )
    with staging_folder(target.parent) as staging:
        built = staging / manifest.id
        built.mkdir()
        if copy:
            (built / SAE_DIR).mkdir()
            for name in (CFG_FILE, WEIGHTS_FILE):
                shutil.copyfile(folder / name, built / SAE_DIR / name)
        (built / MANIFEST_FILE).write_text(manifest_yaml(recorded), encoding="utf-8")
        built.rename(target)
    return Submission(target, recorded)


def recorded_source(stated: SAESource | None, folder: Path, copy: bool) -> SAESource:
    """What the manifest records: the copy's folder, a local folder by its absolute path, or
    a Hub source pinned to the commit it was fetched at (a release as named)."""
    if copy:
        return SAESource(folder=SAE_DIR)
    if stated is None or stated.folder is not None:
        return SAESource(folder=str(folder))
    return pinned(stated, folder)


def hook_width(manifest: Manifest) -> int:
    return hidden_size(model_for(manifest))


def model_for(manifest: Manifest) -> ModelRef:
    return resolve_model(manifest.model)


def validate(
    submission: Submission, rows: Callable[[], np.ndarray], rules: ValidationRules
) -> dict[str, Any]:
    """The static checks and the weights hash first, then L0, explained variance and dead
    latents measured on benchmark activations (``rows()``, only computed once the checks pass)
    against the quality floor and the claims, within the protocol's tolerances; writes
    ``validation.json`` only when everything passes."""
    record_path = submission.folder / VALIDATION_FILE
    try:
        folder, digest, checked = check_submission(submission)
        sae = load_sae_folder(folder, weights_hash=digest)
        measured = measure(sae, rows())
        problems = quality_problems(measured) + claim_problems(
            measured, submission.manifest.claims, rules
        )
        if problems:
            raise SubmissionError(problems[0])
    except SaeprobeError:  # any rejection voids an earlier record
        record_path.unlink(missing_ok=True)
        raise
    record = validation_record(submission, sae, checked, measured)
    write_text_atomic(record_path, json.dumps(record, indent=2, sort_keys=True) + "\n")
    return record


def validation_record(
    submission: Submission, sae: LoadedSAE, checked: CheckedSAE, measured: Measured
) -> dict[str, Any]:
    return {
        "id": submission.id,
        "status": "validated",
        "weights_sha256": sae.weights_hash,
        "weights_dtype": checked.weights_dtype,
        "architecture": submission.manifest.architecture,
        "saved_as": sae.architecture,
        "d_in": sae.d_in,
        "width": sae.d_sae,
        "measured": asdict(measured),
        "warnings": quality_warnings(measured),
        "harness_version": __version__,
    }


def quality_problems(measured: Measured) -> list[str]:
    """An SAE that reconstructs worse than the activations' mean is not an SAE of them."""
    if measured.explained_variance < EV_FLOOR:
        return [
            f"explained_variance: {measured.explained_variance:.3f} on {measured.rows} benchmark "
            f"activations, below the floor of {EV_FLOOR:g} (worse than predicting their mean)"
        ]
    return []


def quality_warnings(measured: Measured) -> list[str]:
    """Dead latents are reported, not warned about: on a few thousand benchmark activations
    (one narrow distribution) even the reference SAEs leave 55-84% of their latents silent."""
    if measured.explained_variance < EV_WARNING:
        return [
            f"explained_variance: {measured.explained_variance:.3f}, below {EV_WARNING:g}: the "
            "SAE reconstructs little of these activations (trained on another hook or model?)"
        ]
    return []


def claim_problems(measured: Measured, claims: Claims, rules: ValidationRules) -> list[str]:
    """One line per claim the measurement contradicts."""
    problems = []
    l0, ev, factor = claims.l0, claims.explained_variance, rules.l0_factor
    if l0 is not None and not (l0 / factor <= measured.l0 <= l0 * factor + 1):
        problems.append(
            f"claims.l0: claimed {l0:g}, measured {measured.l0:.1f} on benchmark activations "
            f"(allowed: within a factor of {factor:g})"
        )
    if ev is not None and ev - measured.explained_variance > rules.ev_margin:
        problems.append(
            f"claims.explained_variance: claimed {ev:.3f}, measured "
            f"{measured.explained_variance:.3f} on benchmark activations "
            f"(allowed shortfall {rules.ev_margin:g})"
        )
    return problems


def check_submission(submission: Submission) -> tuple[Path, str, CheckedSAE]:
    """Static checks and the recorded weights hash; returns the SAE folder, that hash and what
    the checks read."""
    manifest = submission.manifest
    folder = submission.sae_folder()
    checked = check_sae_folder(folder, manifest, lambda: hook_width(manifest))
    digest = sha256_file(folder / WEIGHTS_FILE)
    if manifest.weights_sha256 is not None and digest != manifest.weights_sha256:
        raise SubmissionError(
            f"weights_sha256: {WEIGHTS_FILE} hashes to {digest[:12]}..., the manifest records "
            f"{manifest.weights_sha256[:12]}..."
        )
    return folder, digest, checked


def require_validated(submission: Submission, weights_hash: str) -> None:
    """Evaluation needs a validation of exactly these weights."""
    validation = submission.validation()
    if validation is None or validation.get("weights_sha256") != weights_hash:
        raise SubmissionError(
            f"{submission.id} is not validated for these weights: "
            f"run `saeprobe validate {submission.id}` first"
        )
