"""The dataset journeys: list a suite with its cleaning counts, show one dataset (re-verifying
its content hash), export the registry as a Hub-ready dataset repository."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from datasets_registry.load import PACKAGED, DataSource, load_labeled, load_raw
from datasets_registry.spec import MIN_TEST_ROWS, DatasetSpec, get_spec
from datasets_registry.suites import get_suite


def dataset_summary(spec: DatasetSpec) -> dict[str, Any]:
    ood = spec.ood
    return {
        "id": spec.id,
        "family": spec.family,
        "n_rows": spec.counts.n_rows,
        "n_rows_clean": spec.counts.n_rows_clean,
        "duplicate_rows_removed": spec.counts.duplicate_rows_removed,
        "conflicting_prompts": spec.counts.conflicting_prompts,
        "original_split_leaked_test_rows": spec.original_split.leaked_test_rows,
        "original_split_test_rows": spec.original_split.n_test,
        "test_rows_clean": spec.test_rows_clean,
        "paper_rule_test_rows_clean": spec.paper_rule_test_rows_clean,
        "small_test": spec.small_test,
        "ood": ood is not None,
        "ood_rows": ood.counts.n_rows if ood else None,
        "ood_rows_clean": ood.counts.n_rows_clean if ood else None,
    }


def list_datasets(suite: str) -> list[dict[str, Any]]:
    return [dataset_summary(spec) for spec in get_suite(suite).specs()]


def suite_totals(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Totals over ``list_datasets`` rows: rows before and after cleaning, mean leak, flags."""
    return {
        "datasets": len(rows),
        "with_ood": sum(row["ood"] for row in rows),
        "rows": sum(row["n_rows"] for row in rows),
        "rows_clean": sum(row["n_rows_clean"] for row in rows),
        "mean_leak_percent": 100
        * sum(r["original_split_leaked_test_rows"] / r["original_split_test_rows"] for r in rows)
        / max(len(rows), 1),
        "small_test": sum(row["small_test"] for row in rows),
        "paper_rule_small_test": sum(
            row["paper_rule_test_rows_clean"] < MIN_TEST_ROWS for row in rows
        ),
        "min_test_rows": MIN_TEST_ROWS,
    }


def describe_dataset(
    dataset_id: str, source: DataSource = PACKAGED, examples: int = 3
) -> dict[str, Any]:
    """One dataset's spec, its rows' hash recomputed from the source, and a few examples."""
    spec = get_spec(dataset_id)
    raw = load_raw(spec, "main", source)
    clean = load_labeled(spec, "main", source, clean=True)
    return {
        **dataset_summary(spec),
        "description": spec.description,
        "source": spec.source,
        "link": spec.link,
        "labels": spec.labels,
        "content_hash": spec.content_hash,
        "verified_content_hash": raw.content_hash(),
        "known_defects": spec.known_defects,
        "ood_test_set": spec.ood.model_dump(mode="json") if spec.ood else None,
        "examples": [
            {"prompt": clean.prompts[i], "label": int(clean.labels[i])}
            for i in range(min(examples, len(clean)))
        ],
    }


def export_datasets(
    suite: str, out: Path, source: DataSource, on_dataset: Callable[[DatasetSpec], object]
) -> tuple[Path, int]:
    """The suite's datasets as a Hub-ready repository at ``out``; returns it and the count."""
    from datasets_registry.export import export_registry  # pyarrow: only when exporting

    specs = get_suite(suite).specs()
    return export_registry(specs, out, source, on_dataset), len(specs)
