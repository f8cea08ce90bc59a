"""Project the CPU time of the full suite (113 datasets) from per-cell CPU seconds measured on the
demo: an SAE and its random control (benchmarks/sae_arm.py --cells-json) and the baselines
(benchmarks/baselines.py --cells-json).

    python benchmarks/full_suite.py MEASURED.json [MEASURED.json ...] [--workers 2 8 32]

Every cell of the full suite is enumerated from the packaged datasets as `eval` would run it
under v1 (cleaned rows, each regime's sizes). A cell costs what the measured cells of the same
method and regime cost at its training size: the mean per measured size, interpolated on log
rows and held flat beyond the measured range. A dataset adds the method's mean measured
encoding per regime (the SAE arm encodes its latents; baselines encode nothing). Wall time
assumes every worker stays busy (thousands of independent cells, one BLAS thread each), which
is the best case; multitoken is projected only where it was measured.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

import numpy as np

from benchmark.protocols.protocol import load_protocol
from benchmark.regimes.generate import dataset_cells
from datasets_registry.load import PACKAGED, load_labeled
from datasets_registry.suites import get_suite


def training_sizes(regimes: list[str]) -> tuple[dict[str, list[int]], dict[str, int]]:
    """(regime -> the training rows of every full-suite cell of that regime, regime -> how many
    datasets have it)."""
    protocol, suite = load_protocol("v1"), get_suite("full")
    sizes: dict[str, list[int]] = defaultdict(list)
    datasets: dict[str, set[str]] = defaultdict(set)
    for spec in suite.specs():
        data = suite.cap(load_labeled(spec, "main", PACKAGED, True))
        ood = load_labeled(spec, "ood", PACKAGED, True) if spec.ood is not None else None
        wanted = [r for r in regimes if r != "covariate_shift" or ood is not None]
        for split in dataset_cells(data, ood, protocol, wanted):  # type: ignore[arg-type]
            sizes[split.cell.regime].append(len(split.train))
            datasets[split.cell.regime].add(spec.id)
    return sizes, {regime: len(ids) for regime, ids in datasets.items()}


def cost_curve(cells: list[tuple[int, float]]) -> tuple[np.ndarray, np.ndarray]:
    """(log sizes, mean CPU s at each size) of the measured cells."""
    by_size: dict[int, list[float]] = defaultdict(list)
    for n, seconds in cells:
        by_size[n].append(seconds)
    sizes = sorted(by_size)
    return np.log(sizes), np.array([np.mean(by_size[n]) for n in sizes])


def project(
    measured: list[dict],
    sizes: dict[str, list[int]],
    datasets: dict[str, int],  # type: ignore[type-arg]
) -> dict[tuple[str, str], float]:
    """(method, regime) -> projected CPU seconds over the full suite."""
    cells: dict[tuple[str, str], list[tuple[int, float]]] = defaultdict(list)
    encodes: dict[tuple[str, str], list[float]] = defaultdict(list)
    for row in measured:
        key = (row["method"], row["regime"])
        if row["n_train"] == 0:
            encodes[key].append(row["cpu_s"])
        else:
            cells[key].append((row["n_train"], row["cpu_s"]))
    projected = {}
    for (method, regime), measured_cells in cells.items():
        if regime not in sizes:
            continue
        log_n, seconds = cost_curve(measured_cells)
        per_cell = np.interp(np.log(sizes[regime]), log_n, seconds)
        encoding = encodes[(method, regime)]
        per_dataset = float(np.mean(encoding)) if encoding else 0.0
        projected[(method, regime)] = float(per_cell.sum()) + per_dataset * datasets[regime]
    return projected


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("measured", nargs="+", type=Path)
    parser.add_argument("--workers", nargs="+", type=int, default=[2, 8, 32])
    args = parser.parse_args()

    measured = [row for path in args.measured for row in json.loads(path.read_text())]
    regimes = sorted({row["regime"] for row in measured})
    sizes, datasets = training_sizes(regimes)
    projected = project(measured, sizes, datasets)
    print("| method | regime | full-suite cells | projected CPU h |")
    print("|---|---|---:|---:|")
    for (method, regime), seconds in sorted(projected.items()):
        print(f"| {method} | {regime} | {len(sizes[regime]):,} | {seconds / 3600:.2f} |")
    groups = {
        "SAE + control": {"sae", "control"},
        "baselines": {m for m, _ in projected} - {"sae", "control"},
    }
    print()
    print("| work | CPU h | " + " | ".join(f"wall on {w} workers" for w in args.workers) + " |")
    print("|---|---:|" + "---:|" * len(args.workers))
    for name, methods in groups.items():
        hours = sum(s for (m, _), s in projected.items() if m in methods) / 3600
        walls = " | ".join(f"{hours / w * 60:.0f} min" for w in args.workers)
        print(f"| {name} | {hours:.2f} | {walls} |")


if __name__ == "__main__":
    main()
