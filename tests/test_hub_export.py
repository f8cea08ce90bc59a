"""The Hub loading path, tested offline against a local folder laid out like the export."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from datasets_registry.export import export_registry
from datasets_registry.load import DatasetIntegrityError, DataSource, load_labeled
from datasets_registry.spec import get_spec

IDS = ["5_hist_fig_ismale", "117_us_state_FL", "90_glue_qnli"]


@pytest.fixture(scope="module")
def export_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("export") / "repo"
    return export_registry([get_spec(i) for i in IDS], out)


def test_export_layout_and_card(export_dir: Path) -> None:
    assert (export_dir / "data" / "117_us_state_FL.parquet").exists()
    assert (export_dir / "ood" / "90_glue_qnli.parquet").exists()
    assert not (export_dir / "ood" / "117_us_state_FL.parquet").exists()
    card = (export_dir / "README.md").read_text()
    for dataset_id in IDS:
        assert f"| {dataset_id} |" in card
    assert "config_name: 90_glue_qnli_ood" in card
    assert "arXiv 2502.16681" in card and "GLUE" in card
    assert (export_dir / "registry.json").exists()


@pytest.mark.parametrize("dataset_id", IDS)
@pytest.mark.parametrize("clean", [True, False])
def test_hub_path_loads_the_same_rows_as_the_packaged_files(
    export_dir: Path, dataset_id: str, clean: bool
) -> None:
    spec = get_spec(dataset_id)
    hub = DataSource.from_repo_ref(str(export_dir))
    for split in ["main", "ood"] if spec.ood else ["main"]:
        from_hub = load_labeled(spec, split, hub, clean=clean)
        packaged = load_labeled(spec, split, clean=clean)
        assert list(from_hub.prompts) == list(packaged.prompts)
        np.testing.assert_array_equal(from_hub.labels, packaged.labels)
        assert from_hub.content_hash() == packaged.content_hash()


def test_a_tampered_mirror_is_rejected(tmp_path: Path) -> None:
    out = export_registry([get_spec("117_us_state_FL")], tmp_path / "repo")
    path = out / "data" / "117_us_state_FL.parquet"
    table = pq.read_table(path)
    prompts = table.column("prompt").to_pylist()
    prompts[0] = prompts[0] + " (edited)"
    pq.write_table(table.set_column(0, "prompt", pa.array(prompts, pa.string())), path)
    with pytest.raises(DatasetIntegrityError, match="content hash"):
        load_labeled(get_spec("117_us_state_FL"), "main", DataSource.from_repo_ref(str(out)))


def test_export_refuses_a_non_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    with pytest.raises(FileExistsError):
        export_registry([get_spec("117_us_state_FL")], tmp_path)


def test_repo_reference_parsing() -> None:
    source = DataSource.from_repo_ref("org/name@v1.0")
    assert (source.kind, source.hub_repo, source.revision) == ("hub", "org/name", "v1.0")
    assert DataSource.from_repo_ref("org/name", "abc").revision == "abc"
    with pytest.raises(ValueError, match="hub-repo"):
        DataSource(kind="hub")
