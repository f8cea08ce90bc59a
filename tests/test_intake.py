"""Intake that no checkpoint can fool: a corpus of SAELens folders, each with one defect, made
here from valid SAEs saved by SAELens. Every case must be rejected with exit status 1 and one
line naming the field or tensor, before any compute, with nothing written (no submission, no
cache entry, no validation.json) and the submitted folder unchanged; a hostile pickle must never
run. Valid folders of every reference architecture and storage dtype must pass."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch
import yaml

from benchmark.activations.models import hidden_size, resolve_model
from benchmark.cli.main import main
from tests.sae_folders import (
    CFG,
    HOOK,
    WEIGHTS,
    rejected,
    rewrite_cfg,
    rewrite_weights,
    saved_sae,
    submit_argv,
)

DATASET = "130_temp_cat_Frequency"  # small: 371 rows


class WritesMarker:
    """Unpickling this writes ``path``: the payload a hostile checkpoint would carry."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        return (Path.write_text, (self.path, "unpickled"))


def marker_path(folder: Path) -> Path:
    return folder.parent / "MARKER-unpickled"


def hostile_pickle(folder: Path) -> bytes:
    return pickle.dumps({"W_enc": WritesMarker(marker_path(folder))})


def valid(folder: Path, architecture: str = "standard") -> Path:
    return saved_sae(folder, architecture, faithful=True)


def write(folder: Path, name: str, data: bytes) -> Path:
    (folder / name).write_bytes(data)
    return folder


def cfg_text(folder: Path) -> str:
    return (folder / CFG).read_text()


def rewrite_header(folder: Path, change: Callable[[dict[str, dict]], object]) -> Path:
    """Edit the safetensors header by hand, keeping the tensor bytes."""
    data = (folder / WEIGHTS).read_bytes()
    length = int.from_bytes(data[:8], "little")
    header = json.loads(data[8 : 8 + length])
    change(header)
    text = json.dumps(header).encode()
    (folder / WEIGHTS).write_bytes(len(text).to_bytes(8, "little") + text + data[8 + length :])
    return folder


def link_out(folder: Path, name: str) -> Path:
    """Replace ``name`` by a link to a copy of it outside the folder."""
    outside = folder.parent / f"outside-{name}"
    outside.write_bytes((folder / name).read_bytes())
    (folder / name).unlink()
    (folder / name).symlink_to(outside)
    return folder


def fifo(folder: Path, name: str) -> Path:
    (folder / name).unlink()
    os.mkfifo(folder / name)
    return folder


@dataclass(frozen=True)
class Case:
    make: Callable[[Path], object]  # makes the defective folder at the path
    message: str  # the start of what the one line must say, naming the field or tensor
    architecture: str = "standard"


def standard(change: Callable[[Path], object]) -> Callable[[Path], object]:
    return lambda folder: change(valid(folder))


def topk(change: Callable[[Path], object]) -> Callable[[Path], object]:
    return lambda folder: change(valid(folder, "topk"))


def cfg_field(name: str, value: object) -> Callable[[Path], object]:
    return standard(lambda f: rewrite_cfg(f, lambda c: c.__setitem__(name, value)))


def metadata_field(name: str, value: object) -> Callable[[Path], object]:
    return standard(lambda f: rewrite_cfg(f, lambda c: c["metadata"].__setitem__(name, value)))


def tensor(change: Callable[[dict[str, torch.Tensor]], object]) -> Callable[[Path], object]:
    return standard(lambda f: rewrite_weights(f, change))


def set_value(name: str, index: tuple[int, ...], value: float) -> Callable[[Path], object]:
    return tensor(lambda t: t[name].__setitem__(index, value))


