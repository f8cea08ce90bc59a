"""The evaluation journeys: the baselines of a model and hook, and an SAE's probes. A submission
is evaluated with its random control, into its own results folder; a bare SAELens folder alone,
into the cache. An SAE whose requested cells are all recorded is only reported: nothing (not
even the baselines) is computed."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from benchmark.activations.catalog import DEFAULT_DTYPE, DEFAULT_MODEL, hook_or_default
from benchmark.activations.hooks import Hook
from benchmark.activations.models import hidden_size, resolve_model
from benchmark.errors import SaeprobeError
from benchmark.paths import cache_root
from benchmark.probes.registry import BASELINES
from benchmark.protocols.protocol import DEFAULT_PROTOCOL, Protocol, load_protocol
from benchmark.regimes.cells import RegimeName
from benchmark.regimes.generate import parse_regimes
from benchmark.results.baselines import baselines_dir, ship_baselines
from benchmark.results.comparisons import mean_quiver_deltas
from benchmark.results.schema import SAE_ARMS
from benchmark.results.store import results_dir
from benchmark.results.summary import submission_results, write_summary
from benchmark.run.arms import Records, finished_records, run_baselines, run_sae
from benchmark.run.context import DatasetArrays, Executor, RunContext, load_suite_arrays
from benchmark.saes.cfg import CFG_FILE, read_sae_cfg
from benchmark.saes.control import cached_control
from benchmark.saes.load import LoadedSAE, load_sae_folder
from benchmark.saes.measure import sample_rows
from benchmark.submissions.checks import check_weights
from benchmark.submissions.intake import Submission, open_submission, require_validated
from datasets_registry.load import PACKAGED, DataSource
from datasets_registry.suites import get_suite, select_suite


@dataclass(frozen=True)
class RunOptions:
    """What to probe and how: the model and hook, the datasets and regimes, the protocol, and
    the machinery (dtype, device, workers, executor)."""

    model: str = DEFAULT_MODEL
    model_revision: str | None = None
    hook: str | None = None  # default: the SAE's hook, else the embedded model's
    suite: str = "demo"
    datasets: tuple[str, ...] = ()  # only these datasets, under the suite's row cap
    regimes: tuple[str, ...] = ()  # default: all six
    protocol: str = DEFAULT_PROTOCOL
    dtype: str | None = None  # default: the protocol's (paper: fp32), else bf16
    device: str = "cpu"
    workers: int = 1
    executor: Executor = "local"
    ray_address: str | None = None
    progress: bool = True
    source: DataSource = PACKAGED

    def __post_init__(self) -> None:  # fail before any activation is loaded
        if self.workers < 1:
            raise SaeprobeError(f"--workers must be at least 1, got {self.workers}")
        if self.ray_address is not None and self.executor != "ray":
            raise SaeprobeError("--ray-address needs --executor ray")
        if self.executor == "ray":
            from benchmark.run.ray_executor import import_ray

            import_ray()  # a missing Ray fails here, not after the activations are loaded


@dataclass(frozen=True)
class BaselinesOptions:
    run: RunOptions
    baselines: tuple[str, ...] = BASELINES


@dataclass(frozen=True)
class EvalOptions:
    target: str  # a submission id or a SAELens folder
    run: RunOptions
    out: Path | None = None  # default: the submission's results folder, or the cache


@dataclass(frozen=True)
class BaselinesReport:
    results: Path
    cells: int


@dataclass(frozen=True)
class EvalReport:
    results: Path
    arms: dict[str, dict[RegimeName, tuple[int, float | None]]]  # (cells, mean quiver delta)


def compute_baselines(options: BaselinesOptions) -> BaselinesReport:
    """Baseline records of every requested cell, computing only the missing ones."""
    ctx = run_context(options.run, options.run.hook)
    regimes = parse_regimes(options.run.regimes)
    arrays = suite_arrays(ctx, options.run, all_tokens="multitoken" in regimes)
    records = run_baselines(ctx, arrays, regimes, options.baselines)
    cells = sum(len(record.cells) for record in records.values())
    return BaselinesReport(baselines_dir(ctx.ref, ctx.hook.name, ctx.protocol), cells)


def ship_cached_baselines(model: str, revision: str | None, hook: str | None) -> tuple[Path, int]:
    """The cached baselines of the model and hook (shipped ones included) written as the
    shipped tables; having none, cached or shipped, is an error."""
    ref = resolve_model(model, revision)
    hook_name = Hook.parse(hook_or_default(hook, model)).name
    folder, records = ship_baselines(ref, hook_name)
    if not records:
        raise SaeprobeError(f"no cached baselines of {model} at {hook_name}: run baselines first")
    return folder, records


def evaluate(options: EvalOptions) -> EvalReport:
    """A submission id, or a SAELens folder (a path, or a folder holding ``cfg.json``)."""
    if names_submission(options.target):
        return evaluate_submission(open_submission(options.target), options)
    return evaluate_folder(Path(options.target).expanduser(), options)


def names_submission(target: str) -> bool:
    """True for a submission id; False for a SAELens folder (a path, or a folder holding
    ``cfg.json``)."""
    return not (Path(target).expanduser() / CFG_FILE).is_file() and "/" not in target


def evaluate_submission(submission: Submission, options: EvalOptions) -> EvalReport:
    """A validated submission and its random control, under
    ``submissions/<id>/results/<protocol>-<hash>/{sae,control}/`` (restored from the summary
    first; the summary is rewritten when anything was computed). A trained random baseline
    (its manifest names the reference it is a baseline of) is a control itself: its SAE arm
    alone is evaluated."""
    sae = load_sae_folder(submission.sae_folder(), device=options.run.device)
    require_validated(submission, sae.weights_hash)
    run = replace(options.run, model=submission.manifest.model)
    ctx = run_context(run, submission.manifest.hook)
    check_width(ctx, sae)
    regimes = parse_regimes(run.regimes)
    out = options.out or results_dir(submission_results(submission.folder), ctx.protocol)
    arrays = suite_arrays(ctx, run)
    wanted = SAE_ARMS if submission.manifest.random_baseline is None else ("sae",)
    finished = {arm: finished_records(ctx, arrays, regimes, out / arm) for arm in wanted}
    if all(records is not None for records in finished.values()):
        shipped: dict[str, Records] = {a: r for a, r in finished.items() if r is not None}
        return report(out, shipped, regimes)  # no baselines, control or all-token rows
    if "multitoken" in regimes:
        arrays = suite_arrays(ctx, run, all_tokens=True)
    baselines = run_baselines(ctx, arrays, regimes)
    arms = {"sae": run_sae(ctx, arrays, regimes, sae, baselines, out / "sae")}
    if "control" in wanted:
        control = control_of(ctx, sae, run.source)
        arms["control"] = run_sae(
            ctx, arrays, regimes, control, baselines, out / "control", "control"
        )
    if options.out is None:  # what git holds of the results (``results.summary``)
        write_summary(submission.folder)
    return report(out, arms, regimes)


def evaluate_folder(folder: Path, options: EvalOptions) -> EvalReport:
    """A bare SAELens folder, without a control; results under ``--out`` or the cache. Its
    weights pass intake's checks first (no manifest: the cfg's architecture is taken as is)."""
    check_weights(folder, read_sae_cfg(folder))
    sae = load_sae_folder(folder, device=options.run.device)
    ctx = run_context(options.run, options.run.hook or sae.hook)
    check_width(ctx, sae)
    regimes = parse_regimes(options.run.regimes)
    arrays = suite_arrays(ctx, options.run, all_tokens="multitoken" in regimes)
    baselines = run_baselines(ctx, arrays, regimes)
    saes = cache_root() / "results" / "saes" / sae.weights_hash[:16]
    out = options.out or results_dir(saes, ctx.protocol)
    return report(out, {"sae": run_sae(ctx, arrays, regimes, sae, baselines, out)}, regimes)


def run_context(run: RunOptions, hook: str | None) -> RunContext:
    protocol = load_protocol(run.protocol)
    return RunContext(
        ref=resolve_model(run.model, run.model_revision),
        hook=Hook.parse(hook_or_default(hook, run.model)),
        protocol=protocol,
        dtype=activation_dtype(protocol, run.dtype),
        device=run.device,
        progress=run.progress,
        workers=run.workers,
        executor=run.executor,
        ray_address=run.ray_address,
    )


def activation_dtype(protocol: Protocol, requested: str | None) -> str:
    """The protocol's dtype where it fixes one (a different --dtype is an error), else the
    requested one, else bf16."""
    fixed = protocol.activations.dtype
    if fixed is not None and requested not in (None, fixed):
        raise SaeprobeError(
            f"protocol {protocol.name!r} fixes {fixed} activations; drop --dtype {requested}"
        )
    return fixed or requested or DEFAULT_DTYPE


def suite_arrays(ctx: RunContext, run: RunOptions, all_tokens: bool = False) -> list[DatasetArrays]:
    suite = select_suite(run.suite, run.datasets)
    return load_suite_arrays(ctx, suite, run.source, all_tokens=all_tokens)


def control_of(ctx: RunContext, sae: LoadedSAE, source: DataSource) -> LoadedSAE:
    """The SAE's random control, calibrated on rows of the protocol's calibration suite
    (whatever is evaluated, so a submission has one control) and cached."""
    rules = ctx.protocol.control
    calibration = load_suite_arrays(ctx, get_suite(rules.calibration_suite), source)
    rows = sample_rows([item.X for item in calibration], rules.calibration_rows, rules.seed)
    return cached_control(sae, rows, rules)


def check_width(ctx: RunContext, sae: LoadedSAE) -> None:
    width = hidden_size(ctx.ref)
    if sae.d_in != width:
        raise SaeprobeError(
            f"SAE d_in {sae.d_in} does not match the width {width} of {ctx.hook.name} "
            f"in {ctx.ref.name}"
        )


def report(out: Path, arms: dict[str, Records], regimes: list[RegimeName]) -> EvalReport:
    summaries = {
        arm: mean_quiver_deltas((c for r in records.values() for c in r.cells), regimes)
        for arm, records in arms.items()
    }
    return EvalReport(out, summaries)
