"""Load, validate and hash protocol files (``benchmark/protocols/*.yaml``).

A protocol is every rule of the benchmark as data: cleaning, split sizes, hyper-parameter
selection, regime levels, baseline search spaces, SAE-probe grids and quiver ties. Results carry
its content hash; only results under the same hash are ranked together.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from benchmark.errors import SaeprobeError

PROTOCOLS_DIR = Path(__file__).parent
DEFAULT_PROTOCOL = "v3"
Fraction = float


class UnknownProtocolError(SaeprobeError, KeyError):
    """A protocol name or file that does not exist."""


class ProtocolError(SaeprobeError, ValueError):
    """A protocol file that does not parse or validate; the message is one line."""


class Rules(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def added_rule(description: str) -> Any:
    """A rule added after protocols were first hashed: unset (None), it is left out of the
    protocol's canonical JSON, so protocols that do not use it keep their hash."""
    return Field(default=None, exclude_if=lambda value: value is None, description=description)


class ActivationRules(Rules):
    max_length: int = Field(ge=1)
    dtype: Literal["fp32", "bf16", "fp16"] | None = added_rule(
        "the activation dtype the protocol fixes (None: the run's --dtype)"
    )


class OriginalDraws(Rules):
    """Rows drawn with sae-probes 0.4.2's own random calls (``np.random.RandomState(seed)``
    choices of ceil(fraction x n) positives, then the rest, then the test rows from what is
    left, each set permuted), in the order it hands them to its probes."""

    max_rows: int = Field(ge=1, description="only the first rows are ever drawn (its MAX_AMT)")
    covariate_shift_max_rows: int = Field(ge=1, description="its OOD training draw's MAX_AMT")
    sae_imbalance_fractions: Literal["linspace", "same"] = Field(
        description="linspace: the SAE arm draws at np.linspace's unrounded fractions, as its "
        "SAE code did (its baselines round them to 0.05)"
    )


class SplitRules(Rules):
    pool: Literal["balanced", "all"]
    min_test: int = Field(ge=1)
    max_train: int = Field(ge=2)
    original: OriginalDraws | None = added_rule("draw rows as sae-probes 0.4.2 does")


class SelectionRules(Rules):
    no_search_max: int = Field(ge=1)
    leave_pair_out_max: int
    kfold_max: int
    kfold_splits: int = Field(ge=2)
    holdout_fraction: float = Field(gt=0, lt=1)
    holdout_max: int = Field(ge=2)
    holdout: Literal["stratified", "tail"] = "stratified"
    folds: Literal["original"] | None = added_rule(
        "original: sae-probes' folds: leave-pair-out in LeavePOut(2)'s order, 6 stratified "
        "folds whatever the minority class, the tail of the training rows as given; a fold is "
        "kept when its validation rows hold both classes, and scored 0.5 when its fitting rows "
        "hold one"
    )


class ScarcityRules(Rules):
    train_sizes: list[int]


class ImbalanceRules(Rules):
    positive_fractions: list[Fraction]

    @field_validator("positive_fractions")
    @classmethod
    def _inside_unit_interval(cls, value: list[float]) -> list[float]:
        if not all(0 < f < 1 for f in value):
            raise ValueError("positive fractions must lie strictly between 0 and 1")
        return value


class LabelNoiseRules(Rules):
    flip_fractions: list[Fraction]

    @field_validator("flip_fractions")
    @classmethod
    def _at_most_half(cls, value: list[float]) -> list[float]:
        if not all(0 <= f <= 0.5 for f in value):
            raise ValueError("flip fractions must lie in [0, 0.5]")
        return value


class CovariateShiftRules(Rules):
    drop_train_overlap: bool


class NormalRules(Rules):
    pass


class RegimeRules(Rules):
    normal: NormalRules
    scarcity: ScarcityRules
    imbalance: ImbalanceRules
    label_noise: LabelNoiseRules
    covariate_shift: CovariateShiftRules


class LogisticRules(Rules):
    C: list[float]
    standardize: bool
    max_iter: int = Field(ge=1)
    tol: float = Field(gt=0, description="lbfgs stopping tolerance")
    refit_shuffle_seed: int | None = added_rule(
        "refit on the training rows in RandomState(seed).permutation order, as the original"
    )


class PCARules(Rules):
    max_components: int = Field(ge=1)
    grid_points: int = Field(ge=1)
    standardize: bool


class KNNRules(Rules):
    max_k: int = Field(ge=1)
    grid_points: int = Field(ge=1)
    standardize: bool


class XGBoostRules(Rules):
    n_configs: int = Field(ge=1)
    seed: int
    n_estimators: list[int]
    max_depth: list[int]
    learning_rate: list[float]
    subsample: list[float]
    colsample_bytree: list[float]
    reg_alpha: list[float]
    reg_lambda: list[float]
    min_child_weight: list[int]
    max_bin: int = Field(ge=2)  # histogram bins per feature (fixed, not searched)


class MLPRules(Rules):
    n_configs: int = Field(ge=1)
    seed: int
    hidden_layers: list[list[int]]
    learning_rate: list[float]
    weight_decay: list[float]
    max_iter: int = Field(ge=1)