CFG_CASES = {
    "cfg missing": Case(standard(lambda f: (f / CFG).unlink()), "cfg.json: missing from"),
    "cfg not JSON": Case(
        standard(lambda f: write(f, CFG, b'{"d_in": 32')), "cfg.json: not valid JSON"
    ),
    "cfg a JSON array": Case(
        standard(lambda f: write(f, CFG, b"[32, 64]")), "cfg.json: not a JSON object"
    ),
    "cfg not UTF-8": Case(
        standard(lambda f: write(f, CFG, b'{"d_in": "\xff"}')), "cfg.json: not UTF-8"
    ),
    "cfg of 2 MB": Case(metadata_field("notes", "x" * 2_000_000), "cfg.json: 2,000,"),
    "cfg nested 100,000 levels": Case(
        standard(
            lambda f: write(
                f,
                CFG,
                cfg_text(f)[:-1].encode() + b', "deep": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
            )
        ),
        "cfg.json: nested deeper than 16 levels",
    ),
    "d_in named twice": Case(
        standard(lambda f: write(f, CFG, cfg_text(f)[:-1].encode() + b', "d_in": 16}')),
        "cfg.json: d_in is given twice",
    ),
    "cfg a link out of the folder": Case(
        standard(lambda f: link_out(f, CFG)), "cfg.json: a link to"
    ),
    "cfg a FIFO": Case(standard(lambda f: fifo(f, CFG)), "cfg.json: not a regular file"),
    "cfg a folder": Case(
        standard(lambda f: ((f / CFG).unlink(), (f / CFG).mkdir())), "cfg.json: not a regular file"
    ),
    "d_in a string": Case(
        cfg_field("d_in", "32"), "cfg.json: d_in: Input should be a valid integer"
    ),
    "d_sae a boolean": Case(
        cfg_field("d_sae", True), "cfg.json: d_sae: Input should be a valid integer"
    ),
    "d_sae a float": Case(
        cfg_field("d_sae", 64.0), "cfg.json: d_sae: Input should be a valid integer"
    ),
    "d_sae zero": Case(cfg_field("d_sae", 0), "cfg.json: d_sae must be at least 1"),
    "d_in missing": Case(
        standard(lambda f: rewrite_cfg(f, lambda c: c.pop("d_in"))),
        "cfg.json: d_in: Field required",
    ),
    "architecture missing (legacy cfg)": Case(
        standard(lambda f: rewrite_cfg(f, lambda c: c.pop("architecture"))),
        "cfg.json: architecture is missing",
    ),
    "architecture unknown": Case(
        cfg_field("architecture", "transcoder"), "cfg.json: architecture 'transcoder' is not an SAE"
    ),
    "apply_b_dec_to_input a string": Case(
        cfg_field("apply_b_dec_to_input", "false"),
        "cfg.json: apply_b_dec_to_input: Input should be a valid boolean",
    ),
    "dtype unknown": Case(cfg_field("dtype", "float8"), "cfg.json: dtype 'float8' is not one of"),
    "normalize_activations unknown": Case(
        cfg_field("normalize_activations", "whiten"),
        "cfg.json: normalize_activations: Input should",
    ),
    "metadata not an object": Case(cfg_field("metadata", 5), "cfg.json: metadata: Input should be"),
    "hook_name not a string": Case(
        metadata_field("hook_name", 3), "cfg.json: metadata.hook_name must be a string"
    ),
    "hook_name another hook": Case(
        metadata_field("hook_name", "blocks.2.hook_resid_post"),
        f"hook: the submission reads {HOOK!r} but cfg.json's hook_name is 'blocks.2.",
    ),
    "TopK k of 0": Case(
        topk(lambda f: rewrite_cfg(f, lambda c: c.update(k=0))),
        "cfg.json: k must be between 1 and d_sae (64), got 0",
        "topk",
    ),
    "TopK k above the width": Case(
        topk(lambda f: rewrite_cfg(f, lambda c: c.update(k=65))),
        "cfg.json: k must be between 1 and d_sae (64), got 65",
        "topk",
    ),
    "TopK k negative": Case(
        topk(lambda f: rewrite_cfg(f, lambda c: c.update(k=-3))),
        "cfg.json: k must be between 1 and d_sae (64), got -3",
        "topk",
    ),
    "TopK k a string": Case(
        topk(lambda f: rewrite_cfg(f, lambda c: c.update(k="8"))),
        "cfg.json: k: Input should be a valid integer",
        "topk",
    ),
}

