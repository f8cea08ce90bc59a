"""Explicit upgrades of result records written by earlier versions of the harness.

Results are the product, so an old record is never silently reinterpreted: each step below is
named, says what it changes, and is tested on historic records kept under
``tests/historic_results/``. Records are upgraded as they are read (``upgrade_record``), and a
results folder named after an older protocol hash is rewritten once, atomically, under the
current name (``migrate_protocol_folder``), so finished work is never recomputed.

Step 1 -> 2 (this renovation):
- the constants that shaped the random control (calibration suite and rows, seed, TopK rounds)
  and intake's validation (sample rows and seed, claim tolerances) moved from code into the
  protocol files. The values did not change (a test proves it), so a record made under the old
  hash of a protocol is a record of the new one: ``PROTOCOL_HASHES`` maps old to new;
- the random control's records say ``arm: "control"`` (they said ``"sae"``, and only their
  folder told them apart).

Step 2 -> 3 (intake hardening): ``provenance.sae_path`` no longer depends on where the
repository or the cache lies. It was absolute; a path with a ``/submissions/`` part becomes
``submissions/`` and what follows the last one, a path with a ``/controls/`` part (the cache's
random controls) becomes ``$SAEPROBE_CACHE/controls/`` and what follows; any other path (a
folder a submission references) stays absolute. No result value changes.

Step 3 -> 4 (activations across machines): provenance gains ``activation_hashes`` and
``machine``. A record written before holds neither (None: unknown, never compared); no other
field changes.
"""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path
from typing import Any

from benchmark.atomic_io import staging_folder, write_text_atomic
from benchmark.protocols.protocol import Protocol
from benchmark.results.schema import ResultRecord

log = logging.getLogger(__name__)

SECTIONS_ADDED_IN_2 = frozenset({"control", "validation"})
PROTOCOL_HASHES = {  # protocol hash before step 2 -> after; both full sha256
    "13e4b817308b50a2a7b25817e6e179245601b57e753f737237f4b62db55b04fd": (  # v1
        "c578c5b3199685cae7b56e7599289c14c8a38d720175f3d59b1feb3bf8d6203f"
    ),
    "36fa3fcf053f23d72f155482e4831a5674028e7f59bf66522bf6190bfe5e272a": (  # paper
        "0508fb59d6ddbaf57e7d7b1b465576a6fda6a62cc70c333a58ff1bfc94c18d66"
    ),
}


def upgrade_record(raw: dict[str, Any], arm_folder: str) -> dict[str, Any]:
    """A record's JSON as the current schema writes it; ``arm_folder`` is the name of the folder
    its arm's records live in (``sae``, ``control``, or a protocol folder for baselines)."""
    if raw.get("schema_version", 1) == 1:
        raw = schema_1_to_2(raw, arm_folder)
    if raw["schema_version"] == 2:
        raw = schema_2_to_3(raw)
    if raw["schema_version"] == 3:
        raw = {**raw, "schema_version": 4}  # the new provenance fields default to None
    return raw


def schema_1_to_2(raw: dict[str, Any], arm_folder: str) -> dict[str, Any]:
    upgraded = {**raw, "schema_version": 2}
    upgraded["protocol_hash"] = PROTOCOL_HASHES.get(raw["protocol_hash"], raw["protocol_hash"])
    if arm_folder == "control" and raw["arm"] == "sae":
        upgraded["arm"] = "control"
    return upgraded


def schema_2_to_3(raw: dict[str, Any]) -> dict[str, Any]:
    provenance = dict(raw["provenance"])
    if provenance.get("sae_path"):
        provenance["sae_path"] = portable_legacy_path(provenance["sae_path"])
    return {**raw, "schema_version": 3, "provenance": provenance}


def portable_legacy_path(path: str) -> str:
    for part, label in (
        ("/submissions/", "submissions/"),
        ("/controls/", "$SAEPROBE_CACHE/controls/"),
    ):
        if part in path:
            return label + path.rsplit(part, 1)[1]
    return path


def legacy_hashes(protocol: Protocol) -> list[str]:
    """Earlier hashes of ``protocol``, newest first."""
    current = protocol.content_hash()
    return [old for old, new in PROTOCOL_HASHES.items() if new == current]


def migrate_protocol_folder(parent: Path, protocol: Protocol, current: Path) -> None:
    """When ``current`` (``<parent>/<name>-<hash>``) does not exist but a folder of an earlier
    hash of the same protocol does, rewrite that folder's records under ``current``: every
    record upgraded, every other file copied, in a staging folder renamed into place at the
    end. The old folder is removed afterwards; a crash leaves it intact."""
    if current.exists():
        return
    for old_hash in legacy_hashes(protocol):
        legacy = parent / f"{protocol.name}-{old_hash[:12]}"
        if legacy.is_dir():
            log.info("migrating results %s -> %s", legacy, current.name)
            rewrite_tree(legacy, current)
            shutil.rmtree(legacy)
            return


def read_upgraded(path: Path) -> ResultRecord:
    """The record at ``path`` (``<root>/<arm>/<dataset>/<data key>/<regime>.json``), upgraded."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    return ResultRecord.model_validate(upgrade_record(raw, path.parents[2].name))


def rewrite_tree(source: Path, target: Path) -> None:
    with staging_folder(target.parent) as staging:
        for path in sorted(source.rglob("*")):
            destination = staging / path.relative_to(source)
            if path.is_dir():
                destination.mkdir(parents=True, exist_ok=True)
            elif path.suffix == ".json":
                write_text_atomic(destination, read_upgraded(path).model_dump_json(indent=1))
            else:
                destination.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, destination)
        staging.rename(target)