class BaselineRules(Rules):
    logistic: LogisticRules
    pca: PCARules
    knn: KNNRules
    xgboost: XGBoostRules
    mlp: MLPRules


class SmallTrainRules(Rules):
    """The L1 probe's C grid and iteration cap on cells with few training rows (all rows of the
    cell, not a fold's)."""

    max_rows: int = Field(ge=1, description="cells with at most this many training rows")
    C: list[float]
    max_iter: int = Field(ge=1, description="liblinear iterations per fit")


class SAEProbeRules(Rules):
    k_normal: list[int]
    k_hard: list[int]
    C: list[float]
    penalty: Literal["l1", "l2"]
    ranking: Literal["normalized_mean_difference"]
    rank_within_folds: bool
    scale: Literal["none", "rms"] = Field(
        description="rms: each kept latent is divided by its RMS on the fitting rows"
    )
    max_iter: int = Field(ge=1, description="liblinear iterations per fit")
    solver: Literal["saga"] | None = added_rule(
        "saga: sae-probes' own probe (float32 torch ranking, scikit-learn's saga on the "
        "latents in float64 with random_state = seed, rows shuffled before the refit); None: "
        "liblinear"
    )
    small_train: SmallTrainRules | None = added_rule(
        "cells with at most max_rows training rows search this C grid, with this iteration cap"
    )

    def for_rows(self, n: int) -> SAEProbeRules:
        """The rules of a cell with ``n`` training rows."""
        small = self.small_train
        if small is None or n > small.max_rows:
            return self
        return self.model_copy(
            update={"C": small.C, "max_iter": small.max_iter, "small_train": None}
        )


class AttentionProbeRules(Rules):
    """The attention-pooled probe's seeded random search; each configuration trains with early
    stopping on validation AUC, evaluated every ``eval_every`` steps."""

    n_configs: int = Field(ge=1)
    seed: int
    learning_rate: list[float]
    weight_decay: list[float]
    max_steps: list[int]
    eval_every: int = Field(ge=1)
    patience: int = Field(ge=1, description="evaluations without improvement before stopping")


class MultitokenRules(Rules):
    max_tokens: int = Field(
        ge=1, description="real tokens per prompt (BOS excluded), the last kept"
    )
    pooling: Literal["max", "mean"]
    attention: AttentionProbeRules


class QuiverRules(Rules):
    ties: Literal["mean", "sae"]


class ControlRules(Rules):
    """The random control: its seed, and the rows its firing rates are calibrated on (always
    from one suite, whatever is evaluated, so a submission has exactly one control)."""

    seed: int
    calibration_suite: str
    calibration_rows: int = Field(ge=1)
    topk_rounds: int = Field(ge=0, description="TopK bias refinement rounds")


class ValidationRules(Rules):
    """Intake's measurement of L0 and explained variance, and how far a claim may stray."""

    rows: int = Field(ge=1, description="last-token activations sampled from the suite")
    seed: int
    l0_factor: float = Field(ge=1, description="a claimed L0 within this factor of the measure")
    ev_margin: float = Field(ge=0, description="a claimed EV at most this above the measure")


class Protocol(Rules):
    name: str
    version: int = Field(ge=1)
    description: str
    clean: bool
    seeds: list[int] = Field(min_length=1)
    activations: ActivationRules
    splits: SplitRules
    selection: SelectionRules
    regimes: RegimeRules
    baselines: BaselineRules
    sae_probe: SAEProbeRules
    multitoken: MultitokenRules
    quiver: QuiverRules
    control: ControlRules
    validation: ValidationRules

    def content_hash(self, exclude: frozenset[str] = frozenset()) -> str:
        """sha256 of the canonical JSON of the validated protocol (comments do not count).
        ``exclude`` drops sections, to recompute the hash of an older layout (migrations)."""
        canonical = self.model_dump_json(exclude={"description", *exclude})
        return hashlib.sha256(canonical.encode()).hexdigest()


def available_protocols() -> list[str]:
    return sorted(path.stem for path in PROTOCOLS_DIR.glob("*.yaml"))


def load_protocol(name_or_path: str = DEFAULT_PROTOCOL) -> Protocol:
    """A protocol by name (``v1``, ``paper``) or by the path of a YAML file."""
    path = Path(name_or_path)
    if not path.suffix:
        path = PROTOCOLS_DIR / f"{name_or_path}.yaml"
    if not path.exists():
        known = ", ".join(available_protocols())
        raise UnknownProtocolError(f"unknown protocol {name_or_path!r}; known: {known}")
    try:
        return Protocol.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (yaml.YAMLError, ValidationError) as error:
        raise ProtocolError(f"{path}: {one_line(error)}") from error


def one_line(error: Exception) -> str:
    """The first problem of a YAML or validation error, on one line."""
    if isinstance(error, ValidationError):
        problem = error.errors()[0]
        where = ".".join(str(part) for part in problem["loc"]) or "protocol"
        return f"{where}: {problem['msg']}"
    return " ".join(str(error).split())
