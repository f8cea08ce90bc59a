"""The reference suite's recipes (architecture, SAELens training class, sparsity settings) and
its shared training settings. Free of torch, so the command line can offer the names at once."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, get_args

# the trained random baselines of a reference SAE (benchmark.saes.frozen)
Baseline = Literal["frozen-decoder", "soft-frozen-decoder", "frozen-encoder"]
BASELINES: tuple[str, ...] = get_args(Baseline)


@dataclass(frozen=True)
class Recipe:
    """One architecture: SAELens's training class name, its settings, and the manifest's name."""

    architecture: str
    trainer_class: str
    settings: dict[str, Any] = field(default_factory=dict)


def recipes(width: int, k: int) -> dict[str, Recipe]:
    """Sparsity settings chosen so every architecture lands near L0 = k on held-out corpus
    tokens (measured: ReLU with l1 2.0 gave L0 155, JumpReLU with SAELens's defaults 1,620)."""
    matryoshka = [width // 16, width // 4, width]
    return {
        "relu": Recipe("standard", "StandardTrainingSAE", {"l1_coefficient": 8.0}),
        "topk": Recipe("topk", "TopKTrainingSAE", {"k": k}),
        "batchtopk": Recipe("batchtopk", "BatchTopKTrainingSAE", {"k": k}),
        "jumprelu": Recipe(
            "jumprelu",
            "JumpReLUTrainingSAE",
            {"l0_coefficient": 5.0, "jumprelu_init_threshold": 1.5},
        ),
        "matryoshka": Recipe(
            "matryoshka_batchtopk",
            "MatryoshkaBatchTopKTrainingSAE",
            {"k": k, "matryoshka_widths": matryoshka},
        ),
    }


@dataclass(frozen=True)
class TrainingSettings:
    width: int = 2048
    k: int = 32
    samples: int = 800_000
    batch_size: int = 1024
    lr: float = 4e-4
    seed: int = 0
