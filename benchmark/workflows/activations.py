"""The extraction journey: last-token (or all-token) activations of a suite, cached."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from benchmark.activations.catalog import DEFAULT_MODEL, hook_or_default
from benchmark.activations.extract import ExtractionSettings
from benchmark.activations.hooks import Hook
from benchmark.activations.models import resolve_model
from benchmark.activations.pipeline import (
    ExtractionReport,
    extract_all_tokens_to_store,
    extract_to_store,
)
from benchmark.activations.store import ActivationStore
from benchmark.protocols.protocol import DEFAULT_PROTOCOL, load_protocol
from datasets_registry.load import PACKAGED, DataSource
from datasets_registry.suites import iter_suite_data, select_suite


@dataclass(frozen=True)
class ExtractOptions:
    model: str = DEFAULT_MODEL
    model_revision: str | None = None
    hook: str | None = None  # default: the embedded model's reference hook
    suite: str = "demo"
    datasets: tuple[str, ...] = ()
    protocol: str = DEFAULT_PROTOCOL
    dtype: str = "bf16"
    device: str = "cpu"
    batch_size: int | None = None  # default: ExtractionSettings's
    all_tokens: bool = False
    progress: bool = True
    source: DataSource = PACKAGED


@dataclass(frozen=True)
class ExtractSummary:
    suite: str
    report: ExtractionReport
    kind: str  # "last-token" or "all-token (at most N per prompt)"
    model: str
    hook: str
    dtype: str
    cache: Path
    cache_bytes: int


def extract_activations(options: ExtractOptions) -> ExtractSummary:
    hook = Hook.parse(hook_or_default(options.hook, options.model))
    protocol = load_protocol(options.protocol)
    settings = ExtractionSettings(
        max_length=protocol.activations.max_length,
        batch_size=options.batch_size or ExtractionSettings.batch_size,
        device=options.device,
    )
    suite = select_suite(options.suite, options.datasets)
    data = list(iter_suite_data(suite, options.source, protocol.clean))
    ref = resolve_model(options.model, options.model_revision)
    store, dtype, progress = ActivationStore(), options.dtype, options.progress
    if options.all_tokens:
        cap = protocol.multitoken.max_tokens
        report = extract_all_tokens_to_store(ref, hook, data, store, cap, settings, dtype, progress)
        kind = f"all-token (at most {cap} per prompt)"
    else:
        report = extract_to_store(ref, hook, data, store, settings, dtype, progress=progress)
        kind = "last-token"
    cache = store.root / report.space
    return ExtractSummary(
        suite.name, report, kind, ref.name, hook.name, dtype, cache, folder_bytes(cache)
    )


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
