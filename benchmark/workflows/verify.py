"""``saeprobe verify``: recompute a seeded random sample of a submission's recorded cells from
scratch and compare each with its record, bit for bit, timing aside.

From scratch means: the cell's baseline probes are refit (not read from the baselines cache),
the random control is rebuilt from the SAE in a temporary folder (not read from the controls
cache) and must hash to the weights its records name, and the SAE's probes and the quiver are
recomputed on the cell's rows. Every field of the cell's record entry and its per-example
scores must then be equal; the first difference is named with its cell and field.
"""

from __future__ import annotations

import math
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from benchmark.errors import SaeprobeError
from benchmark.probes.registry import BASELINES
from benchmark.protocols.protocol import DEFAULT_PROTOCOL
from benchmark.regimes.cells import CellSplit
from benchmark.results.provenance import machine_description, other_activations
from benchmark.results.schema import SAE_ARMS, CellResult, ResultRecord
from benchmark.results.store import load_record, load_scores, results_dir
from benchmark.results.summary import submission_results
from benchmark.run.arms import sae_runners
from benchmark.run.cells import baseline_cell
from benchmark.run.context import DatasetArrays, RunContext, load_suite_arrays
from benchmark.run.jobs import plan_cells
from benchmark.saes.control import build_control
from benchmark.saes.load import LoadedSAE, load_sae_folder
from benchmark.saes.measure import sample_rows
from benchmark.submissions.intake import open_submission, require_validated
from benchmark.workflows.evaluate import RunOptions, run_context
from datasets_registry.suites import get_suite, select_suite

TIMING_FIELDS = frozenset({"seconds"})  # wall time of a cell: the one field allowed to differ
# Fields added to records after the first ones were written (``iterations``: commit ffe876d).
# A record written before holds None there: not a value, so nothing to compare.
LATER_FIELDS = frozenset({"iterations"})


class VerifyError(SaeprobeError):
    """Recomputed cells that differ from their records; the message names the first."""


@dataclass(frozen=True)
class VerifyOptions:
    submission_id: str
    sample: int = 20
    seed: int = 0
    suite: str = "demo"  # the suite the records were computed on (it fixes their rows)
    protocol: str = DEFAULT_PROTOCOL
    progress: bool = True

    def __post_init__(self) -> None:  # before the SAE, the model or any record is read
        if self.sample < 1:
            raise SaeprobeError(f"--sample must be at least 1, got {self.sample}")


@dataclass(frozen=True)
class StoredCell:
    arm: str
    record: ResultRecord
    path: Path
    cell: CellResult

    @property
    def name(self) -> str:
        return f"{self.arm} {self.cell.key}"


@dataclass(frozen=True)
class Difference:
    cell: str
    field: str
    recorded: Any
    recomputed: Any

    def line(self) -> str:
        return (
            f"{self.cell}: {self.field} recorded {short(self.recorded)}, recomputed "
            f"{short(self.recomputed)}"
        )


@dataclass(frozen=True)
class VerifyReport:
    """A verification that found every recomputed cell equal to its record."""

    results: Path
    checked: list[str]
    seconds: float


def verify_submission(options: VerifyOptions) -> VerifyReport:
    """Recompute the sample; raises ``VerifyError`` (one line, the first difference) when any
    recomputed cell differs from its record."""
    started = time.perf_counter()
    submission = open_submission(options.submission_id)
    sae = load_sae_folder(submission.sae_folder())
    require_validated(submission, sae.weights_hash)
    run = RunOptions(
        model=submission.manifest.model, suite=options.suite, protocol=options.protocol,
        progress=options.progress,
    )  # fmt: skip
    ctx = run_context(run, submission.manifest.hook)
    out = results_dir(submission_results(submission.folder), ctx.protocol)
    chosen = sample_cells(stored_cells(out), options.sample, options.seed)
    if not chosen:
        raise VerifyError(f"{submission.id}: no recorded cells under {out}")
    differences = recompute_all(ctx, run, sae, chosen)
    if differences:
        raise VerifyError(
            f"{len(differences)} difference(s) in {len(chosen)} recomputed cells of "
            f"{submission.id}; first: {differences[0].line()}"
        )
    return VerifyReport(out, [c.name for c in chosen], time.perf_counter() - started)


