"""Contract tests over every shipped spec, against the files in the sae-probes package."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml
from pydantic import ValidationError
from sklearn.preprocessing import LabelEncoder

from datasets_registry.clean import clean_indices, original_split_leak
from datasets_registry.load import load_labeled, load_raw, packaged_file
from datasets_registry.spec import SPECS_DIR, DatasetSpec, UnknownDatasetError, all_specs, get_spec

SPECS = all_specs()
OOD = [spec for spec in SPECS if spec.ood is not None]


def test_registry_holds_113_datasets_and_8_ood_sets() -> None:
    assert len(SPECS) == 113
    assert len({spec.id for spec in SPECS}) == 113
    assert sorted(spec.id for spec in OOD) == sorted(
        [
            "5_hist_fig_ismale",
            "6_hist_fig_isamerican",
            "7_hist_fig_ispolitician",
            "66_living-room",
            "67_social-security",
            "73_control-group",
            "87_glue_cola",
            "90_glue_qnli",
        ]
    )


def test_every_spec_file_validates_and_is_named_by_its_id() -> None:
    for path in SPECS_DIR.glob("*.yaml"):
        spec = DatasetSpec.model_validate(yaml.safe_load(path.read_text()))
        assert path.stem == spec.id


def test_unknown_keys_and_bad_ids_are_rejected() -> None:
    good = get_spec("5_hist_fig_ismale").model_dump(mode="json")
    with pytest.raises(ValidationError, match="Extra inputs"):
        DatasetSpec.model_validate({**good, "surprise": 1})
    with pytest.raises(ValidationError, match="number"):
        DatasetSpec.model_validate({**good, "id": "hist_fig_ismale"})
    with pytest.raises(ValidationError, match="n_rows_clean"):
        DatasetSpec.model_validate({**good, "counts": {**good["counts"], "n_rows_clean": 1}})


def test_unknown_id_suggests_close_ones() -> None:
    with pytest.raises(UnknownDatasetError, match="did you mean 90_glue_qnli"):
        get_spec("90_glue_qnlii")


def _label_encoder_mapping(path) -> dict[str, int]:  # type: ignore[no-untyped-def]
    native = pd.read_csv(path)["target"]
    encoder = LabelEncoder().fit(native.to_numpy())
    return {str(value): int(encoder.transform([value])[0]) for value in encoder.classes_}


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.id)
def test_label_mapping_equals_the_papers_label_encoder(spec: DatasetSpec) -> None:
    assert spec.labels == _label_encoder_mapping(packaged_file(spec, "main"))
    if spec.ood is not None:
        assert spec.ood.labels == _label_encoder_mapping(packaged_file(spec, "ood"))


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.id)
def test_hashes_and_counts_match_the_packaged_files(spec: DatasetSpec) -> None:
    raw = load_raw(spec)  # raises if the content hash differs
    data = load_labeled(spec, clean=False)
    _, counts = clean_indices(data.prompts, data.labels)
    assert counts == spec.counts
    assert original_split_leak(data.prompts, data.labels) == spec.original_split
    assert len(raw) == spec.counts.n_rows


def test_qnli_ood_defects_are_recorded() -> None:
    ood = get_spec("90_glue_qnli").ood
    assert ood is not None and ood.labels == {"1": 0, "not_entailment": 1}
    assert any("second sentence" in defect for defect in ood.known_defects)


def test_cleaning_totals_reproduce_the_known_defects() -> None:
    assert sum(spec.counts.duplicate_rows_removed > 0 for spec in SPECS) == 108
    assert sum(spec.counts.conflicting_prompts for spec in SPECS) == 79
    leak = [spec.original_split.leaked_test_rows / spec.original_split.n_test for spec in SPECS]
    assert sum(leak) / len(leak) == pytest.approx(0.186, abs=0.0005)
