"""Options shared by several subcommands, declared once."""

from __future__ import annotations

import argparse
import dataclasses
import re
import typing

from ..backbones.base import PADDINGS
from ..options import flag


OWN_PADDING = "the backbone's own: reflect for VGG, zeros for InceptionV1"


def add_backbone_options(parser: argparse.ArgumentParser, pooling: str | None = "max",
                         padding: str = OWN_PADDING) -> None:
    """--backbone, --weights, --pooling, --padding; ``pooling`` None: the command picks max, or avg for textures;
    ``padding``: the default padding, in words."""
    parser.add_argument("--backbone", default="vgg19", help="network whose features are used (default: vgg19)")
    parser.add_argument(
        "--weights",
        default="default",
        help="'default' (embedded normalised VGG19), 'torchvision', 'caffe' (the original VGG; caffe:FILE for a local "
             "copy), 'random[:SEED]', a .pth/.safetensors file or a URL",
    )
    parser.add_argument("--pooling", choices=("max", "avg"), default=pooling,
                        help=f"VGG pooling (default: {pooling or 'max, or avg for a texture'})")
    parser.add_argument(
        "--padding",
        choices=PADDINGS,
        default=None,
        help=f"conv padding (default: {padding})",
    )


def add_scheduler_options(parser: argparse.ArgumentParser, local_default: str = "one per core",
                          without: str = "start a local cluster") -> None:
    """--scheduler and --workers, shared by every command that runs on a cluster; ``without``: what no flag does."""
    group = parser.add_argument_group("cluster")
    group.add_argument("--scheduler", metavar="tcp://HOST:8786",
                       help=f"address of a running Dask scheduler to use (default: {without})")
    group.add_argument("--workers", type=int, metavar="N",
                       help=f"worker processes of the local cluster, one thread each (default: {local_default})")


def positive_int(text: str) -> int:
    """An argparse type: a whole number of at least 1 (a count or a size in px)."""
    if not text.strip().isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number >= 1")
    return int(text)


def backbone_from_args(args: argparse.Namespace):
    """Load the backbone the options name."""
    from ..backbones import build_options, load_backbone

    return load_backbone(args.backbone, args.weights, **build_options(args.backbone, args.padding, args.pooling))


def argument_type(hint) -> type:
    """The argparse type of an options field: str when the annotation admits str, else int or float."""
    kinds = [k for k in typing.get_args(hint) if k is not type(None)] or [hint]
    if str in kinds:
        return str
    kind = next((k for k in kinds if k in (int, float)), str)
    return one_number if kind is float else kind


def one_number(text: str) -> float:
    """An argparse type for a number option: a list is answered with what the option takes (argparse said only
    "invalid float value: '0.5,1'" to --style-scale 0.5,1, a scale per style)."""
    try:
        return float(text)
    except ValueError:
        listed = "; it takes one number, for every style (or example) alike" if "," in text else ""
        raise argparse.ArgumentTypeError(f"'{text}' is not a number{listed}") from None


def long_side(text: str) -> int:
    """An argparse type for a --size that is the output's long side: a whole number; a width and height are answered
    with what --size means (argparse said only "invalid int value: '512x384'")."""
    given = re.fullmatch(r"\s*(\d+)\s*[xX×]\s*(\d+)\s*", text)
    if given:
        raise argparse.ArgumentTypeError(f"'{text}' gives a width and a height, but --size is the output's long "
                                         "side (its aspect is the picture's): give one number, e.g. "
                                         f"{max(map(int, given.groups()))}")
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number of px") from None


def add_dataclass_options(parser: argparse.ArgumentParser, options_cls, helps: dict, choices: dict,
                          only: tuple[str, ...] | None = None, groups: dict[str, tuple[str, ...]] | None = None) -> None:
    """One --flag per field of an options dataclass (``only`` those named), typed from its annotation, defaulting to
    its default; ``groups``: {title: field names}, each listed under its title in --help.

    A boolean that is off by default becomes a --flag that turns it on; one that is on becomes --no-flag.
    """
    defaults, hints = options_cls(), typing.get_type_hints(options_cls)
    under = {}
    for title, names in (groups or {}).items():
        group = parser.add_argument_group(title)
        under.update(dict.fromkeys(names, group))
    rank = {name: i for i, name in enumerate(n for names in (groups or {}).values() for n in names)}
    fields = sorted(dataclasses.fields(options_cls), key=lambda f: rank.get(f.name, -1))  # each group in its order
    for option in (f for f in fields if only is None or f.name in only):
        default, target = getattr(defaults, option.name), under.get(option.name, parser)
        if isinstance(default, bool):
            on = flag(option.name)
            name, action = (on.replace("--", "--no-", 1), "store_false") if default else (on, "store_true")
            target.add_argument(name, dest=option.name, action=action, help=helps[option.name])
            continue
        kind = argument_type(hints[option.name])
        kind = long_side if option.name == "size" and kind is int else kind  # texture's size is WxH, a str
        target.add_argument(flag(option.name), type=kind, default=default, choices=choices.get(option.name),
                            help=helps[option.name])


def given_fields(args: argparse.Namespace, options_cls) -> set[str]:
    """The fields of ``options_cls`` typed on the command line, at any value (cli.given_options): one typed at its
    default is given too (--method adain --style-weight 10 said nothing, as 10 is the default, where 5 was refused);
    none where the command was run without the command line."""
    return set(getattr(args, "given", ())) & {f.name for f in dataclasses.fields(options_cls)}
