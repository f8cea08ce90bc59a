"""Load, validate and hash protocol files (``benchmark/protocols/*.yaml``)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

PROTOCOLS_DIR = Path(__file__).parent
DEFAULT_PROTOCOL = "v1"


class UnknownProtocolError(KeyError):
    def __str__(self) -> str:
        return str(self.args[0])


class ActivationRules(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    max_length: int = Field(ge=1)


class Protocol(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    version: int = Field(ge=1)
    description: str
    clean: bool
    activations: ActivationRules

    def content_hash(self) -> str:
        """sha256 of the canonical JSON of the validated protocol (comments do not count)."""
        canonical = self.model_dump_json(exclude={"description"})
        return hashlib.sha256(canonical.encode()).hexdigest()


def available_protocols() -> list[str]:
    return sorted(path.stem for path in PROTOCOLS_DIR.glob("*.yaml"))


def load_protocol(name_or_path: str = DEFAULT_PROTOCOL) -> Protocol:
    """A protocol by name (``v1``, ``paper``) or by the path of a YAML file."""
    path = Path(name_or_path)
    if not path.suffix:
        path = PROTOCOLS_DIR / f"{name_or_path}.yaml"
    if not path.exists():
        known = ", ".join(available_protocols())
        raise UnknownProtocolError(f"unknown protocol {name_or_path!r}; known: {known}")
    return Protocol.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
