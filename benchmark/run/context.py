"""What a run works on: its context (model, hook, protocol, workers) and each dataset's
rows and activations, loaded from the activation store (extracted first when new)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np

from benchmark import __version__
from benchmark.activations.catalog import ModelRef
from benchmark.activations.extract import ExtractionSettings
from benchmark.activations.hooks import Hook
from benchmark.activations.pipeline import (
    extract_all_tokens_to_store,
    extract_to_store,
    space_for,
)
from benchmark.activations.store import ActivationStore
from benchmark.hashing import sha256_array
from benchmark.protocols.protocol import Protocol
from benchmark.ragged import Ragged
from benchmark.regimes.cells import RegimeName
from benchmark.results.provenance import harness_commit, machine_description, package_versions
from benchmark.results.schema import Provenance
from datasets_registry.load import PACKAGED, DataSource
from datasets_registry.rows import LabeledPrompts
from datasets_registry.suites import Suite, iter_suite_data

Executor = Literal["local", "ray"]


@dataclass(frozen=True)
class RunContext:
    ref: ModelRef
    hook: Hook
    protocol: Protocol
    dtype: str = "bf16"
    device: str = "cpu"
    progress: bool = True
    workers: int = 1
    executor: Executor = "local"
    ray_address: str | None = None  # with the Ray executor: a running cluster, else a local one

    @property
    def settings(self) -> ExtractionSettings:
        return ExtractionSettings(
            max_length=self.protocol.activations.max_length, device=self.device
        )


@dataclass(frozen=True, eq=False)
class DatasetArrays:
    """A dataset's rows and activations (main, and OOD when it has a test set)."""

    data: LabeledPrompts
    X: np.ndarray
    ood: LabeledPrompts | None = None
    X_ood: np.ndarray | None = None
    tokens: Ragged | None = None  # every real token of the main rows (multi-token regime)

    def hashes(self) -> dict[str, str]:
        found = {self.data.name: self.data.content_hash()}
        if self.ood is not None:
            found[self.ood.name] = self.ood.content_hash()
        return found

    def activation_hashes(self, regime: RegimeName) -> dict[str, str]:
        """sha256 of the activations ``regime``'s cells read: every real token of the main rows
        under multitoken, else the last-token rows (main and OOD)."""
        if regime == "multitoken":
            if self.tokens is None:
                return {}
            return {
                f"{self.data.name}:tokens": sha256_array(self.tokens.tokens),
                f"{self.data.name}:offsets": sha256_array(self.tokens.offsets),
            }
        found = {self.data.name: sha256_array(self.X)}
        if self.ood is not None and self.X_ood is not None:
            found[self.ood.name] = sha256_array(self.X_ood)
        return found

    def data_key(self, dtype: str) -> str:
        """Names these rows (main and OOD) and the activation dtype in result paths."""
        parts = [f"{name}={digest}" for name, digest in sorted(self.hashes().items())]
        return hashlib.sha256("\n".join([*parts, dtype]).encode()).hexdigest()[:12]


def load_suite_arrays(
    ctx: RunContext,
    suite: Suite,
    source: DataSource = PACKAGED,
    store: ActivationStore | None = None,
    all_tokens: bool = False,
) -> list[DatasetArrays]:
    """Rows of every dataset of the suite and their last-token activations (extracted if new);
    with ``all_tokens``, also every real token of the main rows, under the protocol's cap."""
    store = store or ActivationStore()
    rows = list(iter_suite_data(suite, source, ctx.protocol.clean))
    extract_to_store(ctx.ref, ctx.hook, rows, store, ctx.settings, ctx.dtype, ctx.progress)
    space = space_for(store, ctx.ref, ctx.hook, ctx.settings, ctx.dtype)
    cap = ctx.protocol.multitoken.max_tokens
    if all_tokens:
        main = [data for data in rows if data.split == "main"]
        extract_all_tokens_to_store(
            ctx.ref, ctx.hook, main, store, cap, ctx.settings, ctx.dtype, ctx.progress
        )
    arrays: dict[str, DatasetArrays] = {}
    for data in rows:
        if data.split == "main":
            tokens = space.load_all_tokens(data, cap) if all_tokens else None
            arrays[data.dataset_id] = DatasetArrays(data, space.load(data), tokens=tokens)
        else:
            found = arrays[data.dataset_id]
            arrays[data.dataset_id] = replace(found, ood=data, X_ood=space.load(data))
    return list(arrays.values())


def provenance(
    ctx: RunContext,
    arrays: DatasetArrays,
    regime: RegimeName,
    sae: tuple[str, str] | None = None,
) -> Provenance:
    return Provenance(
        harness_version=__version__,
        harness_commit=harness_commit(),
        packages=package_versions(),
        model=ctx.ref.name,
        model_weights_hash=ctx.ref.weights_hash,
        hook=ctx.hook.name,
        activation_dtype=ctx.dtype,
        sae_path=sae[0] if sae else None,
        sae_weights_hash=sae[1] if sae else None,
        dataset_hashes=arrays.hashes(),
        activation_hashes=arrays.activation_hashes(regime),
        machine=machine_description(),
    )
