"""Provenance of a result: package versions, the harness's own commit (read from the harness's
source folder, never from the caller's working directory), and where the SAE lies, written the
same on every machine."""

from __future__ import annotations

import functools
import subprocess
from importlib import metadata
from pathlib import Path, PurePosixPath

import benchmark
from benchmark.paths import cache_root, hub_snapshot_path
from benchmark.submissions.store import submissions_root

PACKAGES = ("torch", "transformers", "scikit-learn", "xgboost", "numpy", "sae-lens", "datasets")


def package_versions() -> dict[str, str]:
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


@functools.cache
def machine_description() -> str:
    """The CPU's model name and the kernel level torch dispatches to on it (e.g. ``AVX2``,
    ``AVX512``): activations and probes round differently across them."""
    import platform

    import torch

    name = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("model name"):
                name = line.split(":", 1)[1].strip()
                break
    return f"{name}; torch {torch.backends.cpu.get_cpu_capability()}"


def other_activations(recorded: dict[str, str] | None, mine: dict[str, str] | None) -> bool:
    """Whether both sides name their activations' hashes and they differ (a record written
    before schema 4 names none: unknown, never compared)."""
    return recorded is not None and mine is not None and recorded != mine


def harness_commit() -> str | None:
    """The git commit of the checkout the ``benchmark`` package was imported from, if any."""
    source = Path(benchmark.__file__).resolve().parent.parent
    try:
        result = subprocess.run(
            ["git", "-C", str(source), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    dirty = subprocess.run(
        ["git", "-C", str(source), "status", "--porcelain", "--untracked-files=no"],
        capture_output=True,
        text=True,
        timeout=10,
    ).stdout.strip()
    return result.stdout.strip() + ("-dirty" if dirty else "")


def portable_sae_path(path: Path) -> str:
    """An SAE folder named so that two identical runs from different checkouts agree: under the
    submissions folder as ``submissions/<id>/...``, under the cache as ``$SAEPROBE_CACHE/...``,
    a Hub repository's folder as ``hf://ORG/NAME/PATH@COMMIT``, and any other folder (a local
    folder a submission references) by its absolute path. The record's weights hash, beside
    it, says what the folder held."""
    path = path.resolve()
    for root, label in ((submissions_root(), "submissions"), (cache_root(), "$SAEPROBE_CACHE")):
        if path.is_relative_to(root.resolve()):
            return str(PurePosixPath(label, *path.relative_to(root.resolve()).parts))
    return hub_cache_name(path) or str(path)


def hub_cache_name(path: Path) -> str | None:
    """``hf://ORG/NAME/PATH@COMMIT`` for a folder of a model snapshot in the Hub's cache, else
    None."""
    snapshot = hub_snapshot_path(path)
    if snapshot is None:
        return None
    return "hf://" + "/".join([snapshot.repo, *snapshot.parts]) + f"@{snapshot.commit}"