WEIGHTS_CASES = {
    "weights missing": Case(standard(lambda f: (f / WEIGHTS).unlink()), f"{WEIGHTS}: missing from"),
    "weights a link out of the folder": Case(
        standard(lambda f: link_out(f, WEIGHTS)), f"{WEIGHTS}: a link to"
    ),
    "weights a FIFO": Case(standard(lambda f: fifo(f, WEIGHTS)), f"{WEIGHTS}: not a regular file"),
    "weights empty": Case(
        standard(lambda f: write(f, WEIGHTS, b"")), f"{WEIGHTS}: 0 bytes, too short"
    ),
    "header truncated": Case(
        standard(lambda f: write(f, WEIGHTS, (f / WEIGHTS).read_bytes()[:100])),
        f"{WEIGHTS}: truncated (the header says",
    ),
    "header length oversized": Case(
        standard(lambda f: write(f, WEIGHTS, (1 << 40).to_bytes(8, "little") + b"{}")),
        f"{WEIGHTS}: a header of 1,099,511,627,776 bytes, more than",
    ),
    "header not JSON": Case(
        standard(lambda f: write(f, WEIGHTS, (8).to_bytes(8, "little") + b"not json")),
        f"{WEIGHTS}: the header is not valid JSON",
    ),
    "header names a tensor twice": Case(
        standard(
            lambda f: write(f, WEIGHTS, (f / WEIGHTS).read_bytes().replace(b'"b_dec"', b'"b_enc"'))
        ),
        f"{WEIGHTS}: the header names a key twice",
    ),
    "bytes beyond the tensors": Case(
        standard(lambda f: write(f, WEIGHTS, (f / WEIGHTS).read_bytes() + b"\0" * 16)),
        f"{WEIGHTS}: the header accounts for",
    ),
    "a shape its bytes do not hold": Case(
        standard(lambda f: rewrite_header(f, lambda h: h["b_dec"].update(shape=[33]))),
        "tensor b_dec: 128 bytes for a shape (33,) of F32",
    ),
    "hostile pickle as the weights": Case(
        standard(lambda f: write(f, WEIGHTS, hostile_pickle(f))), "a pickle (or zip) archive"
    ),
    "torch.save archive as the weights": Case(
        standard(lambda f: torch.save({"W_enc": torch.zeros(2)}, f / WEIGHTS)),
        "a pickle (or zip) archive",
    ),
    "hostile pickle beside the weights": Case(
        standard(lambda f: write(f, "sae.pt", hostile_pickle(f))),
        "sae.pt: only safetensors weights",
    ),
    "integer weights": Case(
        tensor(lambda t: t.update(W_enc=(t["W_enc"] * 100).to(torch.int32))),
        "tensor W_enc: dtype 'I32'; weights must be floating point",
    ),
    "BatchTopK without its threshold": Case(
        lambda f: rewrite_weights(valid(f, "batchtopk"), lambda t: t.pop("threshold")),
        "tensor threshold: missing from",
        "batchtopk",
    ),
    "cfg architecture not matching its tensors": Case(
        cfg_field("architecture", "gated"),
        "tensor b_enc: not a tensor of SAELens's 'gated' SAE",
        "gated",
    ),
    "an extra tensor SAELens would drop": Case(
        tensor(lambda t: t.update(scaling_factor=torch.ones(64))),
        "tensor scaling_factor: not a tensor of SAELens's 'standard' SAE",
    ),
    "a bias of the wrong size": Case(
        tensor(lambda t: t.update(b_enc=torch.zeros(65))),
        "tensor b_enc: shape (65,), expected (64,)",
    ),
    "transposed encoder": Case(
        tensor(lambda t: t.update(W_enc=t["W_enc"].T.contiguous())),
        "tensor W_enc: shape (64, 32), expected (32, 64)",
    ),
    "NaN weights": Case(
        set_value("W_enc", (0, 0), float("nan")), "tensor W_enc: 1 non-finite values"
    ),
    "Inf weights": Case(
        set_value("W_dec", (3, 1), float("inf")), "tensor W_dec: 1 non-finite values"
    ),
    "JumpReLU threshold negative": Case(
        lambda f: rewrite_weights(
            valid(f, "jumprelu"), lambda t: t["threshold"].__setitem__(4, -0.5)
        ),
        "tensor threshold: 1 negative values",
        "jumprelu",
    ),
    "a decoder row of zeros": Case(
        set_value("W_dec", (5,), 0.0), "tensor W_dec: 1 decoder rows have norms outside"
    ),
}

MANIFEST_CASES = {
    "d_in not the hook's width": Case(
        lambda f: saved_sae(f, d_in=16, d_sae=32, faithful=True),
        "d_in: the SAE reads 16 dimensions but blocks.1.hook_resid_post",
    ),
    "architecture not the checkpoint's": Case(
        valid,
        "architecture: the manifest says 'batchtopk' (saved by SAELens as 'jumprelu') but "
        "cfg.json says 'standard'",
        "batchtopk",
    ),
}

