"""Suites: named, versioned sets of datasets (``full`` and ``demo``), defined in suites.yaml."""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Literal

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field

from benchmark.errors import SaeprobeError
from datasets_registry.load import PACKAGED, DataSource, load_labeled
from datasets_registry.rows import LabeledPrompts
from datasets_registry.spec import DatasetSpec, all_specs, get_spec

SUITES_FILE = Path(__file__).parent / "suites.yaml"


class UnknownSuiteError(SaeprobeError, KeyError):
    """A suite name not in ``suites.yaml``."""


class Suite(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    description: str
    datasets: list[str] | Literal["all"]
    max_rows: int | None = Field(default=None, ge=2)
    cap_seed: int = 0

    def specs_ids(self) -> list[str]:
        return [spec.id for spec in self.specs()]

    def specs(self) -> list[DatasetSpec]:
        if self.datasets == "all":
            return list(all_specs())
        return [get_spec(dataset_id) for dataset_id in self.datasets]

    def cap(self, data: LabeledPrompts) -> LabeledPrompts:
        """A seeded, class-balanced subsample of at most ``max_rows`` rows, in source order."""
        if self.max_rows is None or len(data) <= self.max_rows:
            return data
        return data.subset(balanced_subsample(data.labels, self.max_rows, self.cap_seed))


def balanced_subsample(labels: np.ndarray, n: int, seed: int) -> np.ndarray:
    """Sorted indices of ``n`` rows, half of each class where possible (the rest from the other)."""
    rng = np.random.default_rng(seed)
    by_class = [rng.permutation(np.flatnonzero(labels == c)) for c in (1, 0)]
    want_pos = min(len(by_class[0]), (n + 1) // 2)
    want_neg = min(len(by_class[1]), n - want_pos)
    want_pos = min(len(by_class[0]), n - want_neg)
    return np.sort(np.concatenate([by_class[0][:want_pos], by_class[1][:want_neg]]))


@functools.cache
def all_suites() -> dict[str, Suite]:
    raw = yaml.safe_load(SUITES_FILE.read_text(encoding="utf-8"))
    return {name: Suite(name=name, **body) for name, body in raw.items()}


def get_suite(name: str) -> Suite:
    suites = all_suites()
    if name not in suites:
        raise UnknownSuiteError(f"unknown suite {name!r}; known suites: {', '.join(suites)}")
    return suites[name]


def select_suite(name: str, datasets: Sequence[str] | None = None) -> Suite:
    """The suite, or with ``datasets`` only those, under the suite's row cap (so a few datasets
    of the demo see exactly the demo's rows)."""
    suite = get_suite(name)
    if not datasets:
        return suite
    for dataset_id in datasets:
        get_spec(dataset_id)  # an unknown id fails here, with a suggestion
    return suite.model_copy(
        update={
            "name": f"{suite.name}-selected",
            "description": "--dataset",
            "datasets": list(datasets),
        }
    )


def iter_suite_data(
    suite: Suite, source: DataSource = PACKAGED, clean: bool = True, include_ood: bool = True
) -> Iterator[LabeledPrompts]:
    """Every dataset of the suite (capped), each followed by its OOD test set when it has one."""
    for spec in suite.specs():
        yield suite.cap(load_labeled(spec, "main", source, clean))
        if include_ood and spec.ood is not None:
            yield load_labeled(spec, "ood", source, clean)
