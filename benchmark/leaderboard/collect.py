"""Gather every evaluated submission's records from ``submissions/<id>/results/``.

One ``Evaluation`` per (submission, protocol folder): the SAE arm's cells, its random control's
cells (when evaluated) and the records' paths, which tables cite as their sources.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from benchmark.results.schema import SAE_ARMS, CellResult, Provenance, ResultRecord
from benchmark.results.store import load_record
from benchmark.results.summary import submission_results
from benchmark.submissions.intake import Submission, open_submission
from benchmark.submissions.store import submission_ids


@dataclass
class Evaluation:
    submission: Submission
    protocol: str
    protocol_hash: str
    provenance: Provenance
    cells: dict[str, list[CellResult]] = field(default_factory=dict)  # arm -> cells
    records: dict[tuple[str, str, str], str] = field(default_factory=dict)
    """(arm, dataset, regime) -> the record's path relative to the submissions root."""

    def sources(self, regime: str) -> list[str]:
        """The records (both arms, every dataset) behind one regime's numbers."""
        return sorted(path for (_, _, r), path in self.records.items() if r == regime)

    @property
    def id(self) -> str:
        return self.submission.id

    def regimes(self) -> list[str]:
        return sorted({cell.regime for cell in self.cells.get("sae", [])})


def collect_evaluations(root: Path) -> list[Evaluation]:
    """Every (submission, protocol) with SAE results under ``root``, in id order."""
    found = []
    for submission_id in submission_ids(root):
        submission = open_submission(submission_id, root)
        results = submission_results(submission.folder)
        if results.is_dir():
            for folder in sorted(p for p in results.iterdir() if p.is_dir()):
                evaluation = read_evaluation(submission, folder, root)
                if evaluation is not None:
                    found.append(evaluation)
    return found


def read_evaluation(submission: Submission, folder: Path, root: Path) -> Evaluation | None:
    evaluation: Evaluation | None = None
    for arm in SAE_ARMS:
        for path in sorted((folder / arm).glob("*/*/*.json")):
            record = load_record(path)
            if record is None or not record.cells:
                continue
            if evaluation is None:
                evaluation = new_evaluation(submission, record)
            check_protocol(evaluation, record, path)
            evaluation.cells.setdefault(arm, []).extend(record.cells)
            key = (arm, record.dataset, record.regime)
            evaluation.records[key] = str(path.relative_to(root))
    return evaluation if evaluation is not None and "sae" in evaluation.cells else None


def new_evaluation(submission: Submission, record: ResultRecord) -> Evaluation:
    return Evaluation(submission, record.protocol, record.protocol_hash, record.provenance)


def check_protocol(evaluation: Evaluation, record: ResultRecord, path: Path) -> None:
    if record.protocol_hash != evaluation.protocol_hash:
        raise ValueError(
            f"{path}: protocol hash {record.protocol_hash[:12]} differs from the other records "
            f"of {evaluation.id} in the same folder ({evaluation.protocol_hash[:12]})"
        )