SUBMIT_CASES = {**CFG_CASES, **WEIGHTS_CASES, **MANIFEST_CASES}


@pytest.fixture
def submissions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "submissions"
    monkeypatch.setenv("SAEPROBE_SUBMISSIONS", str(root))
    return root


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tiny_model_dir: Path) -> Path:
    """This test's own cache, with the tiny model's hashes already in it (as after any earlier
    command), so that a rejection must leave it exactly as it is."""
    root = tmp_path / "cache"
    monkeypatch.setenv("SAEPROBE_CACHE", str(root))
    hidden_size(resolve_model(str(tiny_model_dir)))
    return root


@pytest.fixture
def model_args(tiny_model_dir: Path) -> list[str]:
    return ["--model", str(tiny_model_dir)]


@pytest.mark.parametrize("case", sorted(SUBMIT_CASES))
def test_each_defect_is_rejected_at_submit_with_one_line(
    case: str,
    tmp_path: Path,
    submissions: Path,
    cache: Path,
    model_args: list[str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    spec = SUBMIT_CASES[case]
    source = tmp_path / "source"
    spec.make(source)
    argv = [*submit_argv(source, "bad", spec.architecture), *model_args]
    rejected(capsys, argv, spec.message, submissions, cache, tmp_path / "source")
    assert not submissions.exists()
    assert not marker_path(source).exists()  # no pickle ever ran


def test_the_hostile_payload_is_live(tmp_path: Path) -> None:
    """The corpus's pickle really would write its marker, so its absence above means something."""
    pickle.loads(hostile_pickle(tmp_path / "source"))
    assert marker_path(tmp_path / "source").read_text() == "unpickled"


def test_a_hostile_pickle_never_runs_through_the_real_command_line(
    tmp_path: Path, tiny_model_dir: Path
) -> None:
    """The installed entry point, in a fresh process: exit status 1, one line, no traceback."""
    source = valid(tmp_path / "source")
    write(source, WEIGHTS, hostile_pickle(source))
    env = {**os.environ, "SAEPROBE_SUBMISSIONS": str(tmp_path / "submissions")}
    argv = [*submit_argv(source, "bad"), "--model", str(tiny_model_dir)]
    done = subprocess.run(
        [sys.executable, "-m", "benchmark.cli.main", *argv],
        capture_output=True, text=True, env=env, cwd=tmp_path, check=False,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert done.stderr.strip().splitlines() == [
        f"saeprobe: error: {WEIGHTS}: a pickle (or zip) archive, not safetensors"
    ]
    assert not marker_path(source).exists() and not (tmp_path / "submissions").exists()


# --- defects brought in after `submit`: `validate` meets them with the same checks ---------------


def submitted(
    tmp_path: Path, model_args: list[str], architecture: str = "standard", faithful: bool = True
) -> Path:
    source = saved_sae(tmp_path / "source", architecture, faithful=faithful)
    assert main([*submit_argv(source, "tiny", architecture), *model_args]) == 0
    return source


def edit_manifest(folder: Path, change: Callable[[dict], object]) -> None:
    manifest = yaml.safe_load((folder / "submission.yaml").read_text())
    change(manifest)
    (folder / "submission.yaml").write_text(yaml.safe_dump(manifest))


def elsewhere(folder: Path) -> str:
    valid(folder.parent.parent / "elsewhere")
    return "../../elsewhere"


VALIDATE_CASES: dict[str, tuple[str, Callable[[Path], object], str]] = {
    "manifest width a boolean": (
        "standard",
        lambda f: edit_manifest(f, lambda m: m.update(width=True)),
        "width: Input should be a valid integer",
    ),
    "manifest tokens a string": (
        "standard",
        lambda f: edit_manifest(f, lambda m: m["training"].update(tokens="1000")),
        "training.tokens: Input should be a valid integer",
    ),
    "sae.folder leaving the submission": (
        "standard",
        lambda f: edit_manifest(f, lambda m: m["sae"].update(folder=elsewhere(f))),
        "sae.folder: ../../elsewhere leaves the submission folder",
    ),
    "an outside folder without its hash": (
        "standard",
        lambda f: edit_manifest(
            f, lambda m: (m["sae"].update(folder=str(f / "sae")), m.pop("weights_sha256"))
        ),
        "manifest: weights outside the submission (an absolute sae.folder, sae.hub or "
        "sae.release) need weights_sha256",
    ),
    "weights changed after submit": (
        "standard",
        lambda f: rewrite_weights(f / "sae", lambda t: t["W_enc"].mul_(2.0)),
        "weights_sha256: sae_weights.safetensors hashes to",
    ),
    "an extra tensor added after submit": (
        "standard",
        lambda f: rewrite_weights(f / "sae", lambda t: t.update(extra=torch.ones(3))),
        "tensor extra: not a tensor of SAELens's 'standard' SAE",
    ),
    "TopK k edited to 0": (
        "topk",
        lambda f: rewrite_cfg(f / "sae", lambda c: c.update(k=0)),
        "cfg.json: k must be between 1 and d_sae (64), got 0",
    ),
    "weights replaced by a link out": (
        "standard",
        lambda f: link_out(f / "sae", WEIGHTS),
        f"{WEIGHTS}: a link to",
    ),
    "weights replaced by a hostile pickle": (
        "standard",
        lambda f: write(f / "sae", WEIGHTS, hostile_pickle(f)),
        "a pickle (or zip) archive",
    ),
}


@pytest.mark.parametrize("case", sorted(VALIDATE_CASES))
def test_each_defect_brought_in_after_submit_is_rejected_at_validate(
    case: str,
    tmp_path: Path,
    submissions: Path,
    cache: Path,
    model_args: list[str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    architecture, damage, message = VALIDATE_CASES[case]
    submitted(tmp_path, model_args, architecture)
    capsys.readouterr()
    damage(submissions / "tiny")
    rejected(capsys, ["validate", "tiny", "--dataset", DATASET], message, submissions, cache)
    assert not (submissions / "tiny" / "validation.json").exists()
    assert not marker_path(submissions / "tiny").exists()


def test_an_sae_worse_than_the_mean_is_refused(
    tmp_path: Path, submissions: Path, model_args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """A random SAE passes every static check; its measured explained variance is negative."""
    submitted(tmp_path, model_args, faithful=False)
    capsys.readouterr()
    line = rejected(capsys, ["validate", "tiny", "--dataset", DATASET], "explained_variance: -",
                    submissions)  # fmt: skip
    assert "below the floor of 0 (worse than predicting their mean)" in line
    assert not (submissions / "tiny" / "validation.json").exists()


def test_a_claim_far_from_the_measurement_is_rejected(
    tmp_path: Path, submissions: Path, model_args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    source = valid(tmp_path / "source")
    assert main([*submit_argv(source, "claims"), *model_args, "--claim-l0", "2"]) == 0
    argv = ["validate", "claims", "--dataset", DATASET]
    rejected(capsys, argv, "claims.l0: claimed 2, measured", submissions)


# --- what must pass ----------------------------------------------------------------------------


def stored_as(dtype: torch.dtype, name: str) -> Callable[[Path], object]:
    def make(folder: Path) -> None:
        rewrite_weights(valid(folder), lambda t: t.update({k: v.to(dtype) for k, v in t.items()}))
        rewrite_cfg(folder, lambda c: c.update(dtype=name))

    return make


def cfg_linked_inside(folder: Path) -> None:
    valid(folder)
    (folder / CFG).rename(folder / "real-cfg.json")
    (folder / CFG).symlink_to("real-cfg.json")


VALID_CASES: dict[str, tuple[str, Callable[[Path], object], str]] = {
    "standard float32": ("standard", valid, "float32"),
    "standard float16": ("standard", stored_as(torch.float16, "float16"), "float16"),
    "standard bfloat16": ("standard", stored_as(torch.bfloat16, "bfloat16"), "bfloat16"),
    "topk": ("topk", lambda f: valid(f, "topk"), "float32"),
    "jumprelu": ("jumprelu", lambda f: valid(f, "jumprelu"), "float32"),
    "batchtopk": ("batchtopk", lambda f: valid(f, "batchtopk"), "float32"),
    "matryoshka_batchtopk": (
        "matryoshka_batchtopk",
        lambda f: valid(f, "matryoshka_batchtopk"),
        "float32",
    ),
    "gated": ("gated", lambda f: valid(f, "gated"), "float32"),
    "cfg a link inside the folder": ("standard", cfg_linked_inside, "float32"),
}


@pytest.mark.parametrize("case", sorted(VALID_CASES))
def test_valid_folders_are_accepted_and_validated(
    case: str,
    tmp_path: Path,
    submissions: Path,
    model_args: list[str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    architecture, make, dtype = VALID_CASES[case]
    make(tmp_path / "source")
    assert main([*submit_argv(tmp_path / "source", "ok", architecture), *model_args]) == 0
    capsys.readouterr()
    assert main(["validate", "ok", "--dataset", DATASET, "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["status"] == "validated" and record["weights_dtype"] == dtype
    measured = record["measured"]
    assert measured["explained_variance"] >= 0.5 and record["warnings"] == []
    assert measured["dead_fraction"] == 0.0  # every latent of x -> relu(+-x) fires somewhere
    copied = submissions / "ok" / "sae"
    assert not any(p.is_symlink() for p in copied.iterdir())  # files, not links, are kept


def test_dead_latents_are_measured_and_reported(
    tmp_path: Path, submissions: Path, model_args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """A faithful SAE with 128 more latents that never fire: two thirds dead, reported in the
    record and on the command line, and still validated (it reconstructs perfectly)."""
    source = saved_sae(tmp_path / "source", d_sae=192, faithful=True)
    assert main([*submit_argv(source, "dead"), *model_args]) == 0
    capsys.readouterr()
    assert main(["validate", "dead", "--dataset", DATASET, "--no-progress"]) == 0
    record = json.loads((submissions / "dead" / "validation.json").read_text())
    assert record["measured"]["dead_fraction"] == pytest.approx(128 / 192)
    assert record["measured"]["explained_variance"] > 0.99 and record["warnings"] == []
    assert "66.7% dead latents" in capsys.readouterr().out


def test_a_poor_reconstruction_is_validated_with_a_warning(
    tmp_path: Path, submissions: Path, model_args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """Explained variance between the floor (0) and the warning level (0.5): validated, warned."""
    source = valid(tmp_path / "source")
    rewrite_weights(source, lambda t: t["W_dec"].mul_(0.8))  # reconstructs 0.8 x: EV ~ 0.3
    assert main([*submit_argv(source, "poor"), *model_args]) == 0
    capsys.readouterr()
    assert main(["validate", "poor", "--dataset", DATASET, "--no-progress"]) == 0
    record = json.loads((submissions / "poor" / "validation.json").read_text())
    assert 0 <= record["measured"]["explained_variance"] < 0.5
    assert record["warnings"][0].startswith("explained_variance: 0.")
    assert "saeprobe: warning: explained_variance" in capsys.readouterr().err


def test_a_referenced_folder_is_validated_against_its_recorded_hash(
    tmp_path: Path, submissions: Path, model_args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """``submit`` without ``--copy`` records the folder's absolute path and the weights' sha256;
    the folder is checked where it lies, and weights changed there fail the recorded hash."""
    source = valid(tmp_path / "source")
    assert main([*submit_argv(source, "ref", copy=False), *model_args]) == 0
    manifest = yaml.safe_load((submissions / "ref" / "submission.yaml").read_text())
    assert manifest["sae"]["folder"] == str(source.resolve()) and manifest["weights_sha256"]
    assert not (submissions / "ref" / "sae").exists()
    assert main(["validate", "ref", "--dataset", DATASET, "--no-progress"]) == 0
    capsys.readouterr()
    rewrite_weights(source, lambda t: t["W_dec"].mul_(0.99))
    rejected(capsys, ["validate", "ref", "--dataset", DATASET], "weights_sha256:")
    assert not (submissions / "ref" / "validation.json").exists()  # the old one is void


@pytest.mark.parametrize(
    "case", ["an extra tensor SAELens would drop", "hostile pickle as the weights"]
)
def test_eval_of_a_bare_folder_runs_the_same_weight_checks(
    case: str,
    tmp_path: Path,
    submissions: Path,
    cache: Path,
    model_args: list[str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``saeprobe eval FOLDER`` (no submission, no manifest) refuses what submit refuses,
    before any activation is read."""
    spec = SUBMIT_CASES[case]
    source = tmp_path / "source"
    spec.make(source)
    argv = ["eval", str(source), *model_args, "--hook", HOOK, "--dataset", DATASET]
    rejected(capsys, argv, spec.message, cache, source)
    assert not marker_path(source).exists()
