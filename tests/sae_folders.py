"""SAELens folders for intake tests, saved by SAELens itself, and the check that a rejection is
clean: exit status 1, one line naming the field or tensor, nothing written anywhere, the
submitted folder unchanged."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch
from safetensors.torch import load_file, save_file

from benchmark.cli.main import main

HOOK = "blocks.1.hook_resid_post"
WEIGHTS = "sae_weights.safetensors"
CFG = "cfg.json"
D_IN, D_SAE = 32, 64

TRAINING_CLASSES: dict[str, tuple[str, dict[str, Any]]] = {
    "standard": ("StandardTrainingSAE", {}),
    "topk": ("TopKTrainingSAE", {"k": 8}),
    "batchtopk": ("BatchTopKTrainingSAE", {"k": 8}),
    "jumprelu": ("JumpReLUTrainingSAE", {}),
    "matryoshka_batchtopk": (
        "MatryoshkaBatchTopKTrainingSAE", {"k": 8, "matryoshka_widths": [16, 64]}
    ),
    "gated": ("GatedTrainingSAE", {}),
}  # fmt: skip
BIASES = ("b_enc", "b_gate", "b_mag", "r_mag")  # the encoder's; a gated SAE has the last three


def training_sae(
    architecture: str, d_in: int = D_IN, d_sae: int = D_SAE, faithful: bool = False
) -> Any:
    """A SAELens training SAE of the architecture, seeded. A faithful one encodes x as relu(x),
    relu(-x) in its first ``2 d_in`` latents and decodes them back, so it reconstructs what it
    reads and passes validation's quality floor (TopK keeps ``d_in`` latents); any further
    latents never fire. Otherwise the encoder is random and non-trivial."""
    import sae_lens

    name, extra = TRAINING_CLASSES[architecture]
    if faithful and "k" in extra:  # x -> relu(+-x) has d_in active latents: keep them all
        extra = {**extra, "k": d_in}
    config = getattr(sae_lens, f"{name}Config")(d_in=d_in, d_sae=d_sae, **extra)
    config.metadata.hook_name = HOOK
    torch.manual_seed(0)
    sae = getattr(sae_lens, name)(config)
    with torch.no_grad():
        biases = [getattr(sae, name) for name in BIASES if hasattr(sae, name)]
        if faithful:
            pair, rest = torch.cat([torch.eye(d_in), -torch.eye(d_in)], dim=1), 2 * d_in
            sae.W_enc.zero_()[:, :rest] = pair
            sae.W_dec[:rest] = pair.T
            sae.W_dec[rest:] /= sae.W_dec[rest:].norm(dim=1, keepdim=True)
            for bias in [sae.b_dec, *biases]:
                bias.zero_()
            biases[0][rest:] = -1.0  # latents beyond the pairs never fire
            if hasattr(sae, "threshold"):  # JumpReLU: let small activations through
                sae.threshold.fill_(1e-6)
        else:
            sae.W_enc.normal_(0, 0.3)
            biases[0].uniform_(-0.3, 0.1)
    if hasattr(sae, "topk_threshold"):
        sae.topk_threshold = torch.tensor(0.0 if faithful else 0.2)
    return sae


def saved_sae(folder: Path, architecture: str = "standard", **kwargs: Any) -> Path:
    training_sae(architecture, **kwargs).save_inference_model(folder)
    return folder


def rewrite_weights(folder: Path, change: Callable[[dict[str, torch.Tensor]], object]) -> Path:
    tensors = load_file(folder / WEIGHTS)
    change(tensors)
    save_file(tensors, folder / WEIGHTS)
    return folder


def rewrite_cfg(folder: Path, change: Callable[[dict[str, Any]], object]) -> Path:
    cfg = json.loads((folder / CFG).read_text())
    change(cfg)
    (folder / CFG).write_text(json.dumps(cfg))
    return folder


def submit_argv(
    source: Path | str, submission_id: str, architecture: str = "standard", copy: bool = True
) -> list[str]:
    """``saeprobe submit``'s arguments; with ``copy`` (most tests' case) the weights are copied
    into the submission, where tests bring defects in after submit."""
    return [
        "submit", str(source), "--id", submission_id, "--name", "Tiny", "--architecture",
        architecture, "--tokens", "1000", "--corpus", "random", "--author", "Tester",
        "--license", "MIT", "--hook", HOOK, *(["--copy"] if copy else []),
    ]  # fmt: skip


def snapshot(*roots: Path) -> dict[str, tuple[int, bytes | None]]:
    """Every path under the roots with its mode and, for files, its bytes (links not followed)."""
    found: dict[str, tuple[int, bytes | None]] = {}
    for root in roots:
        if not root.exists():
            continue
        for path in sorted(root.rglob("*")):
            info = path.lstat()
            regular = path.is_file() and not path.is_symlink()
            found[str(path)] = (info.st_mode, path.read_bytes() if regular else None)
    return found


def rejected(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str, *watched: Path
) -> str:
    """Run the command line; it must exit 1 with one error line containing ``message`` and
    leave every watched folder exactly as it was. Returns the line."""
    before = snapshot(*watched)
    assert main(argv) == 1
    err = capsys.readouterr().err
    errors = [line for line in err.replace("\r", "\n").splitlines() if "error" in line]
    assert len(errors) == 1 and errors[0].startswith("saeprobe: error: "), err  # one line
    assert message in errors[0], err
    assert snapshot(*watched) == before  # nothing written, nothing changed
    return errors[0]
