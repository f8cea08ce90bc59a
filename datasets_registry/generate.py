"""Regenerate the dataset specs from the files shipped in ``sae-probes`` (a maintainer's tool).

    python -m datasets_registry.generate

Reads the master table and every binary dataset through the same loader users run, computes the
explicit label mapping (the paper's sorted ``LabelEncoder`` order), cleaning counts, the leak of
the paper's split and content hashes, and writes one YAML spec per dataset.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import numpy as np
import pandas as pd

from datasets_registry.clean import clean_indices, original_split_leak
from datasets_registry.package_files import sae_probes_data_dir
from datasets_registry.rows import RawRows
from datasets_registry.spec import SPECS_DIR, CleaningCounts, DatasetSpec, OODSpec, write_spec

log = logging.getLogger(__name__)

MASTER_TABLE = "probing_datasets_MASTER.csv.zst"
OOD_FOLDER = "OOD data"
PAPER = "Kantamneni et al. 2025, Are Sparse Autoencoders Useful? (arXiv 2502.16681)"

# Coarse families, matched on the dataset tag in order; every dataset must match exactly one.
FAMILY_RULES: tuple[tuple[str, str], ...] = (
    (r"^hist_fig_", "historical_figures"),
    (r"^headline_", "headlines"),
    (r"^(sciq_tf|truthqa_tf|temp_sense|phys_tf|reasoning_tf|cs_tf|arith_mc)", "reasoning_qa"),
    (r"^(cm_|deon_|just_|virtue_)", "ethics"),
    (r"^wikidata", "wikidata"),
    (r"^[a-z]+-[a-z]+$", "bigram_phrases"),
    (r"^glue_", "glue"),
    (r"^(ai_gen|aimade_)", "ai_text"),
    (r"^(toxic_is|spam_is|hate_|click_bait|news_fake)", "moderation"),
    (r"^(movie_sent|amazon_5star|twt_emotion)", "sentiment"),
    (r"^(nyc_borough|us_state|us_timezone|world_country)", "geography"),
    (r"^(art_type|athlete_sport)", "entities"),
    (r"^(temp_cat|context_type)", "temporal_context"),
    (r"^(news_class|agnews)", "news_topic"),
    (r"^(cancer_cat|disease_class)", "medical"),
    (r"^it_tick", "it_tickets"),
    (r"^code_", "code"),
)

# Defects found in the original files that cleaning cannot repair; recorded on the spec.
KNOWN_OOD_DEFECTS = {
    "90_glue_qnli": [
        "OOD prompts lost their second sentence (the question is missing); 133 of 300 rows "
        "repeat a prompt",
        "OOD labels are '1' and 'not_entailment' instead of the main file's 0/1",
    ],
}


def family_of(tag: str) -> str:
    matches = [family for pattern, family in FAMILY_RULES if re.search(pattern, tag)]
    if len(matches) != 1:
        raise ValueError(f"dataset tag {tag!r} matches families {matches}, expected exactly one")
    return matches[0]


def label_mapping(raw_targets: pd.Series) -> dict[str, int]:
    """Raw label text -> class, sorted like scikit-learn's LabelEncoder sorts the native values."""
    classes = np.unique(raw_targets.to_numpy())
    if len(classes) != 2:
        raise ValueError(f"expected 2 classes, found {list(classes)}")
    return {str(value): index for index, value in enumerate(classes)}


def master_rows(data_dir: Path) -> pd.DataFrame:
    """Binary rows of the master table, with group, source and link carried down their blocks."""
    master = pd.read_csv(data_dir / MASTER_TABLE)
    master = master[master["Dataset save name"].notna()].copy()
    master["group"] = master["Dataset name"].replace("^", pd.NA).ffill()
    source = master["Source"].replace("^", pd.NA)
    source_block = source.notna().cumsum()
    master["Source"] = source.ffill()
    master["Link"] = master["Link"].replace("^", pd.NA).groupby(source_block).ffill()
    return master[master["Data type"] == "Binary Classification"]


