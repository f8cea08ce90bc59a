"""Where baseline records live: once per model, hook and protocol, under
``$SAEPROBE_CACHE/results/baselines/<model>-<weights>/<hook>/<protocol>-<hash>/``, and shared by
protocols whose baseline rules are equal.

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

import logging
import re
import shutil
from pathlib import Path

from benchmark.activations.catalog import ModelRef
from benchmark.atomic_io import write_text_atomic
from benchmark.paths import cache_root
from benchmark.protocols.protocol import (
    Protocol,
    ProtocolError,
    UnknownProtocolError,
    load_protocol,
)
from benchmark.results.migrations import read_upgraded
from benchmark.results.store import results_dir, scores_path

log = logging.getLogger(__name__)

SAE_ARM_SECTIONS = frozenset({"name", "version", "sae_probe", "control", "validation"})
"""What a baseline cell does not depend on; every other section shapes it."""
FOLDER = re.compile(r"^(?P<name>.+)-(?P<hash>[0-9a-f]{12})$")


def baselines_dir(ref: ModelRef, hook: str, protocol: Protocol) -> Path:
    """The protocol's baselines folder for the model and hook, holding every record a protocol
    with equal baseline rules made there (adopted on each lookup)."""
    model = f"{ref.name.replace('/', '--')}-{ref.weights_hash[:12]}"
    parent = cache_root() / "results" / "baselines" / model / hook
    folder = results_dir(parent, protocol)
    adopt_equal_baselines(parent, protocol, folder)
    return folder


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
    found = []
    for sibling in sorted(parent.iterdir()) if parent.is_dir() else []:
        match = FOLDER.match(sibling.name)
        if sibling == folder or not sibling.is_dir() or match is None:
            continue
        other = loadable(match["name"])
        if other is None or other.content_hash()[:12] != match["hash"]:
            continue
        if baseline_rules_hash(other) == wanted:
            found.append(sibling)
    return found


def loadable(name: str) -> Protocol | None:
    try:
        return load_protocol(name)
    except (UnknownProtocolError, ProtocolError):
        return None
