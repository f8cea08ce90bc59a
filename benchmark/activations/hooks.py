"""SAELens / TransformerLens hook names on Hugging Face decoders.

``blocks.{L}.hook_resid_post`` is the residual stream after decoder layer ``L`` (the output of
``model.layers[L]``). Capturing it cuts the forward pass there: later layers never run.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from benchmark.errors import SaeprobeError

_HOOK = re.compile(r"^blocks\.(\d+)\.hook_resid_post$")


class HookError(SaeprobeError, ValueError):
    """A hook name that is malformed or does not fit the model."""


@dataclass(frozen=True)
class Hook:
    name: str
    layer: int

    @classmethod
    def parse(cls, name: str) -> Hook:
        match = _HOOK.match(name)
        if match is None:
            raise HookError(f"unsupported hook {name!r}: expected 'blocks.<layer>.hook_resid_post'")
        return cls(name=name, layer=int(match.group(1)))

    def check_fits(self, n_layers: int) -> None:
        if not 0 <= self.layer < n_layers:
            raise HookError(f"hook {self.name!r} needs layer {self.layer}; model has {n_layers}")


def decoder_layers(model: nn.Module) -> nn.ModuleList:
    """The model's stack of decoder layers: the ModuleList as long as ``num_hidden_layers``."""
    config: Any = getattr(model, "config", None)
    n_layers = getattr(config, "num_hidden_layers", None)
    if n_layers is None:
        raise HookError(f"{type(model).__name__} has no config.num_hidden_layers")
    for module in model.modules():
        if isinstance(module, nn.ModuleList) and len(module) == n_layers:
            return module
    raise HookError(f"cannot find {n_layers} decoder layers in {type(model).__name__}")


class _StopForward(Exception):
    """Raised by the capture hook to skip the layers after the hooked one."""


@dataclass
class ResidCapture:
    """Holds the hooked layer's output after a forward pass run inside :func:`capture`."""

    value: torch.Tensor | None = None

    def run(self, model: nn.Module, **inputs: Any) -> torch.Tensor:
        self.value = None
        with contextlib.suppress(_StopForward):
            model(**inputs)
        if self.value is None:
            raise HookError("the hooked layer did not run")
        return self.value


@contextlib.contextmanager
def capture(model: nn.Module, hook: Hook) -> Iterator[ResidCapture]:
    """Register a forward hook on the hooked decoder layer that records its output and stops."""
    layers = decoder_layers(model)
    hook.check_fits(len(layers))
    holder = ResidCapture()

    def record(_module: nn.Module, _inputs: Any, output: Any) -> None:
        holder.value = output[0] if isinstance(output, tuple) else output
        raise _StopForward

    handle = layers[hook.layer].register_forward_hook(record)
    try:
        yield holder
    finally:
        handle.remove()