# The master table names some sources informally; these are the works they refer to.
CITATIONS = {
    "Wes Space Time": "Gurnee & Tegmark 2023, Language Models Represent Space and Time "
    "(arXiv 2310.02207)",
    "Wes": "Gurnee et al. 2023, Finding Neurons in a Haystack (arXiv 2305.01610)",
    "I have this data": PAPER,
    "SAE BENCH": "Karvonen et al. 2025, SAEBench (arXiv 2503.09532)",
}


def source_of(row: pd.Series) -> str:
    source = row["Source"]
    if row["group"] == "SAE BENCH":
        return CITATIONS["SAE BENCH"]
    if not isinstance(source, str):
        return PAPER
    if source.strip() in CITATIONS:
        return CITATIONS[source.strip()]
    if source.strip() == "MULTICLASS":
        return f"{PAPER}; binarised from its multiclass dataset {row['group']!r}"
    return source.strip().rstrip(";")


def read_raw(path: Path) -> tuple[RawRows, pd.Series]:
    """Rows as text (what users load) and the target column in its native dtype (for sorting)."""
    text = pd.read_csv(path, usecols=["prompt", "target"], dtype=str, keep_default_na=False)
    native = pd.read_csv(path, usecols=["target"])["target"]
    return RawRows(prompts=text["prompt"].tolist(), targets=text["target"].tolist()), native


def counts_and_labels(path: Path) -> tuple[RawRows, dict[str, int], CleaningCounts, np.ndarray]:
    raw, native = read_raw(path)
    mapping = label_mapping(native)
    labels = np.array([mapping[t] for t in raw.targets], dtype=np.int64)
    _, counts = clean_indices(raw.prompts, labels)
    return raw, mapping, counts, labels


def ood_spec(data_dir: Path, dataset_id: str) -> OODSpec | None:
    relative = f"{OOD_FOLDER}/{dataset_id}_OOD.csv.zst"
    if not (data_dir / relative).exists():
        return None
    raw, mapping, counts, _ = counts_and_labels(data_dir / relative)
    return OODSpec(
        source_file=relative,
        labels=mapping,
        counts=counts,
        content_hash=raw.content_hash(),
        known_defects=KNOWN_OOD_DEFECTS.get(dataset_id, []),
    )


def build_spec(data_dir: Path, row: pd.Series) -> DatasetSpec:
    relative = str(row["Dataset save name"]) + ".zst"
    dataset_id = Path(relative).name.removesuffix(".csv.zst")
    raw, mapping, counts, labels = counts_and_labels(data_dir / relative)
    tag = dataset_id.split("_", 1)[1]
    probe_to = row["Probe to"] if isinstance(row["Probe to"], str) else tag
    probe_from = row["Probe from"] if isinstance(row["Probe from"], str) else "text"
    return DatasetSpec(
        id=dataset_id,
        source_file=relative,
        family=family_of(tag),
        group=str(row["group"]),
        description=f"{probe_from} -> {probe_to}".replace("^", "").strip(),
        source=source_of(row),
        link=row["Link"]
        if isinstance(row["Link"], str) and row["Link"].startswith("http")
        else None,
        labels=mapping,
        counts=counts,
        original_split=original_split_leak(raw.prompts, labels),
        content_hash=raw.content_hash(),
        ood=ood_spec(data_dir, dataset_id),
    )


def generate(out_dir: Path = SPECS_DIR) -> list[DatasetSpec]:
    data_dir = sae_probes_data_dir()
    out_dir.mkdir(parents=True, exist_ok=True)
    specs = [build_spec(data_dir, row) for _, row in master_rows(data_dir).iterrows()]
    for spec in specs:
        write_spec(spec, out_dir)
    log.info("wrote %d specs to %s", len(specs), out_dir)
    return specs


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    generate()
