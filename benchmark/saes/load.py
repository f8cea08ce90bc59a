"""Load a SAELens SAE folder (``cfg.json`` + ``sae_weights.safetensors``) through SAELens.

Only safetensors weights are read: a submitted file is never unpickled.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from benchmark.activations.models import sha256_file

CFG_FILE = "cfg.json"
WEIGHTS_FILE = "sae_weights.safetensors"


class SAELoadError(ValueError):
    """A folder that is not a loadable SAELens SAE."""


@dataclass(frozen=True)
class LoadedSAE:
    path: Path
    sae: Any
    architecture: str
    d_in: int
    d_sae: int
    hook: str | None
    weights_hash: str

    def encode(self, activations: np.ndarray, batch_size: int = 4096) -> np.ndarray:
        """Latent activations [N, d_sae] (float32) for activations [N, d_in]."""
        if activations.ndim != 2 or activations.shape[1] != self.d_in:
            raise SAELoadError(f"SAE expects inputs of width {self.d_in}, got {activations.shape}")
        parts = []
        with torch.no_grad():
            for start in range(0, len(activations), batch_size):
                chunk = torch.from_numpy(
                    np.array(activations[start : start + batch_size], np.float32)
                )
                parts.append(self.sae.encode(chunk.to(self.sae.dtype)).float().numpy())
        return np.concatenate(parts) if parts else np.zeros((0, self.d_sae), np.float32)


def read_cfg(folder: Path) -> dict[str, Any]:
    for name in (CFG_FILE, WEIGHTS_FILE):
        if not (folder / name).is_file():
            raise SAELoadError(f"{folder} has no {name}: not a SAELens SAE folder")
    try:
        cfg: dict[str, Any] = json.loads((folder / CFG_FILE).read_text())
    except json.JSONDecodeError as error:
        raise SAELoadError(f"{folder / CFG_FILE} is not valid JSON: {error}") from error
    return cfg


def load_sae_folder(folder: Path, device: str = "cpu") -> LoadedSAE:
    """Load with SAELens's own classes (dispatch on the cfg's ``architecture``)."""
    from sae_lens import SAE

    folder = folder.expanduser().resolve()
    cfg = read_cfg(folder)
    sae = SAE.load_from_disk(str(folder), device=device)
    sae.eval()
    hook = cfg.get("metadata", {}).get("hook_name") or cfg.get("hook_name")
    return LoadedSAE(
        path=folder,
        sae=sae,
        architecture=str(cfg.get("architecture", "standard")),
        d_in=int(sae.cfg.d_in),
        d_sae=int(sae.cfg.d_sae),
        hook=hook,
        weights_hash=sha256_file(folder / WEIGHTS_FILE),
    )
