"""Result records: one self-describing JSON document per (arm, dataset, regime).

Each record carries the schema version, the protocol's name and hash, provenance, and one entry
per finished cell; per-example test scores live in a sidecar ``.npz`` beside it (numeric arrays
only, loaded without pickle). ``saeprobe`` exports the JSON Schema of these models.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from benchmark.atomic_io import write_text_atomic
from benchmark.regimes.cells import RegimeName

# 2: the control's records say arm "control"; 3: sae_path is portable; 4: provenance names the
# activations' hashes and the machine
SCHEMA_VERSION = 4
Arm = Literal["baselines", "sae", "control"]
SAE_ARMS: tuple[Arm, ...] = ("sae", "control")  # an evaluation's arms, each a results folder
SCHEMA_PATH = Path(__file__).parent / "result-record.schema.json"


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MethodResult(Record):
    method: str
    params: dict[str, Any]
    val_auc: float | None = Field(description="mean validation ROC-AUC; None when not searched")
    test_auc: float
    test_accuracy: float
    iterations: int | None = Field(
        None,
        description="solver iterations of the final refit, where the solver iterates; equal to "
        "params.max_iter when it stopped at the cap",
    )


class QuiverResult(Record):
    baseline_methods: list[str]
    baseline_test_auc: float
    with_sae_methods: list[str]
    with_sae_test_auc: float
    delta: float = Field(description="test AUC of the quiver with SAE minus baselines only")


class CellResult(Record):
    dataset: str
    regime: RegimeName
    level: float | None
    seed: int
    n_train: int
    n_test: int
    test_split: Literal["main", "ood"]
    selection: Literal["none", "leave_pair_out", "kfold", "holdout"]
    methods: list[MethodResult]
    quiver: QuiverResult | None = None
    seconds: float | None = Field(None, description="wall time of the cell's probes")

    @property
    def key(self) -> str:
        level = "-" if self.level is None else f"{self.level:g}"
        return f"{self.dataset}|{self.regime}|{level}|{self.seed}"


class Provenance(Record):
    harness_version: str
    harness_commit: str | None
    packages: dict[str, str]
    model: str
    model_weights_hash: str
    hook: str
    activation_dtype: str
    sae_path: str | None = None
    sae_weights_hash: str | None = None
    dataset_hashes: dict[str, str]
    activation_hashes: dict[str, str] | None = Field(
        None,
        description="sha256 of each activation array the record's probes read, by data name "
        "(all-token arrays as NAME:tokens and NAME:offsets); they depend on the machine that "
        "extracted them. None in records written before schema 4",
    )
    machine: str | None = Field(
        None,
        description="the CPU the probes ran on and torch's kernel level there; None in records "
        "written before schema 4",
    )


class ResultRecord(Record):
    schema_version: int = SCHEMA_VERSION
    arm: Arm
    protocol: str
    protocol_hash: str
    dataset: str
    regime: RegimeName
    provenance: Provenance
    cells: list[CellResult]


def json_schema() -> str:
    """The JSON Schema of a result record (committed as ``result-record.schema.json``)."""
    return json.dumps(ResultRecord.model_json_schema(), indent=1) + "\n"


def write_json_schema() -> None:
    write_text_atomic(SCHEMA_PATH, json_schema())
