"""The original study's own code (PyPI sae-probes 0.4.2), loaded as an oracle for the `paper`
protocol without importing the package (its ``__init__`` reads every dataset and imports
transformer_lens): the functions named below are compiled from the installed source files into
one namespace, and only the activation loaders are replaced, by row ids, so that the original's
``X[train_indices]`` hands back which rows it drew."""

from __future__ import annotations

import ast
import functools
import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pandas as pd
from sklearn.preprocessing import LabelEncoder

from datasets_registry.package_files import package_dir

DATA_FUNCTIONS = (
    "get_binary_df",
    "read_dataset_df",
    "read_numbered_dataset_df",
    "get_yvals",
    "get_train_test_indices",
    "get_xy_traintest_specify",
    "get_xy_traintest",
    "get_OOD_traintest",
    "get_training_sizes",
    "get_class_imbalance",
    "get_classimabalance_num_train",
    "get_corrupt_frac",
    "corrupt_ytrain",
)
SAE_FUNCTIONS = ("get_sorted_indices", "mean_act_normalization")


def source_dir() -> Path:
    return package_dir("sae_probes", "pip install --no-deps sae-probes==0.4.2")


def compiled_functions(path: Path, names: tuple[str, ...], namespace: dict[str, Any]) -> None:
    """Compile the top-level functions ``names`` of ``path`` into ``namespace`` (decorators
    included); nothing else of the file runs."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    wanted = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name in names]
    missing = set(names) - {n.name for n in wanted}
    if missing:
        raise LookupError(f"{path.name} has no {sorted(missing)}")
    exec(compile(ast.Module(body=wanted, type_ignores=[]), str(path), "exec"), namespace)


@functools.cache
def original() -> dict[str, Any]:
    """The original's data and SAE-ranking functions; ``get_xyvals`` (and the OOD loader)
    return row ids as the activations."""
    import torch

    root = source_dir()
    namespace: dict[str, Any] = {
        "np": np, "pd": pd, "torch": torch, "LabelEncoder": LabelEncoder, "Path": Path,
        "cache": functools.cache, "DATA_PATH": root / "data", "Callable": Any,
    }  # fmt: skip
    compiled_functions(root / "utils_data.py", DATA_FUNCTIONS, namespace)
    compiled_functions(root / "run_sae_evals.py", SAE_FUNCTIONS, namespace)

    def row_ids(tag: str, hook_name: str, model_name: str, model_cache_path: Any, MAX_AMT: int):
        y = namespace["get_yvals"](tag)
        return np.arange(len(y))[:MAX_AMT], y[:MAX_AMT]

    namespace["get_xyvals"] = row_ids
    namespace["get_xy_OOD"] = lambda *args, **kwargs: (np.zeros(0), np.zeros(0))
    return namespace


@functools.cache
def training_module() -> ModuleType:
    """``sae_probes/utils_training.py`` (its probes), which imports only third-party code."""
    spec = importlib.util.spec_from_file_location(
        "sae_probes_original_training", source_dir() / "utils_training.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def dataset_size(tag: str) -> int:
    return len(original()["read_numbered_dataset_df"](tag))


def drawn_rows(num_train: int, tag: str, **kwargs: Any) -> tuple[np.ndarray, np.ndarray] | None:
    """(train rows, test rows) as ``get_xy_traintest_specify`` draws them, or None where it
    raises (the cell does not exist in the original)."""
    try:
        X_train, _, X_test, _ = original()["get_xy_traintest_specify"](
            num_train, tag, "hook", "model", "cache", **kwargs
        )
    except ValueError:
        return None
    return X_train, X_test


def normal_rows(tag: str, num_train: int | None = None) -> tuple[np.ndarray, np.ndarray] | None:
    """The normal (or, with ``num_train``, scarcity) rows of ``run_baseline_dataset_layer``
    and ``run_baseline_scarcity``."""
    size = dataset_size(tag)
    if num_train is None:
        num_train = min(size - 100, 1024)
    elif num_train > size - 100:
        return None
    return drawn_rows(num_train, tag)


def imbalance_rows(tag: str, frac: float) -> tuple[np.ndarray, np.ndarray] | None:
    """``run_baseline_class_imbalance``'s rows at ``frac`` as given (its baselines pass it
    rounded to 0.05, its SAE code the raw linspace value)."""
    num_train, num_test = original()["get_classimabalance_num_train"](tag)
    return drawn_rows(num_train, tag, pos_ratio=frac, num_test=num_test)


def ood_training_rows(tag: str) -> np.ndarray | None:
    try:
        X_train, _, _, _ = original()["get_OOD_traintest"](tag, "model", "hook", "cache")
    except ValueError:
        return None
    return X_train


def corrupted(y_train: np.ndarray, frac: float) -> np.ndarray:
    return original()["corrupt_ytrain"](y_train, frac)
