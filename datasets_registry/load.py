"""Load dataset rows through Hugging Face ``datasets``: offline from the packaged files (default)
or from a Hub repository (or a local directory) laid out like ``saeprobe datasets export``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from benchmark.errors import SaeprobeError
from datasets_registry.clean import clean_indices
from datasets_registry.package_files import sae_probes_data_dir
from datasets_registry.rows import LabeledPrompts, RawRows, Split
from datasets_registry.spec import DatasetSpec, OODSpec

SourceKind = Literal["packaged", "hub"]


class DatasetIntegrityError(SaeprobeError, RuntimeError):
    """Loaded rows do not match the registry's spec (content hash or labels)."""


class DataSourceError(SaeprobeError, ValueError):
    """Flags that do not name one data source."""


@dataclass(frozen=True)
class DataSource:
    """Where rows come from. ``hub_repo`` is ``ORG/NAME`` on the Hub, or a local directory."""

    kind: SourceKind = "packaged"
    hub_repo: str | None = None
    revision: str | None = None

    def __post_init__(self) -> None:
        if self.kind == "hub" and not self.hub_repo:
            raise DataSourceError(
                "--source hub needs --hub-repo ORG/NAME (or a local export folder)"
            )
        if self.kind == "packaged" and (self.hub_repo or self.revision):
            raise DataSourceError("--hub-repo and --revision only apply with --source hub")

    @classmethod
    def from_repo_ref(cls, hub_repo: str, revision: str | None = None) -> DataSource:
        """Accept ``ORG/NAME@REV`` as well as a separate revision."""
        repo, _, ref = hub_repo.partition("@")
        return cls(kind="hub", hub_repo=repo, revision=revision or ref or None)

    @classmethod
    def from_flags(cls, kind: SourceKind, hub_repo: str | None, revision: str | None) -> DataSource:
        """The source ``--source``, ``--hub-repo`` and ``--revision`` name."""
        if kind == "hub" and hub_repo:
            return cls.from_repo_ref(hub_repo, revision)
        return cls(kind=kind, hub_repo=hub_repo, revision=revision)


PACKAGED = DataSource()


def export_relpath(dataset_id: str, split: Split) -> str:
    """Path of a dataset's parquet file inside an exported (Hub-ready) repository."""
    folder = "data" if split == "main" else "ood"
    return f"{folder}/{dataset_id}.parquet"


def packaged_file(spec: DatasetSpec, split: Split) -> Path:
    relative = spec.source_file if split == "main" else _ood_spec(spec).source_file
    return sae_probes_data_dir() / relative


def load_raw(spec: DatasetSpec, split: Split = "main", source: DataSource = PACKAGED) -> RawRows:
    """Rows of one dataset (or its OOD test set) as the source holds them, hash-verified."""
    table = _load_table(spec, split, source)
    rows = RawRows(prompts=table["prompt"], targets=table["target"])
    expected = spec.content_hash if split == "main" else _ood_spec(spec).content_hash
    if rows.content_hash() != expected:
        raise DatasetIntegrityError(
            f"{spec.id} ({split}) from {source.kind} does not match its spec: content hash "
            f"{rows.content_hash()[:12]} != {expected[:12]}"
        )
    return rows


def load_labeled(
    spec: DatasetSpec, split: Split = "main", source: DataSource = PACKAGED, clean: bool = True
) -> LabeledPrompts:
    """Rows with labels mapped by the spec; cleaned (dedup, conflicts dropped) unless told not."""
    raw = load_raw(spec, split, source)
    data = to_labeled(spec, split, raw)
    if not clean:
        return data
    keep, _ = clean_indices(data.prompts, data.labels)
    return data.subset(keep)


def to_labeled(spec: DatasetSpec, split: Split, raw: RawRows) -> LabeledPrompts:
    mapping = spec.labels if split == "main" else _ood_spec(spec).labels
    unknown = sorted(set(raw.targets) - set(mapping))
    if unknown:
        raise DatasetIntegrityError(f"{spec.id} ({split}) has labels outside its spec: {unknown}")
    labels = np.fromiter((mapping[t] for t in raw.targets), dtype=np.int64, count=len(raw))
    return LabeledPrompts(
        dataset_id=spec.id,
        split=split,
        prompts=list(raw.prompts),
        labels=labels,
        row_ids=np.arange(len(raw), dtype=np.int64),
    )


def _ood_spec(spec: DatasetSpec) -> OODSpec:
    if spec.ood is None:
        raise DataSourceError(f"{spec.id} has no OOD test set")
    return spec.ood


def _load_table(spec: DatasetSpec, split: Split, source: DataSource) -> dict[str, list[str]]:
    import datasets

    datasets.disable_progress_bars()
    logging.getLogger("datasets").setLevel(logging.ERROR)
    features = datasets.Features(
        {"prompt": datasets.Value("string"), "target": datasets.Value("string")}
    )
    if source.kind == "packaged":
        loaded = datasets.load_dataset(
            "csv",
            data_files=str(packaged_file(spec, split)),
            split="train",
            features=features,
            usecols=["prompt", "target"],
            keep_default_na=False,
        )
    else:
        loaded = datasets.load_dataset(
            str(source.hub_repo),
            data_files=export_relpath(spec.id, split),
            revision=source.revision,
            split="train",
            columns=["prompt", "target"],
        )
    return {"prompt": list(loaded["prompt"]), "target": list(loaded["target"])}
