"""The Backbone interface: a CNN whose intermediate outputs are addressed by semantic layer names."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import torch
from torch import nn

from ..errors import BackboneError, LayerError, did_you_mean

PADDINGS = ("zeros", "reflect", "replicate", "circular")
POOLINGS = ("max", "avg")


@dataclass(frozen=True)
class LayerInfo:
    """One named tap of a backbone: its channel count and its stride relative to the input."""

    name: str
    channels: int
    stride: int


class InputNorm(nn.Module):
    """Per-pixel affine map from RGB in [0, 1] to what the network was trained on: y = M x + b."""

    def __init__(self, matrix: torch.Tensor, bias: torch.Tensor):
        super().__init__()
        self.register_buffer("weight", matrix.reshape(3, 3).clone().float())
        self.register_buffer("bias", bias.reshape(3).clone().float())

    @classmethod
    def mean_std(cls, mean: tuple[float, ...], std: tuple[float, ...], scale: float = 1.0) -> InputNorm:
        """The usual (scale * x - mean) / std normalization, per RGB channel."""
        m, s = torch.tensor(mean), torch.tensor(std)
        return cls(torch.diag(scale / s), -m / s)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.einsum("oc,nchw->nohw", self.weight, x) + self.bias.view(1, 3, 1, 1)


class Backbone(nn.Module):
    """A feature network with named taps, evaluated lazily so work stops at the deepest layer asked for.

    Subclasses set ``name`` and ``infos`` and implement ``taps(x)``, a generator that yields
    ``(layer_name, tensor)`` in network order from a normalized input.
    """

    name: str = "backbone"
    infos: list[LayerInfo]

    def __init__(self) -> None:
        super().__init__()
        self.infos = []
        self.weights_source = "random"

    def layer_names(self) -> list[str]:
        """All tap names, shallow to deep."""
        return [info.name for info in self.infos]

    def info(self, layer: str) -> LayerInfo:
        """The LayerInfo of one tap; LayerError with a suggestion for unknown names."""
        for info in self.infos:
            if info.name == layer:
                return info
        if any(c in layer for c in "*?["):  # 'relu*' was answered 'did you mean relu5_4?'
            example = next((n for n in self.layer_names() if n in ("relu3_1", "mixed4c")), self.layer_names()[-1])
            raise LayerError(f"layer '{layer}' is a pattern; name a layer here, such as {example} (run 'stylegram "
                             f"layers --backbone {self.name}' to list them; the --layers of rank-layers, grams and "
                             "report take patterns)")
        raise LayerError(
            f"layer '{layer}' does not exist in {self.name}{did_you_mean(layer, self.layer_names())}"
            f" (run 'stylegram layers --backbone {self.name}' to list them)"
        )

    def check_layers(self, layers: list[str]) -> list[str]:
        """Validate names and return them sorted shallow to deep, without duplicates."""
        if not layers:
            raise LayerError(f"no layers given; name at least one, e.g. {self.layer_names()[0]} "
                             f"(run 'stylegram layers --backbone {self.name}' to list them)")
        order = {name: i for i, name in enumerate(self.layer_names())}
        for layer in layers:
            self.info(layer)
        return sorted(set(layers), key=order.__getitem__)

    def check_defaults(self, defaults: dict[str, list[str]]) -> None:
        """Refuse default layer names (VGG's: {option not given: its layers}) that this network lacks, naming the
        options whose defaults they are."""
        names = self.layer_names()
        flags = [flag for flag, layers in defaults.items() if any(layer not in names for layer in layers)]
        if flags:
            missing = list(dict.fromkeys(layer for flag in flags for layer in defaults[flag] if layer not in names))
            options = " and ".join([", ".join(flags[:-1]), flags[-1]] if len(flags) > 1 else flags)
            raise LayerError(
                f"{options} {'default' if len(flags) > 1 else 'defaults'} to VGG's layers ({', '.join(missing)}), "
                f"which {self.name} does not have; "
                f"name layers of {self.name} with {options} (run 'stylegram layers --backbone {self.name}' to list them)"
            )

    def min_input_size(self, layers: list[str]) -> int:
        """Smallest image side (px) for which every layer up to the deepest requested one is defined."""
        deepest = self.check_layers(layers)[-1]
        return max(2 * self.info(deepest).stride, 2)

    def check_fits(self, size: tuple[int, int], layers: list[str], name: str = "image", fix: str | None = None) -> None:
        """Refuse an input of ``size`` (H, W) smaller than the deepest of ``layers`` needs, naming it ``name`` (and ``fix``)."""
        need = self.min_input_size(layers)
        if min(size) < need:
            raise BackboneError(
                f"{name} is {size[1]}x{size[0]} px; layer {self.check_layers(layers)[-1]} of {self.name} needs at "
                f"least {need} px on each side: {fix or 'use a larger image or a shallower layer'}"
            )

    def normalize(self, x: torch.Tensor) -> torch.Tensor:
        """Map RGB in [0, 1] to the network's own input space."""
        return self.input_norm(x)

    def taps(self, x: torch.Tensor) -> Iterator[tuple[str, torch.Tensor]]:
        """Yield (layer name, output) in network order, starting from a normalized input."""
        raise NotImplementedError

    def set_padding(self, padding: str) -> None:
        """Switch every padded convolution to 'zeros', 'reflect', 'replicate' or 'circular' padding."""
        if padding not in PADDINGS:
            raise BackboneError(f"padding '{padding}' is not one of {', '.join(PADDINGS)}")
        for module in self.modules():
            if isinstance(module, nn.Conv2d) and module.padding != (0, 0):
                module.padding_mode = padding
        self.padding = padding

    def extract(self, x: torch.Tensor, layers: list[str]) -> dict[str, torch.Tensor]:
        """Features at ``layers`` for a batch of RGB images in [0, 1], computing no further than needed."""
        wanted = set(self.check_layers(layers))
        self.check_fits(tuple(x.shape[-2:]), list(wanted))
        found: dict[str, torch.Tensor] = {}
        for name, value in self.taps(self.normalize(x)):
            if name in wanted:
                found[name] = value
                if len(found) == len(wanted):
                    break
        return found
