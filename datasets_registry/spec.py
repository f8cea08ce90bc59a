"""Dataset specs: one validated YAML file per binary probing dataset.

A spec is the registry's promise about a dataset: where its rows come from, how raw labels map to
classes (the paper's sorted ``LabelEncoder`` mapping, written out), which family it belongs to, its
out-of-distribution partner, its row counts before and after cleaning, and a content hash of the
loaded rows. A fix to a dataset is a new ``version``, never a silent edit.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from benchmark.errors import SaeprobeError

SPECS_DIR = Path(__file__).parent / "specs"
DATASET_ID = re.compile(r"^(\d+)_(\S.*)$")
SHA256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
Count = Annotated[int, Field(ge=0)]


class Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CleaningCounts(Frozen):
    """Row counts before and after cleaning (dedup identical prompts, drop conflicting ones)."""

    n_rows: Count
    n_rows_clean: Count
    positives: Count
    positives_clean: Count
    duplicate_rows_removed: Count
    conflicting_prompts: Count
    conflict_rows_removed: Count

    @model_validator(mode="after")
    def _counts_add_up(self) -> CleaningCounts:
        removed = self.duplicate_rows_removed + self.conflict_rows_removed
        if self.n_rows - removed != self.n_rows_clean:
            raise ValueError("n_rows - removed rows must equal n_rows_clean")
        return self


class OriginalSplitLeak(Frozen):
    """Test prompts of the paper's normal-regime split that also appear in its training split."""

    n_train: Count
    n_test: Count
    leaked_test_rows: Count


MIN_TEST_ROWS = 100


def paper_rule_test_rows(n_rows: int, positives: int) -> int:
    """Balanced test rows left by the paper's literal rule: a balanced train of min(N - 100, 1024)
    rows counted over all N rows, which ignores class imbalance (cleaning creates some)."""
    n_train = max(min(n_rows - MIN_TEST_ROWS, 1024), 0)
    left_pos = positives - (n_train + 1) // 2
    left_neg = (n_rows - positives) - n_train // 2
    return max(2 * min(left_pos, left_neg), 0)


def normal_test_rows(n_rows: int, positives: int) -> int:
    """Balanced test rows of the normal split sized from the balanced pool: with
    N_bal = 2 * min(positives, negatives), train min(N_bal - 100, 1024), test the balanced rest."""
    balanced = 2 * min(positives, n_rows - positives)
    n_train = max(min(balanced - MIN_TEST_ROWS, 1024), 0)
    return balanced - n_train


class OODSpec(Frozen):
    """An out-of-distribution test set: the covariate-shift regime trains on the partner dataset."""

    source_file: str
    labels: dict[str, Literal[0, 1]]
    counts: CleaningCounts
    content_hash: SHA256
    known_defects: list[str] = []


class DatasetSpec(Frozen):
    id: str
    version: int = Field(default=1, ge=1)
    source_file: str
    family: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    group: str
    description: str
    source: str
    link: str | None = None
    labels: dict[str, Literal[0, 1]]
    counts: CleaningCounts
    original_split: OriginalSplitLeak
    content_hash: SHA256
    ood: OODSpec | None = None
    known_defects: list[str] = []
    superseded_by: str | None = None

    @field_validator("id")
    @classmethod
    def _id_is_number_tag(cls, value: str) -> str:
        if not DATASET_ID.match(value):
            raise ValueError(f"dataset id {value!r} is not of the form '{{number}}_{{tag}}'")
        return value

    @field_validator("labels")
    @classmethod
    def _labels_are_binary(cls, value: dict[str, int]) -> dict[str, int]:
        if sorted(value.values()) != [0, 1]:
            raise ValueError("labels must map exactly two raw labels onto classes 0 and 1")
        return value

    @property
    def test_rows_clean(self) -> int:
        return normal_test_rows(self.counts.n_rows_clean, self.counts.positives_clean)

    @property
    def paper_rule_test_rows_clean(self) -> int:
        return paper_rule_test_rows(self.counts.n_rows_clean, self.counts.positives_clean)

    @property
    def small_test(self) -> bool:
        """Fewer than 100 balanced test rows in the normal split once cleaned."""
        return self.test_rows_clean < MIN_TEST_ROWS

    @property
    def number(self) -> int:
        match = DATASET_ID.match(self.id)
        assert match is not None
        return int(match.group(1))

    @property
    def tag(self) -> str:
        match = DATASET_ID.match(self.id)
        assert match is not None
        return match.group(2)


class UnknownDatasetError(SaeprobeError, KeyError):
    """A dataset id that the registry does not hold."""


def spec_path(dataset_id: str) -> Path:
    return SPECS_DIR / f"{dataset_id}.yaml"


def read_spec(path: Path) -> DatasetSpec:
    return DatasetSpec.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


def write_spec(spec: DatasetSpec, directory: Path = SPECS_DIR) -> Path:
    path = directory / f"{spec.id}.yaml"
    text = yaml.safe_dump(spec.model_dump(mode="json", exclude_defaults=False), sort_keys=False)
    path.write_text(text, encoding="utf-8")
    return path


@functools.cache
def all_specs() -> tuple[DatasetSpec, ...]:
    """Every spec in the registry, ordered by dataset number."""
    specs = [read_spec(path) for path in SPECS_DIR.glob("*.yaml")]
    return tuple(sorted(specs, key=lambda spec: spec.number))


def get_spec(dataset_id: str) -> DatasetSpec:
    """The spec of one dataset; the error suggests close ids on a miss."""
    by_id = {spec.id: spec for spec in all_specs()}
    if dataset_id in by_id:
        return by_id[dataset_id]
    raise UnknownDatasetError(_unknown_message(dataset_id, list(by_id)))


def _unknown_message(dataset_id: str, known: list[str]) -> str:
    import difflib

    close = difflib.get_close_matches(dataset_id, known, n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(close)}?" if close else "; see `saeprobe datasets ls`"
    return f"unknown dataset {dataset_id!r}{hint}"
