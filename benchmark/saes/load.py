"""Load a SAELens SAE folder (``cfg.json`` + ``sae_weights.safetensors``) through SAELens.

Only safetensors weights are read: a submitted file is never unpickled.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from scipy import sparse

from benchmark.hashing import sha256_file
from benchmark.saes.cfg import WEIGHTS_FILE, SAECfg, SAELoadError, read_sae_cfg

ENCODE_BATCH = 4096
ENCODE_BUDGET = 1 << 24  # latent values per dense batch (64 MB of float32)


@dataclass(frozen=True)
class LoadedSAE:
    path: Path
    sae: Any
    cfg: SAECfg
    weights_hash: str

    @property
    def architecture(self) -> str:
        return self.cfg.architecture

    @property
    def d_in(self) -> int:
        return self.cfg.d_in

    @property
    def d_sae(self) -> int:
        return self.cfg.d_sae

    @property
    def hook(self) -> str | None:
        return self.cfg.hook_name

    def encode_sparse(self, activations: np.ndarray) -> sparse.csr_matrix:
        """Latent activations as a CSR matrix [N, d_sae] (float32): rows x L0 entries, never
        rows x width dense beyond one batch of at most ``ENCODE_BUDGET`` values."""
        batch = encode_batch(self.d_sae)
        parts = [
            sparse.csr_matrix(self.encode(activations[start : start + batch], batch))
            for start in range(0, len(activations), batch)
        ]
        if not parts:
            return sparse.csr_matrix((0, self.d_sae), dtype=np.float32)
        return sparse.vstack(parts, format="csr")

    def encode(self, activations: np.ndarray, batch_size: int = ENCODE_BATCH) -> np.ndarray:
        """Latent activations [N, d_sae] (float32) for activations [N, d_in]."""
        if activations.ndim != 2 or activations.shape[1] != self.d_in:
            raise SAELoadError(f"SAE expects inputs of width {self.d_in}, got {activations.shape}")
        parts = []
        device = self.sae.W_enc.device  # the SAE's (--device): inputs go there, latents come back
        with torch.no_grad():
            for start in range(0, len(activations), batch_size):
                chunk = torch.from_numpy(
                    np.array(activations[start : start + batch_size], np.float32)
                )
                latents = self.sae.encode(chunk.to(device=device, dtype=self.sae.dtype))
                parts.append(latents.float().cpu().numpy())
        return np.concatenate(parts) if parts else np.zeros((0, self.d_sae), np.float32)


def encode_batch(d_sae: int) -> int:
    """Rows per encoding batch: 4,096, fewer for wide SAEs so one batch of latents stays within
    ``ENCODE_BUDGET`` values (the batch size does not change narrow SAEs' results)."""
    return max(1, min(ENCODE_BATCH, ENCODE_BUDGET // d_sae))


def load_sae_folder(
    folder: Path, device: str = "cpu", weights_hash: str | None = None
) -> LoadedSAE:
    """Load with SAELens's own classes (dispatch on the cfg's ``architecture``). A caller that
    has already hashed the weights passes ``weights_hash``, so they are hashed once."""
    from sae_lens import SAE

    folder = folder.expanduser().resolve()
    cfg = read_sae_cfg(folder)
    try:
        sae = SAE.load_from_disk(str(folder), device=device)
    except (RuntimeError, ValueError, KeyError, TypeError, OSError) as error:
        first = " ".join(str(error).split())[:300]
        raise SAELoadError(f"{WEIGHTS_FILE}: SAELens cannot load it ({first})") from error
    sae.eval()
    return LoadedSAE(
        path=folder,
        sae=sae,
        cfg=cfg,
        weights_hash=weights_hash or sha256_file(folder / WEIGHTS_FILE),
    )


def with_module(sae: LoadedSAE, module: Any) -> LoadedSAE:
    """The same SAE description around another SAELens module (a control being calibrated)."""
    return LoadedSAE(sae.path, module, sae.cfg, "")
