"""The submission manifest, ``submissions/<id>/submission.yaml``: the SAE, the model and hook it
reads, and what a checkpoint does not carry (architecture, width, training, authors, license).

SAELens saves BatchTopK and Matryoshka-BatchTopK SAEs as JumpReLU, so the checkpoint's
``architecture`` cannot tell them apart: the manifest must say, and intake checks that the
stated method is one the checkpoint's architecture can hold (``SAVED_AS``).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from benchmark.errors import SaeprobeError
from benchmark.saes.recipes import Baseline

SCHEMA_PATH = Path(__file__).parent / "submission.schema.json"
MANIFEST_FILE = "submission.yaml"
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")

Architecture = Literal["standard", "topk", "batchtopk", "jumprelu", "matryoshka_batchtopk", "gated"]

SAVED_AS: dict[str, str] = {
    "standard": "standard",
    "topk": "topk",
    "batchtopk": "jumprelu",
    "jumprelu": "jumprelu",
    "matryoshka_batchtopk": "jumprelu",
    "gated": "gated",
}


class ManifestError(SaeprobeError, ValueError):
    """A manifest that does not parse or validate; the message is one line."""


class Strict(BaseModel):
    """No unknown keys, and no coercion: ``width: true`` is not 1, ``tokens: "5"`` not 5."""

    model_config = ConfigDict(extra="forbid", strict=True)


class SAESource(Strict):
    """Where the weights are: a SAELens folder (a relative path is inside the submission), a
    folder of a Hugging Face Hub repository, or a SAELens release (``benchmark.submissions
    .sources`` resolves each to a local folder)."""

    folder: str | None = Field(None, description="cfg.json + sae_weights.safetensors")
    hub: str | None = Field(None, description="a Hub model repository, org/name")
    path: str | None = Field(None, description="with hub: the SAE's folder in the repository")
    revision: str | None = Field(None, description="with hub: the commit the weights were at")
    release: str | None = Field(None, description="SAELens pretrained release")
    sae_id: str | None = Field(None, description="the SAE's id within the release")

    @model_validator(mode="after")
    def one_source(self) -> SAESource:
        given = [name for name in ("folder", "hub", "release") if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of sae.folder, sae.hub or sae.release")
        if self.release is not None and not self.sae_id:
            raise ValueError("sae.release needs sae.sae_id")
        if self.sae_id is not None and self.release is None:
            raise ValueError("sae.sae_id goes with sae.release")
        if self.hub is None and (self.path is not None or self.revision is not None):
            raise ValueError("sae.path and sae.revision go with sae.hub")
        return self

    @property
    def copied(self) -> bool:
        """The weights lie inside the submission (a relative folder)."""
        return self.folder is not None and not Path(self.folder).expanduser().is_absolute()


class Training(Strict):
    tokens: int = Field(ge=1, description="training tokens")
    corpus: str = Field(min_length=1, description="what the SAE was trained on")
    method: str | None = Field(None, description="trainer and notable settings")


class Claims(Strict):
    """What the authors measured; intake compares them with its own measurement."""

    l0: float | None = Field(None, ge=0)
    explained_variance: float | None = Field(None, le=1)


class RandomBaseline(Strict):
    """A trained random baseline of a reference SAE (Korznikov et al. 2026): trained like it,
    under one constraint on its directions (``benchmark.saes.frozen``)."""

    of: str = Field(description="the reference SAE's id")
    constraint: Baseline


class Manifest(Strict):
    id: str = Field(description="a slug: lowercase letters, digits and dashes")
    display_name: str = Field(min_length=1, max_length=120)
    sae: SAESource
    weights_sha256: str | None = Field(None, pattern=r"^[0-9a-f]{64}$")
    model: str
    hook: str
    architecture: Architecture
    width: int = Field(ge=1, description="number of latents (d_sae)")
    training: Training
    claims: Claims = Claims()
    authors: list[str] = Field(min_length=1)
    license: str
    link: str | None = None
    control_of: str | None = Field(None, description="set on random controls: the SAE's id")
    random_baseline: RandomBaseline | None = Field(
        None, description="set on the sanity-check baselines: what they are a baseline of"
    )

    @field_validator("id")
    @classmethod
    def slug(cls, value: str) -> str:
        return check_id(value)

    @model_validator(mode="after")
    def referenced_weights_are_hashed(self) -> Manifest:
        if not self.sae.copied and self.weights_sha256 is None:
            raise ValueError(
                "weights outside the submission (an absolute sae.folder, sae.hub or "
                "sae.release) need weights_sha256"
            )
        return self


def check_id(value: str) -> str:
    """A slug, so that ``submissions/<id>`` never leaves ``submissions/``."""
    if not ID_PATTERN.fullmatch(value):
        raise ManifestError(
            f"id {value!r} is not a slug (lowercase letters, digits and dashes, at most 63)"
        )
    return value


def read_manifest(path: Path) -> Manifest:
    """Parse and validate; any problem becomes one ``ManifestError`` line."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise ManifestError(f"{path}: no such manifest") from error
    except yaml.YAMLError as error:
        raise ManifestError(f"{path}: not valid YAML ({first_line(str(error))})") from error
    if not isinstance(raw, dict):
        raise ManifestError(f"{path}: a manifest is a YAML mapping")
    return build_manifest(raw, f"{path}: ")


def build_manifest(raw: dict[str, Any], context: str = "") -> Manifest:
    """Validate a mapping; the first problem becomes one ``ManifestError`` line."""
    try:
        return Manifest.model_validate(raw)
    except ValidationError as error:
        problem = error.errors()[0]
        where = ".".join(str(part) for part in problem["loc"]) or "manifest"
        message = str(problem["msg"]).removeprefix("Value error, ")
        raise ManifestError(f"{context}{where}: {message}") from error


def manifest_yaml(manifest: Manifest) -> str:
    data = manifest.model_dump(mode="json", exclude_none=True)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def first_line(text: str) -> str:
    return " ".join(text.split())


def json_schema() -> str:
    return json.dumps(Manifest.model_json_schema(), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":  # python -m benchmark.submissions.manifest: refresh the schema file
    SCHEMA_PATH.write_text(json_schema(), encoding="utf-8")
