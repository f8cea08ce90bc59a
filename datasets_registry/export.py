"""Export the registry as a Hub-ready dataset repository: one parquet per dataset (OOD sets too),
a machine-readable registry.json and a dataset card listing every dataset with its source.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from benchmark.errors import SaeprobeError
from datasets_registry.load import PACKAGED, DataSource, export_relpath, load_raw, to_labeled
from datasets_registry.rows import Split
from datasets_registry.spec import DatasetSpec


class ExportTargetError(SaeprobeError, FileExistsError):
    """An export folder that already holds files."""


CARD_HEADER = """---
license: other
task_categories:
  - text-classification
language:
  - en
pretty_name: SAE sparse-probing datasets (113 binary tasks + 8 OOD test sets)
configs:
{configs}
---

# SAE sparse-probing datasets

The 113 binary probing datasets and 8 out-of-distribution (OOD) test sets of Kantamneni,
Engels, Rajamanoharan, Tegmark & Nanda, *Are Sparse Autoencoders Useful? A Case Study in Sparse
Probing* (ICML 2025, arXiv 2502.16681), exported by the `saeprobe` benchmark from the files
shipped in the `sae-probes` package. Rows are exactly those of the original files (not
deduplicated); `saeprobe` cleans them at load time and checks every file against the content
hash in its registry.

Columns: `prompt` (text), `target` (the raw label as text), `label` (0/1, the explicit mapping
of the registry, identical to the original sorted LabelEncoder order).

Load one dataset with `datasets.load_dataset(REPO, data_files="data/<id>.parquet", split="train")`
or point the benchmark at this repository:
`saeprobe datasets ls --source hub --hub-repo ORG/NAME --revision REV`.

## Citation

```
@inproceedings{{kantamneni2025sparse,
  title={{Are Sparse Autoencoders Useful? A Case Study in Sparse Probing}},
  author={{Kantamneni, Subhash and Engels, Joshua and Rajamanoharan, Senthooran and
          Tegmark, Max and Nanda, Neel}},
  booktitle={{ICML}}, year={{2025}}
}}
```

Each dataset also has its own original source, listed below; cite it when you use that dataset.

## Datasets

| id | family | rows | rows after cleaning | OOD rows | source |
|---|---|---:|---:|---:|---|
"""


def config_name(dataset_id: str, split: Split) -> str:
    base = dataset_id.replace(" ", "_")
    return base if split == "main" else f"{base}_ood"


def write_parquet(spec: DatasetSpec, split: Split, source: DataSource, path: Path) -> None:
    raw = load_raw(spec, split, source)
    labeled = to_labeled(spec, split, raw)
    table = pa.table(
        {
            "prompt": pa.array(list(raw.prompts), pa.string()),
            "target": pa.array(list(raw.targets), pa.string()),
            "label": pa.array(labeled.labels, pa.int8()),
        }
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path)


def dataset_card(specs: Sequence[DatasetSpec]) -> str:
    configs = []
    rows = []
    for spec in specs:
        splits: list[Split] = ["main", "ood"] if spec.ood else ["main"]
        for split in splits:
            configs.append(
                f"  - config_name: {config_name(spec.id, split)}\n"
                f'    data_files: "{export_relpath(spec.id, split)}"'
            )
        ood_rows = spec.ood.counts.n_rows if spec.ood else ""
        source = spec.source.replace("|", "/") + (f" ([link]({spec.link}))" if spec.link else "")
        rows.append(
            f"| {spec.id} | {spec.family} | {spec.counts.n_rows} | {spec.counts.n_rows_clean} "
            f"| {ood_rows} | {source} |"
        )
    return CARD_HEADER.format(configs="\n".join(configs)) + "\n".join(rows) + "\n"


def export_registry(
    specs: Sequence[DatasetSpec],
    out_dir: Path,
    source: DataSource = PACKAGED,
    on_dataset: Callable[[DatasetSpec], object] | None = None,
) -> Path:
    """Write the repository into ``out_dir`` atomically (a temp folder renamed at the end)."""
    out_dir = out_dir.resolve()
    if out_dir.exists() and any(out_dir.iterdir()):
        raise ExportTargetError(f"{out_dir} exists and is not empty")
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".export-", dir=out_dir.parent))
    try:
        for spec in specs:
            write_parquet(spec, "main", source, staging / export_relpath(spec.id, "main"))
            if spec.ood is not None:
                write_parquet(spec, "ood", source, staging / export_relpath(spec.id, "ood"))
            if on_dataset is not None:
                on_dataset(spec)
        registry = [spec.model_dump(mode="json") for spec in specs]
        (staging / "registry.json").write_text(json.dumps(registry, indent=1), encoding="utf-8")
        (staging / "README.md").write_text(dataset_card(specs), encoding="utf-8")
        if out_dir.exists():
            out_dir.rmdir()
        staging.replace(out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return out_dir
