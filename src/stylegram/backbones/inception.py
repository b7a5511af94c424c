"""InceptionV1 (GoogLeNet as in TensorFlow's "inception5h" graph) with the inception5h layer names.

This is the network of the deep-dream notebooks, lucid/lucent and the blog post "Understanding style
transfer" (whose favourite layer is mixed4c_3x3_pre_relu). It takes RGB in 0..255 minus 117; ``input_norm``
maps stylegram's RGB in [0, 1] there. Convolutions and poolings reproduce TF's "SAME" padding the way the
PyTorch port of the graph does (ProGamerGov's inception5h.pth, also used by lucent): symmetric padding for
the stride-1 convolutions, (2, 3) before/after for the 7x7 stride-2 stem convolution and (0, 1) of -inf for
the 3x3 stride-2 max poolings, so a 224 px input gives 112, 56, 28, 14 and 7 px maps.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .base import Backbone, InputNorm, LayerInfo

# ProGamerGov's PyTorch port of the graph, as lucent downloads it; no published hash.
PORT_URL = "https://github.com/ProGamerGov/pytorch-old-tensorflow-models/raw/master/inception5h.pth"

MEAN = 117.0  # the graph's input is RGB * 255 - 117

# Stem convolutions: (name, in, out, kernel).
STEM = (("conv2d0", 3, 64, 7), ("conv2d1", 64, 64, 1), ("conv2d2", 64, 192, 3))

# Mixed blocks: (name, in, 1x1, 3x3 bottleneck, 3x3, 5x5 bottleneck, 5x5, pool reduce) channels.
MIXED = (
    ("mixed3a", 192, 64, 96, 128, 16, 32, 32),
    ("mixed3b", 256, 128, 128, 192, 32, 96, 64),
    ("mixed4a", 480, 192, 96, 204, 16, 48, 64),
    ("mixed4b", 508, 160, 112, 224, 24, 64, 64),
    ("mixed4c", 512, 128, 128, 256, 24, 64, 64),
    ("mixed4d", 512, 112, 144, 288, 32, 64, 64),
    ("mixed4e", 528, 256, 160, 320, 32, 128, 128),
    ("mixed5a", 832, 256, 160, 320, 48, 128, 128),
    ("mixed5b", 832, 384, 192, 384, 48, 128, 128),
)
# 3x3 stride-2 max poolings that come right before a block, with their inception5h names.
POOL_BEFORE = {"mixed4a": "maxpool4", "mixed5a": "maxpool10"}

# The branches of a mixed block, in the order stylegram computes (and yields) them; "pool" is a max pooling.
BRANCHES = (("1x1",), ("3x3_bottleneck", "3x3"), ("5x5_bottleneck", "5x5"), ("pool", "pool_reduce"))

# Local response normalization of the port (PyTorch's convention: alpha is divided by size).
LRN = {"size": 9, "alpha": 9.99999974738e-05, "beta": 0.5, "k": 1.0}

# Top-level keys of the port's classifier, which feature extraction does not need.
PORT_HEADS = ("softmax", "nn0", "nn1", "head0", "head1")

PAD_MODES = {"zeros": "constant", "reflect": "reflect", "replicate": "replicate", "circular": "circular"}


def branch_convs(cin: int, c1: int, c3r: int, c3: int, c5r: int, c5: int, cp: int) -> dict[str, tuple[int, int, int]]:
    """The convolutions of one mixed block: branch name -> (in, out, kernel)."""
    return {
        "1x1": (cin, c1, 1),
        "3x3_bottleneck": (cin, c3r, 1),
        "3x3": (c3r, c3, 3),
        "5x5_bottleneck": (cin, c5r, 1),
        "5x5": (c5r, c5, 5),
        "pool_reduce": (cin, cp, 1),
    }


def conv_table() -> dict[str, tuple[str, int, int, int]]:
    """Every convolution: stylegram module path -> (inception5h name, in, out, kernel)."""
    table = {f"stem.{name}": (name, cin, cout, k) for name, cin, cout, k in STEM}
    for block, *channels in MIXED:
        for branch, (cin, cout, k) in branch_convs(*channels).items():
            table[f"blocks.{block}.{branch}"] = (f"{block}_{branch}", cin, cout, k)
    return table


CONVS = conv_table()


@dataclass(frozen=True)
class Window:
    """A convolution or pooling window, for input-size arithmetic: kernel, stride, padding before/after."""

    kernel: int
    stride: int = 1
    pad: tuple[int, int] = (0, 0)
    conv: bool = True  # convolutions pad with the padding mode; poolings with -inf, which fits any size

    def out_side(self, side: int, padding: str) -> int:
        """Output side for an input side; 0 where PyTorch refuses (reflect needs pad < side, circular pad <= side)."""
        most = max(self.pad)
        if self.conv and most and (padding == "reflect" and side <= most or padding == "circular" and side < most):
            return 0
        padded = side + sum(self.pad)
        return (padded - self.kernel) // self.stride + 1 if padded >= self.kernel else 0


STRIDE2_POOL = Window(3, 2, (0, 1), conv=False)


class StemConv2d(nn.Conv2d):
    """A convolution with asymmetric padding (left, right, top, bottom) that follows ``padding_mode``."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int, pad: tuple[int, int, int, int]):
        super().__init__(cin, cout, kernel, stride)
        self.pad = pad

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.pad(x, self.pad, mode=PAD_MODES[self.padding_mode])
        return F.conv2d(x, self.weight, self.bias, self.stride)


