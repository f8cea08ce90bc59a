"""Where results live and how they are written: deterministic paths, atomic writes.

Baselines: ``$SAEPROBE_CACHE/results/baselines/<model>-<weights>/<hook>/<protocol>-<hash>/``
(``benchmark.results.baselines``).
SAE results: a folder the caller names (``submissions/<id>/results/`` for submissions).
Inside either: ``<dataset>/<regime>.json`` (the record) and ``<dataset>/<regime>.scores.npz``
(per-example test scores). The JSON is written last and is the commit point: a cell listed in
it is complete; anything else is recomputed.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from benchmark.atomic_io import atomic_path, write_text_atomic
from benchmark.protocols.protocol import Protocol
from benchmark.results.migrations import migrate_protocol_folder, read_upgraded
from benchmark.results.schema import ResultRecord


def results_dir(parent: Path, protocol: Protocol) -> Path:
    """``<parent>/<protocol>-<hash>``; results kept under an earlier hash of the same protocol
    are migrated there first (see ``migrations``), so they are never recomputed."""
    folder = parent / protocol_folder(protocol)
    migrate_protocol_folder(parent, protocol, folder)
    return folder


def protocol_folder(protocol: Protocol) -> str:
    return f"{protocol.name}-{protocol.content_hash()[:12]}"


def record_path(root: Path, dataset: str, data_key: str, regime: str) -> Path:
    """``<root>/<dataset>/<data key>/<regime>.json``: the data key names the exact rows and
    activation dtype, so a capped suite and the full dataset never share a record."""
    return root / dataset / data_key / f"{regime}.json"


def scores_path(record: Path) -> Path:
    return record.with_suffix(".scores.npz")


def load_record(path: Path) -> ResultRecord | None:
    """The record at ``path`` in the current schema (older ones are upgraded as read)."""
    if not path.exists():
        return None
    return read_upgraded(path)


def load_scores(path: Path) -> dict[str, np.ndarray]:
    sidecar = scores_path(path)
    if not sidecar.exists():
        return {}
    with np.load(sidecar, allow_pickle=False) as archive:
        return {name: archive[name] for name in archive.files}


def save_record(path: Path, record: ResultRecord, scores: dict[str, np.ndarray]) -> None:
    """Scores first, then the record (the commit point); each file atomically."""
    buffer = io.BytesIO()
    np.savez_compressed(buffer, allow_pickle=False, **scores)
    with atomic_path(scores_path(path)) as temporary:
        temporary.write_bytes(buffer.getvalue())
    write_text_atomic(path, record.model_dump_json(indent=1))
