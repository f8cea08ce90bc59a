"""Provenance of a result: package versions and the harness's own commit (read from the
harness's source folder, never from the caller's working directory)."""

from __future__ import annotations

import subprocess
from importlib import metadata
from pathlib import Path

import benchmark

PACKAGES = ("torch", "transformers", "scikit-learn", "xgboost", "numpy", "sae-lens", "datasets")


def package_versions() -> dict[str, str]:
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


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
