"""Where baseline records live: once per model, hook and protocol, under
``$SAEPROBE_CACHE/results/baselines/<model>-<weights>/<hook>/<protocol>-<hash>/``, shipped in
git as tables, and shared by protocols whose baseline rules are equal.

The baselines the benchmark ships (``$SAEPROBE_BASELINES``, default ``./leaderboard/baselines``,
one ``<model>-<weights>/<hook>/`` folder of ``records.parquet`` and ``cells.parquet`` per model
and hook) are restored into the cache on every lookup: whatever the cache lacks is written from
them, so an SAE evaluated on a shipped suite is compared with the very baseline cells every
other submission was, and none is recomputed. ``saeprobe baselines ship`` writes them from the
cache. Shipped tables are checked like a submission's summary: every record must name the model,
hook, protocol folder, dataset and regime its id places it under.

A protocol that changes only what the SAE arm does (the SAE probe, the random control, intake's
validation) computes the very same baseline cells as the protocol it came from. So when the
baselines of such a protocol are looked up, every record that a protocol with equal baseline
rules has already made for the same model and hook is adopted: copied under the new protocol's
folder with its ``protocol`` and ``protocol_hash`` set to the new protocol's, its cells,
provenance and score sidecar unchanged. Nothing is adopted from a protocol whose file is gone
or has changed since (its folder's hash must be its current hash), and a record the new
protocol already has is never replaced.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import shutil
from pathlib import Path

from benchmark.activations.catalog import ModelRef
from benchmark.atomic_io import write_text_atomic
from benchmark.paths import cache_root
from benchmark.protocols.protocol import (
    DEFAULT_PROTOCOL,
    Protocol,
    ProtocolError,
    UnknownProtocolError,
    load_protocol,
)
from benchmark.results.migrations import read_upgraded
from benchmark.results.schema import ResultRecord
from benchmark.results.store import load_record, results_dir, scores_path
from benchmark.results.summary import (
    SummaryError,
    restore_record_tables,
    safe_parts,
    write_record_tables,
)

log = logging.getLogger(__name__)

SAE_ARM_SECTIONS = frozenset({"name", "version", "sae_probe", "control", "validation"})
"""What a baseline cell does not depend on; every other section shapes it."""
FOLDER = re.compile(r"^(?P<name>.+)-(?P<hash>[0-9a-f]{12})$")


def baselines_dir(ref: ModelRef, hook: str, protocol: Protocol) -> Path:
    """The protocol's baselines folder for the model and hook, holding every shipped record and
    every record a protocol with equal baseline rules made there (both restored on each
    lookup)."""
    parent = restored_baselines(ref, hook)
    folder = results_dir(parent, protocol)
    adopt_equal_baselines(parent, protocol, folder)
    return folder


def restored_baselines(ref: ModelRef, hook: str) -> Path:
    """The cache's folder of the model and hook, holding at least every shipped record."""
    parent = cache_root() / "results" / "baselines" / model_folder(ref) / hook
    check = functools.partial(check_shipped, ref, hook)
    restore_record_tables(shipped_dir(ref, hook), parent, check)
    return parent


def model_folder(ref: ModelRef) -> str:
    return f"{ref.name.replace('/', '--')}-{ref.weights_hash[:12]}"


def shipped_root() -> Path:
    configured = os.environ.get("SAEPROBE_BASELINES")
    root = Path(configured) if configured else Path.cwd() / "leaderboard" / "baselines"
    return root.expanduser()


def shipped_dir(ref: ModelRef, hook: str) -> Path:
    return shipped_root() / model_folder(ref) / hook


def ship_baselines(ref: ModelRef, hook: str) -> tuple[Path, int]:
    """Write every cached baseline record of the model and hook made under a protocol's current
    hash, the shipped ones included, as the shipped tables (replacing them whole); returns their
    folder and record count. A record that protocols with equal baseline rules hold alike ships
    once, from the default protocol's folder where it has one: the others adopt it on lookup."""
    parent = restored_baselines(ref, hook)
    entries = [
        (path.relative_to(parent).with_suffix("").as_posix(), path, record)
        for path in records_to_ship(parent)
        if (record := load_record(path)) is not None
    ]
    return shipped_dir(ref, hook), write_record_tables(entries, "baselines", shipped_dir(ref, hook))