def stored_cells(out: Path) -> list[StoredCell]:
    """Every recorded cell of both arms, in a fixed order."""
    found = []
    for arm in SAE_ARMS:
        for path in sorted((out / arm).glob("*/*/*.json")):
            record = load_record(path)
            if record is not None:
                found += [StoredCell(arm, record, path, cell) for cell in record.cells]
    return found


def sample_cells(cells: list[StoredCell], size: int, seed: int) -> list[StoredCell]:
    picked = np.random.default_rng(seed).choice(len(cells), min(size, len(cells)), replace=False)
    return [cells[int(i)] for i in sorted(picked)]


def recompute_all(
    ctx: RunContext, run: RunOptions, sae: LoadedSAE, chosen: list[StoredCell]
) -> list[Difference]:
    differences: list[Difference] = []
    memo = Memo()
    with tempfile.TemporaryDirectory(prefix="saeprobe-verify-") as scratch:
        saes = {"sae": sae}
        controls = [c for c in chosen if c.arm == "control"]
        if controls:
            dtype = controls[0].record.provenance.activation_dtype  # its calibration rows'
            saes["control"] = rebuilt_control(replace(ctx, dtype=dtype), run, sae, Path(scratch))
        for stored in tqdm(chosen, desc="verify", unit="cell", disable=not ctx.progress):
            recorded_hash = stored.record.provenance.sae_weights_hash
            if recorded_hash != saes[stored.arm].weights_hash:
                differences.append(
                    Difference(
                        stored.name, "provenance.sae_weights_hash", recorded_hash,
                        saes[stored.arm].weights_hash,
                    )
                )  # fmt: skip
                continue
            differences += recompute_cell(ctx, run, saes[stored.arm], stored, memo)
    return differences


def rebuilt_control(ctx: RunContext, run: RunOptions, sae: LoadedSAE, scratch: Path) -> LoadedSAE:
    """The random control built again from the SAE and the protocol's rules."""
    rules = ctx.protocol.control
    calibration = load_suite_arrays(ctx, get_suite(rules.calibration_suite), run.source)
    rows = sample_rows([item.X for item in calibration], rules.calibration_rows, rules.seed)
    return build_control(sae, rows, rules, scratch / "control")


@dataclass
class Memo:
    """What two sampled cells share is computed once: a dataset's rows, and a cell's baseline
    (the SAE's cell and its control's cell are quivered against the same one)."""

    arrays: dict[tuple[str, str, bool], DatasetArrays] = field(default_factory=dict)
    baselines: dict[tuple[str, str], CellResult] = field(default_factory=dict)


def recompute_cell(
    ctx: RunContext, run: RunOptions, sae: LoadedSAE, stored: StoredCell, memo: Memo
) -> list[Difference]:
    """The cell's baseline, then its SAE probes and quiver, compared with the record."""
    ctx = replace(ctx, dtype=stored.record.provenance.activation_dtype)
    rows = (stored.record.dataset, ctx.dtype, stored.cell.regime == "multitoken")
    if rows not in memo.arrays:
        memo.arrays[rows] = dataset_arrays(ctx, run, stored)
    item = memo.arrays[rows]
    recorded = stored.record.provenance.activation_hashes
    if other_activations(recorded, item.activation_hashes(stored.cell.regime)):
        return [other_machine(stored)]
    split = cell_split(ctx, item, stored)
    if (ctx.dtype, split.cell.key) not in memo.baselines:
        memo.baselines[(ctx.dtype, split.cell.key)] = baseline_cell(ctx, BASELINES, item, split)[0]
    baseline = memo.baselines[(ctx.dtype, split.cell.key)]
    runner = sae_runners(ctx, sae, [split.cell.regime], lambda _d, _r: {baseline.key: baseline})
    result, scores = runner(item)(split.cell.regime)(split)
    recorded_scores = {
        key: value
        for key, value in load_scores(stored.path).items()
        if key.startswith(f"{split.cell.key}/")
    }
    return list(compare_cell(stored.name, stored.cell, result, recorded_scores, scores))