def conv_relu(conv: nn.Module, name: str, x: torch.Tensor) -> Generator[tuple[str, torch.Tensor], None, torch.Tensor]:
    """Yield (name_pre_relu, conv(x)) and (name, relu of it); return the latter (use with ``yield from``)."""
    x = conv(x)
    yield f"{name}_pre_relu", x
    x = F.relu(x)
    yield name, x
    return x


def max_pool_stride2(x: torch.Tensor) -> torch.Tensor:
    """3x3 stride-2 max pooling with TF SAME padding as the port fixes it: one -inf row/column after."""
    return F.max_pool2d(F.pad(x, (0, 1, 0, 1), value=float("-inf")), 3, 2)


class Mixed(nn.ModuleDict):
    """One inception block: 1x1; 1x1 -> 3x3; 1x1 -> 5x5; 3x3 max pool -> 1x1; outputs concatenated."""

    def __init__(self, name: str, *channels: int):
        convs = branch_convs(*channels)
        super().__init__({b: nn.Conv2d(cin, cout, k, padding=k // 2) for b, (cin, cout, k) in convs.items()})
        self.block = name

    def layer_infos(self, stride: int) -> list[LayerInfo]:
        """The block's taps, branch by branch, then the concatenation."""
        infos, total = [], 0
        for chain in BRANCHES:
            for part in chain:
                if part == "pool":
                    infos.append(LayerInfo(f"{self.block}_pool", self["1x1"].in_channels, stride))
                    continue
                out = self[part].out_channels
                infos += [LayerInfo(f"{self.block}_{part}{suffix}", out, stride) for suffix in ("_pre_relu", "")]
            total += self[chain[-1]].out_channels
        return infos + [LayerInfo(self.block, total, stride)]

    def windows(self) -> dict[str, Window]:
        """Size arithmetic of the block's padded taps (1x1 convolutions fit any size)."""
        return {
            f"{self.block}_3x3_pre_relu": Window(3, 1, (1, 1)),
            f"{self.block}_5x5_pre_relu": Window(5, 1, (2, 2)),
            f"{self.block}_pool": Window(3, 1, (1, 1), conv=False),
        }

    def taps(self, x: torch.Tensor) -> Iterator[tuple[str, torch.Tensor]]:
        """Yield the branch taps in order, then the block output."""
        outputs = []
        for chain in BRANCHES:
            y = x
            for part in chain:
                if part == "pool":
                    y = F.max_pool2d(y, 3, 1, 1)  # PyTorch pads poolings with -inf, as TF SAME does
                    yield f"{self.block}_pool", y
                else:
                    y = yield from conv_relu(self[part], f"{self.block}_{part}", y)
            outputs.append(y)
        yield self.block, torch.cat(outputs, 1)


class InceptionV1(Backbone):
    """InceptionV1 / GoogLeNet of the inception5h graph, up to mixed5b; taps before and after every ReLU."""

    name = "inceptionv1"

    def __init__(self, padding: str = "zeros"):
        """``padding`` defaults to zeros, what the weights were trained with (TF SAME)."""
        super().__init__()
        self.input_norm = InputNorm.mean_std((MEAN,) * 3, (1.0,) * 3, scale=255.0)
        self.stem = nn.ModuleDict(
            {
                "conv2d0": StemConv2d(3, 64, 7, 2, pad=(2, 3, 2, 3)),
                "conv2d1": nn.Conv2d(64, 64, 1),
                "conv2d2": nn.Conv2d(64, 192, 3, padding=1),
            }
        )
        self.blocks = nn.ModuleDict({name: Mixed(name, *channels) for name, *channels in MIXED})
        self.infos = self._stem_infos()
        self.windows = {
            "conv2d0_pre_relu": Window(7, 2, (2, 3)),
            "maxpool0": STRIDE2_POOL,
            "conv2d2_pre_relu": Window(3, 1, (1, 1)),
            "maxpool1": STRIDE2_POOL,
        }
        stride = 8
        for name, block in self.blocks.items():
            if name in POOL_BEFORE:
                stride *= 2
                self.infos.append(LayerInfo(POOL_BEFORE[name], block["1x1"].in_channels, stride))
                self.windows[POOL_BEFORE[name]] = STRIDE2_POOL
            self.infos += block.layer_infos(stride)
            self.windows.update(block.windows())
        self.set_padding(padding)

    @staticmethod
    def _stem_infos() -> list[LayerInfo]:
        table = [
            ("conv2d0_pre_relu", 64, 2), ("conv2d0", 64, 2), ("maxpool0", 64, 4), ("localresponsenorm0", 64, 4),
            ("conv2d1_pre_relu", 64, 4), ("conv2d1", 64, 4), ("conv2d2_pre_relu", 192, 4), ("conv2d2", 192, 4),
            ("localresponsenorm1", 192, 4), ("maxpool1", 192, 8),
        ]  # fmt: skip
        return [LayerInfo(*row) for row in table]

    def set_padding(self, padding: str) -> None:
        """Switch every padded convolution, the asymmetrically padded stem convolution included."""
        super().set_padding(padding)
        self.stem["conv2d0"].padding_mode = padding

    def _computable(self, side: int, deepest: str) -> bool:
        for info in self.infos:
            if info.name in self.windows:
                side = self.windows[info.name].out_side(side, self.padding)
                if side < 1:
                    return False
            if info.name == deepest:
                return True
        return True

    def min_input_size(self, layers: list[str]) -> int:
        """Smallest image side for which every tap up to the deepest requested one is computed."""
        deepest = self.check_layers(layers)[-1]
        return next(side for side in range(1, 4097) if self._computable(side, deepest))

    def taps(self, x: torch.Tensor) -> Iterator[tuple[str, torch.Tensor]]:
        for tap, x in self._stem_taps(x):
            yield tap, x
        for name, block in self.blocks.items():
            if name in POOL_BEFORE:
                x = max_pool_stride2(x)
                yield POOL_BEFORE[name], x
            for tap, x in block.taps(x):  # the last tap is the block output, the next block's input
                yield tap, x

    def _stem_taps(self, x: torch.Tensor) -> Iterator[tuple[str, torch.Tensor]]:
        x = yield from conv_relu(self.stem["conv2d0"], "conv2d0", x)
        x = max_pool_stride2(x)
        yield "maxpool0", x
        x = F.local_response_norm(x, **LRN)
        yield "localresponsenorm0", x
        x = yield from conv_relu(self.stem["conv2d1"], "conv2d1", x)
        x = yield from conv_relu(self.stem["conv2d2"], "conv2d2", x)
        x = F.local_response_norm(x, **LRN)
        yield "localresponsenorm1", x
        yield "maxpool1", max_pool_stride2(x)


def convert(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Accept stylegram's keys, or the port's ('conv2d0_pre_relu_conv.weight', ...; classifier dropped)."""
    if any(key.startswith(("stem.", "blocks.")) for key in state):
        _check_shapes(state)
        return state
    if any(key.endswith("_pre_relu_conv.weight") for key in state):
        return from_port_layout(state)
    raise KeyError(
        "keys match neither stylegram's InceptionV1 layout ('stem.conv2d0.weight', ...) nor the inception5h "
        f"port's ('conv2d0_pre_relu_conv.weight', ...); found e.g. {sorted(state)[:3]}"
    )


def port_key(path: str) -> str:
    """The port's key for one of ours: 'blocks.mixed4c.3x3.weight' -> 'mixed4c_3x3_pre_relu_conv.weight'."""
    module, _, param = path.rpartition(".")
    return f"{CONVS[module][0]}_pre_relu_conv.{param}"


def from_port_layout(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Rename the port's keys to ours; KeyError naming the missing, unexpected or misshapen keys."""
    ours = [f"{module}.{param}" for module in CONVS for param in ("weight", "bias")]
    names = {port_key(key): key for key in ours}
    missing = [key for key in names if key not in state]
    unexpected = [key for key in state if key not in names and not key.startswith(PORT_HEADS)]
    if missing or unexpected:
        raise KeyError(
            f"not the inception5h port layout: missing {len(missing)} keys {missing[:3]}, "
            f"unexpected {len(unexpected)} keys {unexpected[:3]}"
        )
    out = {names[key]: value for key, value in state.items() if key in names}
    _check_shapes(out)
    return out


def _check_shapes(state: dict[str, torch.Tensor]) -> None:
    for module, (_, cin, cout, k) in CONVS.items():
        for param, shape in (("weight", (cout, cin, k, k)), ("bias", (cout,))):
            value = state.get(f"{module}.{param}")
            if value is not None and tuple(value.shape) != shape:
                key = f"{module}.{param}"
                raise KeyError(f"{key} ({port_key(key)} in the port) has shape {tuple(value.shape)}, expected {shape}")