def records_to_ship(parent: Path) -> list[Path]:
    """The record files under ``parent``'s current protocol folders, one per baseline-rules hash
    and record place (dataset, data key, regime), the default protocol's folder first."""
    folders = sorted(
        current_protocol_folders(parent).items(),
        key=lambda item: (item[1].name != DEFAULT_PROTOCOL, item[0].name),
    )
    seen: set[tuple[str, str]] = set()
    chosen = []
    for folder, protocol in folders:
        rules = baseline_rules_hash(protocol)
        for path in sorted(folder.glob("*/*/*.json")):
            place = (rules, path.relative_to(folder).as_posix())
            if place not in seen:
                seen.add(place)
                chosen.append(path)
    return chosen


def check_shipped(
    ref: ModelRef, hook: str, record_id: str, record: ResultRecord, tables: Path
) -> None:
    """A shipped record's id must be ``<protocol>-<hash>/<dataset>/<data key>/<regime>`` for its
    own protocol, dataset and regime, and the record a baseline record of this model and hook."""
    parts = safe_parts(record_id, 4)
    made = (record.arm, record.provenance.model, record.provenance.model_weights_hash)
    if (
        parts is None
        or [parts[1], parts[3]] != [record.dataset, record.regime]
        or parts[0] != f"{record.protocol}-{record.protocol_hash[:12]}"
        or made != ("baselines", ref.name, ref.weights_hash)
        or record.provenance.hook != hook
    ):
        raise SummaryError(f"{tables}: record {record_id!r} is not a baseline record of {hook}")


def baseline_rules_hash(protocol: Protocol) -> str:
    """The hash of every rule a baseline cell depends on."""
    return protocol.content_hash(exclude=SAE_ARM_SECTIONS)


def adopt_equal_baselines(parent: Path, protocol: Protocol, folder: Path) -> int:
    """Copy into ``folder`` (``<parent>/<protocol>-<hash>``) the records it lacks from sibling
    folders of protocols with equal baseline rules; returns how many were adopted."""
    adopted = 0
    for source in equal_rule_folders(parent, protocol, folder):
        for path in sorted(source.rglob("*.json")):
            target = folder / path.relative_to(source)
            if target.exists():
                continue
            record = read_upgraded(path).model_copy(
                update={"protocol": protocol.name, "protocol_hash": protocol.content_hash()}
            )
            if scores_path(path).is_file():
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(scores_path(path), scores_path(target))
            write_text_atomic(target, record.model_dump_json(indent=1))  # the commit point
            adopted += 1
    if adopted:
        log.info("adopted %d baseline records into %s", adopted, folder)
    return adopted


def equal_rule_folders(parent: Path, protocol: Protocol, folder: Path) -> list[Path]:
    """The other protocol folders under ``parent`` made under a protocol's current hash whose
    baseline rules equal ``protocol``'s."""
    wanted = baseline_rules_hash(protocol)
    return [
        sibling
        for sibling, other in current_protocol_folders(parent).items()
        if sibling != folder and baseline_rules_hash(other) == wanted
    ]


def current_protocol_folders(parent: Path) -> dict[Path, Protocol]:
    """The folders under ``parent`` named ``<protocol>-<hash>`` for a protocol's current hash."""
    found = {}
    for sibling in sorted(parent.iterdir()) if parent.is_dir() else []:
        match = FOLDER.match(sibling.name)
        if not sibling.is_dir() or match is None:
            continue
        other = loadable(match["name"])
        if other is not None and other.content_hash()[:12] == match["hash"]:
            found[sibling] = other
    return found


def loadable(name: str) -> Protocol | None:
    try:
        return load_protocol(name)
    except (UnknownProtocolError, ProtocolError):
        return None
