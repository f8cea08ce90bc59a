"""Where a submission's weights are: SOURCE parsing, and submit -> validate of an SAE referenced
on the Hugging Face Hub or in a SAELens release, read from a Hub cache laid out by hand with
the Hub offline (no network here), as ``huggingface_hub`` would after a download."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from benchmark.cli.main import main
from benchmark.hashing import sha256_file
from benchmark.results.provenance import portable_sae_path
from benchmark.submissions.checks import SubmissionError
from benchmark.submissions.manifest import SAESource
from benchmark.submissions.sources import parse_source, source_text
from tests.hub_cache import COMMIT, cached_repo
from tests.sae_folders import WEIGHTS, rejected, rewrite_weights, saved_sae, submit_argv

DATASET = "130_temp_cat_Frequency"  # small: 371 rows
RELEASE = "gpt2-small-res-jb"  # a SAELens release stored as SAELens folders
RELEASE_REPO = "models--jbloom--GPT2-Small-SAEs-Reformatted"
RELEASE_SAE = "blocks.0.hook_resid_pre"  # its folder in that repository has the same name


@pytest.fixture(autouse=True)
def submissions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "submissions"
    monkeypatch.setenv("SAEPROBE_SUBMISSIONS", str(root))
    return root


@pytest.fixture
def model_args(tiny_model_dir: Path) -> list[str]:
    return ["--model", str(tiny_model_dir)]


def hub_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, repo: str, folder: str) -> Path:
    """A tiny SAE in ``folder`` of ``repo``'s ``main`` commit in an offline Hub cache; returns
    the cached SAE folder."""
    files = tmp_path / "files"
    saved_sae(files / folder, faithful=True)
    cached = cached_repo(tmp_path / "hub", repo, files, monkeypatch)
    return cached / "snapshots" / COMMIT / folder


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("./my-sae", SAESource(folder="./my-sae")),
        ("hf://org/name", SAESource(hub="org/name")),
        ("hf://org/name/a/b@v1.0", SAESource(hub="org/name", path="a/b", revision="v1.0")),
        ("release:rel/layer_0/width_16k", SAESource(release="rel", sae_id="layer_0/width_16k")),
    ],
)
def test_a_source_parses_and_prints_back(text: str, expected: SAESource) -> None:
    assert parse_source(text) == expected
    assert source_text(expected) == text


@pytest.mark.parametrize(
    "text", ["hf://org", "hf://org/name@", "hf://org/../x", "release:rel", "release:/id"]
)
def test_a_malformed_source_is_one_line(text: str) -> None:
    with pytest.raises(SubmissionError, match="source is"):
        parse_source(text)


def test_a_hub_folder_is_referenced_at_its_commit_and_validated(
    tmp_path: Path,
    submissions: Path,
    model_args: list[str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """No weights in the submission: the manifest names the repository, folder and commit and
    the weights' sha256; validate reads them from the Hub cache, and weights changed there fail
    the recorded hash."""
    cached = hub_repo(tmp_path, monkeypatch, "models--tester--saes", "tiny")
    assert (cached / WEIGHTS).is_symlink()  # into the repository's blobs/, as downloaded
    assert main([*submit_argv("hf://tester/saes/tiny", "hubby", copy=False), *model_args]) == 0
    manifest = yaml.safe_load((submissions / "hubby" / "submission.yaml").read_text())
    assert manifest["sae"] == {"hub": "tester/saes", "path": "tiny", "revision": COMMIT}
    assert manifest["weights_sha256"] == sha256_file(cached / WEIGHTS)
    assert sorted(p.name for p in (submissions / "hubby").iterdir()) == ["submission.yaml"]
    assert main(["validate", "hubby", "--dataset", DATASET, "--no-progress"]) == 0
    assert portable_sae_path(cached) == f"hf://tester/saes/tiny@{COMMIT}"
    capsys.readouterr()
    rewrite_weights(cached, lambda t: t["W_dec"].mul_(0.99))
    rejected(capsys, ["validate", "hubby", "--dataset", DATASET], "weights_sha256:")


def test_copy_fetches_a_hub_folder_into_the_submission(
    tmp_path: Path, submissions: Path, model_args: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    cached = hub_repo(tmp_path, monkeypatch, "models--tester--saes", "tiny")
    assert main([*submit_argv("hf://tester/saes/tiny", "copied"), *model_args]) == 0
    manifest = yaml.safe_load((submissions / "copied" / "submission.yaml").read_text())
    assert manifest["sae"] == {"folder": "sae"}
    copied = submissions / "copied" / "sae" / WEIGHTS
    assert copied.read_bytes() == (cached / WEIGHTS).read_bytes()


def test_a_missing_hub_folder_is_one_line_and_writes_nothing(
    tmp_path: Path,
    submissions: Path,
    model_args: list[str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    hub_repo(tmp_path, monkeypatch, "models--tester--saes", "tiny")
    argv = [*submit_argv("hf://tester/saes/other", "nope", copy=False), *model_args]
    rejected(capsys, argv, "hf://tester/saes/other: no cfg.json in that folder", tmp_path)
    argv = [*submit_argv("hf://tester/absent", "nope", copy=False), *model_args]
    rejected(capsys, argv, "hf://tester/absent: cannot fetch it", tmp_path)


def test_a_release_is_resolved_through_saelens_directory(
    tmp_path: Path,
    submissions: Path,
    model_args: list[str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``release:RELEASE/SAE_ID`` is the Hub folder SAELens's directory names for it (a tiny
    SAE stands in for GPT-2's in the cache); the manifest keeps the release's name."""
    hub_repo(tmp_path, monkeypatch, RELEASE_REPO, RELEASE_SAE)
    source = f"release:{RELEASE}/{RELEASE_SAE}"
    assert main([*submit_argv(source, "jb", copy=False), *model_args]) == 0
    manifest = yaml.safe_load((submissions / "jb" / "submission.yaml").read_text())
    assert manifest["sae"] == {"release": RELEASE, "sae_id": RELEASE_SAE}
    assert main(["validate", "jb", "--dataset", DATASET, "--no-progress"]) == 0
    capsys.readouterr()
    argv = [*submit_argv(f"release:{RELEASE}/blocks.99.nothing", "x", copy=False), *model_args]
    rejected(capsys, argv, f"release {RELEASE!r} has no SAE 'blocks.99.nothing'", tmp_path)
    argv = [*submit_argv("release:no-such-release/x", "x", copy=False), *model_args]
    rejected(capsys, argv, "SAELens knows no release 'no-such-release'", tmp_path)


def test_a_release_saelens_converts_at_load_is_refused_with_what_to_do(
    tmp_path: Path, model_args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    from sae_lens.loading.pretrained_saes_directory import get_pretrained_saes_directory

    converted = next(r for r in get_pretrained_saes_directory().values() if r.conversion_func)
    sae_id = next(iter(converted.saes_map))
    argv = [*submit_argv(f"release:{converted.release}/{sae_id}", "x", copy=False), *model_args]
    rejected(capsys, argv, "SAELens converts this release at load", tmp_path)


def test_a_moved_hub_cache_does_not_break_a_copied_submission(
    tmp_path: Path, submissions: Path, model_args: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A copied submission no longer needs its source: it validates with the cache gone."""
    hub_repo(tmp_path, monkeypatch, "models--tester--saes", "tiny")
    assert main([*submit_argv("hf://tester/saes/tiny", "kept"), *model_args]) == 0
    shutil.rmtree(tmp_path / "hub")
    assert main(["validate", "kept", "--dataset", DATASET, "--no-progress"]) == 0
