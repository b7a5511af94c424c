"""VGG16 and VGG19 with the layer names of the papers (conv1_1, relu1_1, pool1, ..., relu5_4, pool5)."""

from __future__ import annotations

from collections.abc import Iterator

import torch
from torch import nn

from .base import POOLINGS, Backbone, InputNorm, LayerInfo
from ..errors import BackboneError
from .conv3x3 import Conv3x3

# Convolutions per block; every block ends in a 2x2 pooling.
BLOCKS = {"vgg16": (2, 2, 3, 3, 3), "vgg19": (2, 2, 4, 4, 4)}
WIDTHS = (64, 128, 256, 512, 512)

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)  # the original VGG's input: BGR in 0..255, this mean subtracted


def conv_names(arch: str) -> list[str]:
    """Names of the convolutions in network order: conv1_1, conv1_2, conv2_1, ..."""
    return [f"conv{b + 1}_{i + 1}" for b, n in enumerate(BLOCKS[arch]) for i in range(n)]


class VGG(Backbone):
    """VGG feature layers; taps after every conv, ReLU and pooling."""

    def __init__(self, arch: str = "vgg19", pooling: str = "max", padding: str = "reflect"):
        super().__init__()
        if arch not in BLOCKS:
            raise BackboneError(f"unknown VGG variant '{arch}'; use vgg16 or vgg19")
        if pooling not in POOLINGS:
            raise BackboneError(f"pooling '{pooling}' is not one of {', '.join(POOLINGS)}")
        self.name, self.pooling = arch, pooling
        self.input_norm = InputNorm.mean_std(IMAGENET_MEAN, IMAGENET_STD)
        self.layers = nn.ModuleDict()
        channels, stride = 3, 1
        for b, count in enumerate(BLOCKS[arch]):
            for i in range(count):
                name = f"{b + 1}_{i + 1}"
                self.layers[f"conv{name}"] = Conv3x3(channels, WIDTHS[b])
                self.layers[f"relu{name}"] = nn.ReLU()
                channels = WIDTHS[b]
                self.infos += [LayerInfo(f"conv{name}", channels, stride), LayerInfo(f"relu{name}", channels, stride)]
            stride *= 2
            self.layers[f"pool{b + 1}"] = self._pool(pooling)
            self.infos.append(LayerInfo(f"pool{b + 1}", channels, stride))
        self.set_padding(padding)

    @staticmethod
    def _pool(pooling: str) -> nn.Module:
        return nn.MaxPool2d(2, 2) if pooling == "max" else nn.AvgPool2d(2, 2)

    def min_input_size(self, layers: list[str]) -> int:
        """Padding needs 2 px at the input of the deepest conv; a pooling needs 2 px at its input."""
        deepest = self.info(self.check_layers(layers)[-1])
        return 2 * deepest.stride if not deepest.name.startswith("pool") else deepest.stride

    def taps(self, x: torch.Tensor) -> Iterator[tuple[str, torch.Tensor]]:
        for name, module in self.layers.items():
            x = module(x)
            yield name, x


def caffe_input_norm() -> InputNorm:
    """RGB in [0, 1] to the Caffe VGG's input: BGR in 0..255 less the BGR mean."""
    swap = torch.tensor([[0.0, 0.0, 1.0], [0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
    return InputNorm(255 * swap, -torch.tensor(CAFFE_MEAN_BGR))


def from_torchvision_layout(state: dict[str, torch.Tensor], arch: str, caffe: bool = False) -> dict[str, torch.Tensor]:
    """Rename torchvision's 'features.N.weight' keys to ours; classifier keys are dropped.

    ``caffe``: the weights are the original Caffe VGG's in this layout (as pytorch-vgg's vgg19-d01eb7cb.pth), which
    take BGR 0..255 input less the mean, not torchvision's normalization.
    """
    convs = conv_names(arch)
    indices = sorted({int(k.split(".")[1]) for k in state if k.startswith("features.")})
    if len(indices) != len(convs):
        raise KeyError(f"expected {len(convs)} convolutions for {arch} in torchvision layout, found {len(indices)}")
    out = {}
    for name, index in zip(convs, indices):
        out[f"layers.{name}.weight"] = state[f"features.{index}.weight"]
        out[f"layers.{name}.bias"] = state[f"features.{index}.bias"]
    norm = caffe_input_norm() if caffe else InputNorm.mean_std(IMAGENET_MEAN, IMAGENET_STD)
    out["input_norm.weight"], out["input_norm.bias"] = norm.weight, norm.bias
    return out


def from_named_layout(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Keys named after the layers ('conv1_1.weight', as in Gatys et al.'s PyTorch vgg_conv.pth, the normalised VGG19)
    to ours; those weights take the Caffe VGG's input (their code feeds BGR in 0..255 less the mean)."""
    out = {f"layers.{key}": value for key, value in state.items() if key.startswith("conv")}
    norm = caffe_input_norm()
    out["input_norm.weight"], out["input_norm.bias"] = norm.weight, norm.bias
    return out


def to_torchvision_layout(state: dict[str, torch.Tensor], arch: str) -> dict[str, torch.Tensor]:
    """Our keys to torchvision's 'features.N' keys (the input normalization is not stored there)."""
    out, index = {}, 0
    for b, count in enumerate(BLOCKS[arch]):
        for i in range(count):
            name = f"conv{b + 1}_{i + 1}"
            out[f"features.{index}.weight"] = state[f"layers.{name}.weight"]
            out[f"features.{index}.bias"] = state[f"layers.{name}.bias"]
            index += 2
        index += 1  # the pooling layer
    return out


def from_normalised_layout(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Rename the 'normalised VGG19' nn.Sequential keys (layer 0: a 1x1 RGB->BGR conv) to ours."""
    indices = sorted({int(k.split(".")[0]) for k in state})
    first, convs = indices[0], indices[1:]
    names = conv_names("vgg19")
    if state[f"{first}.weight"].shape[:2] != (3, 3) or len(convs) != len(names):
        raise KeyError(f"expected a 1x1 input conv and {len(names)} convolutions, found {len(convs)}")
    out = {
        "input_norm.weight": state[f"{first}.weight"].reshape(3, 3),
        "input_norm.bias": state[f"{first}.bias"],
    }
    for name, index in zip(names, convs):
        out[f"layers.{name}.weight"] = state[f"{index}.weight"]
        out[f"layers.{name}.bias"] = state[f"{index}.bias"]
    return out