def other_machine(stored: StoredCell) -> Difference:
    """A cell whose activations, extracted here, differ from the record's: its probes are not
    recomputed (they could not agree bit for bit); the two machines are named instead."""
    return Difference(
        stored.name,
        "activations (extracted here, they differ from the record's; README: Activations), machine",
        stored.record.provenance.machine,
        machine_description(),
    )


def dataset_arrays(ctx: RunContext, run: RunOptions, stored: StoredCell) -> DatasetArrays:
    """The dataset's rows as the suite fixes them; they must be the rows the record names."""
    all_tokens = stored.cell.regime == "multitoken"
    suite = select_suite(run.suite, [stored.record.dataset])
    (item,) = load_suite_arrays(ctx, suite, run.source, all_tokens=all_tokens)
    if item.data_key(ctx.dtype) != stored.path.parent.name:
        raise VerifyError(
            f"{stored.name}: recorded on other rows than the {run.suite!r} suite's "
            f"(data key {stored.path.parent.name}); pass the suite it was evaluated on"
        )
    return item


def cell_split(ctx: RunContext, item: DatasetArrays, stored: StoredCell) -> CellSplit:
    regime, for_sae = stored.cell.regime, stored.record.arm != "baselines"
    planned = plan_cells([item], ctx.protocol, [regime], for_sae)[(item.data.dataset_id, regime)]
    for split in planned:
        if split.cell.key == stored.cell.key:
            return split
    raise VerifyError(f"{stored.name}: not a cell the protocol plans for this dataset")


def compare_cell(
    name: str,
    recorded: CellResult,
    recomputed: CellResult,
    recorded_scores: dict[str, np.ndarray],
    recomputed_scores: dict[str, np.ndarray],
) -> Iterator[Difference]:
    """Field by field (timing aside), then the per-example scores array by array: every array
    of a full sidecar (it holds the test rows), or the arrays a sidecar restored from the
    summary keeps."""
    for path, old, new in differing_fields(
        recorded.model_dump(exclude=set(TIMING_FIELDS)),
        recomputed.model_dump(exclude=set(TIMING_FIELDS)),
    ):
        yield Difference(name, path, old, new)
    full = f"{recorded.key}/test_rows" in recorded_scores
    keys = set(recorded_scores) | (set(recomputed_scores) if full else set())
    for key in sorted(keys):
        old_scores, new_scores = recorded_scores.get(key), recomputed_scores.get(key)
        if old_scores is None or new_scores is None or not np.array_equal(old_scores, new_scores):
            yield Difference(name, f"scores {key.split('/', 1)[1]}", old_scores, new_scores)


def differing_fields(old: Any, new: Any, path: str = "") -> Iterator[tuple[str, Any, Any]]:
    """(path, old, new) of every leaf that differs; a list of methods is keyed by method name,
    so a path reads ``methods[logistic].test_auc``."""
    old, new = by_method(old), by_method(new)
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(set(old) | set(new), key=str):
            yield from differing_fields(old.get(key), new.get(key), join(path, str(key)))
    elif isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        for index, (a, b) in enumerate(zip(old, new, strict=True)):
            yield from differing_fields(a, b, f"{path}[{index}]")
    elif old != new and not both_nan(old, new) and not unrecorded(path, old):
        yield path, old, new


def by_method(value: Any) -> Any:
    if (
        isinstance(value, list)
        and value
        and all(isinstance(v, dict) and "method" in v for v in value)
    ):
        return {f"[{v['method']}]": v for v in value}
    return value


def unrecorded(path: str, old: Any) -> bool:
    return old is None and path.rsplit(".", 1)[-1] in LATER_FIELDS


def both_nan(old: Any, new: Any) -> bool:
    return isinstance(old, float) and isinstance(new, float) and math.isnan(old) and math.isnan(new)


def join(path: str, key: str) -> str:
    if key.startswith("["):
        return path + key
    return f"{path}.{key}" if path else key


def short(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"array of {value.size} values"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
