"""`stylegram explain CONTENT STYLE [STYLE ...] RESULT -o explain.html` (and `--texture EXAMPLE [EXAMPLE ...] RESULT`):
why a style transfer or a texture looks as it does, as one page (stylegram.analysis.explain)."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from . import SUMMARIES
from ..analysis.explain import CONTENT_LAYER, MATCH_LAYER, STYLE_LAYERS, TEXTURE_LAYERS, check_measuring
from ..analysis.placed import file_names
from ..errors import ImageError, OptionError, status_of
from ..options import flag
from .analysis_common import add_quiet_option, say, writable
from .common import OWN_PADDING, add_backbone_options, backbone_from_args

if TYPE_CHECKING:
    import torch


def add_parser(sub) -> argparse.ArgumentParser:
    parser = sub.add_parser(
        "explain",
        help=SUMMARIES["explain"],
        description="Measure a style transfer's result against its content and style (or styles), as one "
        "self-contained HTML page: at each style layer the Gram matrices of the content, the result and the style side "
        "by side and how far the result's moved from the content's towards the style's; at the content layer how "
        "closely the result's feature maps follow the content's; and where the result's patches come from in the "
        "style. With --texture, a texture against its example (or examples), from the noise it grew from.",
        usage="%(prog)s [-h] CONTENT STYLE [STYLE ...] RESULT -o OUT.html [options]\n"
              "       %(prog)s [-h] VIDEO STYLE [STYLE ...] STYLIZED_VIDEO [--frame N] -o OUT.html [options]\n"
              "       %(prog)s [-h] --texture EXAMPLE [EXAMPLE ...] RESULT -o OUT.html [options]",
    )
    parser.add_argument("images", nargs="+", metavar="IMAGE",
                        help="the content, the style image(s) and the result, last (files or sample:NAME); with "
                        "--texture the example(s) and the texture")
    parser.add_argument("-o", "--output", required=True, help="output page (.html)")
    parser.add_argument("--frame", type=int, default=None, metavar="N",
                        help="with a video (or animation) as the content and its stylized video as the result (as "
                        "`stylegram batch` makes it): measure frame N of each, from 1 (default: the last)")
    add_measure_options(parser, "the result is")
    return parser


def add_measure_options(parser: argparse.ArgumentParser, what: str) -> None:
    """--texture, the blend, layers and scales, --size and the network: how a result was made and is measured."""
    parser.add_argument("--texture", action="store_true",
                        help=f"{what} grown from the examples (stylegram texture), not a transfer")
    parser.add_argument("--style-blend", "--blend", dest="blend", default=None,
                        help="weights of several styles (examples) as the result was made with, e.g. 0.7,0.3 "
                        "(default: equal)")
    parser.add_argument("--style-layers", "--layers", dest="layers", default=None,
                        help="layers whose Gram matrices are compared, optionally one group per style split by '/' "
                        f"(default: {','.join(STYLE_LAYERS)}; with --texture {','.join(TEXTURE_LAYERS)})")
    parser.add_argument("--content-layer", default=None, help=f"layer whose maps are compared (default: {CONTENT_LAYER})")
    parser.add_argument("--match-layer", default=None, help=f"layer whose patches are paired (default: {MATCH_LAYER})")
    parser.add_argument("--style-scale", type=float, default=None,
                        help="the style's long side relative to the result's, as the transfer used it (default: 1)")
    parser.add_argument("--example-scale", type=float, default=None,
                        help="with --texture: the example's size relative to its own pixels, as the texture used it "
                        "(default: 1)")
    parser.add_argument("--size", type=int, default=None,
                        help="long side in px of the analysis (default: the result's, at most 512)")
    parser.add_argument("--tileable", action="store_true",
                        help="with --texture: made with --tileable, so measured as it was made (circular padding, the "
                        "start noise across the wrap-around border)")
    add_backbone_options(parser, pooling=None, padding="replicate, as a transfer's; with --texture circular if "
                         f"--tileable, else {OWN_PADDING}")
    add_quiet_option(parser)
    placing = parser.add_argument_group("styles (examples) placed in parts: give those it was made with, and each is "
                                        "measured where it paints")
    placing.add_argument("--style-masks", "--masks", dest="style_masks", metavar="A.png,B.png",
                         help="per style (with --texture: per example), white where it paints")
    placing.add_argument("--style-regions", metavar="A.png,B.png",
                         help="per style image, white over the part whose statistics it lends")
    placing.add_argument("--labels", metavar="CONTENT.png,STYLE.png,...",
                         help="label maps: the content's (with --texture: the output's), then one per style image "
                         "(example)")


def measure_settings(args: argparse.Namespace):
    """The checked output page, the network, and the keywords of explain.explain (or explain_texture, with
    --texture) that the options give; before any work."""
    output = writable(args.output, (".html", ".htm"))
    if args.layers is not None and not args.layers.strip():  # measured the defaults without a word (trial AV)
        raise OptionError("--style-layers is empty; give layer names such as relu1_1,relu3_1, or leave it out for "
                          "the defaults")
    args.pooling = args.pooling or ("avg" if args.texture else "max")
    args.padding = measuring_padding(args)
    if args.texture:
        keywords = {"layers": args.layers or ",".join(TEXTURE_LAYERS), "example_scale": measured_scale(args),
                    "tileable": args.tileable, "masks": args.style_masks, "labels": args.labels}
    else:
        keywords = {"style_layers": args.layers or ",".join(STYLE_LAYERS), "style_scale": measured_scale(args),
                    "content_layer": args.content_layer or CONTENT_LAYER, **placed_by(args)}
    keywords.update(match_layer=args.match_layer or MATCH_LAYER, size=args.size, blend=args.blend)
    model = backbone_from_args(args)
    defaults = {"--style-layers": None if args.layers else keywords.get("style_layers", keywords.get("layers")),
                "--content-layer": None if args.content_layer or args.texture else CONTENT_LAYER,
                "--match-layer": None if args.match_layer else MATCH_LAYER}
    model.check_defaults({flag: names.split(",") for flag, names in defaults.items() if names})
    return output, model, keywords


def measuring_padding(args: argparse.Namespace) -> str | None:
    """The network's padding as the result was made: --padding if given, else a transfer's default (replicate), or
    for a texture circular with --tileable and else the backbone's own (None)."""
    from ..gatys import TransferOptions
    from ..synthesis import tiling_padding

    if args.tileable and not args.texture:
        raise OptionError("--tileable is for a texture (--texture); a transfer does not tile")
    if args.texture:
        return tiling_padding(args.padding, args.tileable)
    return args.padding or TransferOptions.padding


def network_row(settings, model) -> dict[str, str]:
    """The settings table's row that names the network the results were measured with (``settings``: the command's
    arguments, or the options a run made its picture with)."""
    padding = "circular" if getattr(settings, "tileable", False) else settings.padding or "the backbone's own"
    return {"network": f"{model.name} ({settings.weights}, {settings.pooling} pooling, {padding} padding)"}


def inputs_named(sources: list[str], texture: bool) -> dict[str, str]:
    """The settings table's rows that name the inputs."""
    if texture:
        return {"example" if len(sources) == 1 else "examples": ", ".join(sources)}
    return {"content": sources[0], "style" if len(sources) == 2 else "styles": ", ".join(sources[1:])}


def run(args: argparse.Namespace) -> int:
    from ..analysis import explain
    from ..analysis.report import write_page

    check_inputs(args)
    video = stylized_videos(args, args.images[-1:])
    output, model, keywords = measure_settings(args)
    *sources, result = args.images
    content, (result_picture,), frame_row = frames_at(sources[0], [result], args.frame) if video else \
        (sources[0], [result], {})
    if args.texture:  # "measuring" said once the inputs are read: a bad result was refused after it
        measured = explain.explain_texture(sources, result, model=model, example_names=file_names(sources),
                                           progress=say, **keywords)
    else:
        measured = explain.explain(content, sources[1:], result_picture, model=model,
                                   style_names=file_names(sources[1:]), progress=say, **keywords)
    measured.frame = frame_row.get("frame")
    blend = {"blend": ", ".join(f"{w:.2f}" for w in measured.blend)} if len(measured.styles) > 1 else {}
    scale = {} if args.texture else {"style scale": keywords["style_scale"]}
    text = measured.html({**inputs_named(sources, args.texture), **scale, **blend, **placing_rows(args),
                          "result": result, **frame_row,
                          "size": f"{measured.result.shape[-1]}x{measured.result.shape[-2]}",
                          **network_row(args, model)})
    write_page(text, output)
    of_frame = f" of frame {frame_row['frame']}" if frame_row else ""  # the page says it; the line did not
    print(f"wrote {output} ({measured.headline()}{of_frame})")
    return 0


def stylized_videos(args: argparse.Namespace, results: list[str]) -> bool:
    """Whether the results are stylized videos (or animations) to be measured frame by frame; --frame checked before
    any work (a picture has no frames to pick), and a video content with pictures as results named."""
    from ..images import VIDEO_EXTENSIONS, is_animation

    def moving(path: str) -> bool:
        return Path(path).suffix.lower() in VIDEO_EXTENSIONS or is_animation(path)

    videos = [not args.texture and moving(r) for r in results]
    if any(videos) and not all(videos):
        raise OptionError(f"{results[videos.index(False)]} is a picture and {results[videos.index(True)]} a video: "
                          "compare pictures with pictures, videos with videos")
    content = args.images[0] if args.images and not args.texture else None
    if content is not None and not any(videos) and Path(content).suffix.lower() in VIDEO_EXTENSIONS:
        pictures = f"the result {results[0]} a picture" if len(results) == 1 else "the results pictures"
        raise OptionError(f"the content {content} is a video and {pictures}: give the video stylized from it as the "
                          "result (measured frame by frame, --frame N), or the pictures' own content image")
    if args.frame is not None and not any(videos):
        raise OptionError(f"--frame picks a frame of a stylized video, and the result {results[0]} is a picture")
    if args.frame is not None and args.frame < 1:
        raise OptionError(f"--frame counts from 1, got {args.frame}")
    return any(videos)


def frames_at(content: str, results: list[str], frame: int | None
              ) -> tuple[torch.Tensor, list[torch.Tensor], dict[str, str]]:
    """Frame ``frame`` (from 1; default the last) of each stylized video and of the video content, and the settings
    row that names it."""
    try:
        from ..batch.video import frame_at, is_video, shown_frames
    except ImportError as err:
        raise OptionError(f"measuring a video needs the batch extra ({err.name} is missing): pip install "
                          "'stylegram[batch]'") from None
    from ..images import to_tensor

    counts = [shown_frames(result) for result in results]  # from the packets: nothing decoded yet
    made_from = shown_frames(content) if is_video(content) else None  # a picture: said below, as having no frame N
    for result, count in zip(results, counts):  # a 12-frame result of a 24-frame content was measured at frame 12
        if made_from is not None and count != made_from:
            raise OptionError(f"{result} has {count} frames and the content {content} {made_from}: a stylized video "
                              "has its content's frames; give the video it was made from")
    if frame is None and len(set(counts)) > 1:
        raise OptionError(f"the stylized videos have {', '.join(map(str, counts))} frames; give --frame N to compare "
                          "one frame of each")
    number = frame or counts[0]
    for result, count in zip(results, counts):
        if number > count:
            raise OptionError(f"--frame {number}: {result} has {count} frames")
    source = frame_at(content, number - 1)
    if source is None:
        raise OptionError(f"{content} has no frame {number}, but its stylized video {results[0]} has {counts[0]}: "
                          "give the video it was made from")
    picked = []
    for result in results:
        pixels = frame_at(result, number - 1)
        if pixels is None:  # its packets list the frame, and decoding does not give it
            raise ImageError(f"{result}: frame {number} cannot be decoded; the file may be damaged: make it again")
        picked.append(to_tensor(pixels))
    return to_tensor(source), picked, {"frame": f"{number} of {counts[0]}"}


def placing_rows(args: argparse.Namespace) -> dict[str, str]:
    """The settings table's rows of the masks, regions or label maps given."""
    return {("--masks" if args.texture and name == "style_masks" else flag(name)): value
            for name, value in placed_by(args).items() if value is not None}


def placed_by(args: argparse.Namespace) -> dict[str, str | None]:
    """explain.explain's keywords for the masks, regions or label maps a transfer placed its styles with."""
    from ..analysis.explain import PLACING

    return {name: getattr(args, name) for name in PLACING}


def check_inputs(args: argparse.Namespace, result_last: bool = True) -> None:
    """The images given and the options that fit a transfer or a texture, before any work; ``result_last``: the
    images end with the result (explain), or are the inputs alone (compare)."""
    given = f"got {len(args.images)} image{'s' if len(args.images) != 1 else ''}"
    if args.texture:
        if len(args.images) < 1 + result_last:
            raise OptionError("--texture needs the example (or examples) and the texture: EXAMPLE [EXAMPLE ...] RESULT"
                              if result_last else f"--texture needs the example (or examples): {given}")
        for_transfers = {"style_scale": args.style_scale, "content_layer": args.content_layer,
                         "style_regions": args.style_regions}
        wrong = [flag(name) for name, value in for_transfers.items() if value is not None]
        if wrong:
            raise OptionError(f"{' and '.join(wrong)} measure a transfer; a texture has no content (use "
                              "--example-scale for the example's scale)")
    elif len(args.images) < 2 + result_last:
        raise OptionError(f"give the content, the style (or styles){' and the result' if result_last else ''}, in that "
                          f"order: {given} (for a texture and its example, add --texture)")
    measured_scale(args)


def measured_scale(args: argparse.Namespace) -> float:
    """The style's scale (--style-scale), or with --texture the example's (--example-scale), checked with --size
    before any work; 1 when not given."""
    if args.texture and args.style_scale is not None:
        raise OptionError("--style-scale is for a transfer's style; a texture's example is scaled by --example-scale")
    if not args.texture and args.example_scale is not None:
        raise OptionError("--example-scale is for a texture's example (--texture); a style is scaled by --style-scale")
    flag, scale = ("--example-scale", args.example_scale) if args.texture else ("--style-scale", args.style_scale)
    scale = 1.0 if scale is None else scale  # not `or`: 0 is refused, not taken as 1
    check_measuring(args.size, scale, flag)
    return scale


def add_explain_option(parser: argparse.ArgumentParser, what: str) -> None:
    """--explain FILE.html on a command that makes a ``what`` (transfer, texture)."""
    parser.add_argument("--explain", metavar="FILE.html",
                        help=f"also write the page `stylegram explain` makes of the {what}, measured as it was made "
                        "(its layers, blend and scale): why it looks as it does")


def check_explain(args: argparse.Namespace) -> Path | None:
    """Before any work: --explain's page can be written; its path, or None without --explain."""
    if not args.explain:
        return None
    return writable(args.explain, (".html", ".htm"), "--explain")


def explain_transfer(content: str, styles: list[str], output: Path, options, page: Path) -> int:
    """--explain of `stylegram transfer`: the picture written to ``output`` measured against its inputs; the exit
    status (130: Ctrl-C while measuring, the command that measures it later printed)."""
    from ..analysis import explain
    from ..gatys import load_model
    from ..images import load_input

    def made() -> None:
        model = load_model(options)
        measured = explain.of_transfer(load_input(content, "content image"), explain.loaded(styles, "style image"),
                                       explain.load_result(str(output)), options, model)
        _write(measured, page, {**inputs_named([content, *styles], False), "result": str(output),
                                "method": options.method, **statistic_row(options), **network_row(options, model)})

    later = [content, *styles, str(output), "-o", str(page), *_transfer_flags(options)]
    return _measured_or_interrupted(made, page, later)


def statistic_row(options) -> dict[str, str]:
    """The settings row of a run made with another --statistic than gram: the page measures Gram matrices whatever
    made the picture, and a w2 run's page said nothing of w2 (trial AL)."""
    statistic = str(getattr(options, "statistic", "gram"))
    if getattr(options, "method", "gatys") != "gatys" or statistic == "gram":
        return {}
    return {"statistic": f"{statistic} (made with it; measured here by Gram matrices, one yardstick for every picture)"}


def explain_texture(examples: list[str], output: Path, options, page: Path) -> int:
    """--explain of `stylegram texture`: the texture written to ``output`` measured against its examples; the exit
    status as ``explain_transfer``'s."""
    from ..analysis import explain
    from ..gatys import load_model

    def made() -> None:
        model = load_model(options)
        measured = explain.of_texture(explain.loaded(examples, "example"), explain.load_result(str(output)),
                                      options, model)
        _write(measured, page, {**inputs_named(examples, True), "result": str(output), **statistic_row(options),
                                **network_row(options, model)})

    later = ["--texture", *examples, str(output), "-o", str(page), *_texture_flags(options)]
    return _measured_or_interrupted(made, page, later)


def _measured_or_interrupted(made, page: Path, later: list[str]) -> int:
    """Run ``made``; on Ctrl-C say that the picture is kept and which command writes the page from it later."""
    try:
        made()
        return 0
    except KeyboardInterrupt as err:
        print(f"stylegram: interrupted while measuring the picture for --explain; the picture is written, and "
              f"{shlex.join(['stylegram', 'explain', *later])} writes {page} from it", file=sys.stderr)
        return status_of(err)


def _transfer_flags(options) -> list[str]:
    """The `stylegram explain` options that measure a transfer as ``options`` made it (those away from its own
    defaults)."""
    from ..analysis.explain import PLACING, layers_of
    from ..gatys import TransferOptions

    flags = [*_blend_flags("--style-blend", options.style_blend)]
    if options.style_scale != 1:
        flags += ["--style-scale", f"{options.style_scale:g}"]
    layers = layers_of(options)
    if layers.get("style_layers", ",".join(STYLE_LAYERS)) != ",".join(STYLE_LAYERS):
        flags += ["--style-layers", layers["style_layers"]]
    if layers.get("content_layer", CONTENT_LAYER) != CONTENT_LAYER:
        flags += ["--content-layer", layers["content_layer"]]
    flags += ["--padding", options.padding] if options.padding not in (None, TransferOptions.padding) else []
    for name in PLACING:  # as given on the command line: file names
        flags += [flag(name), getattr(options, name)] if isinstance(getattr(options, name), str) else []
    return flags + _network_flags(options, "max")


def _texture_flags(options) -> list[str]:
    """The `stylegram explain --texture` options that measure a texture as ``options`` made it."""
    flags = [*_blend_flags("--blend", options.blend)]
    if options.example_scale != 1:
        flags += ["--example-scale", f"{options.example_scale:g}"]
    flags += ["--layers", options.layers] if options.layers != ",".join(TEXTURE_LAYERS) else []
    flags += ["--tileable"] if options.tileable else ["--padding", options.padding] if options.padding else []
    for name in ("masks", "labels"):  # as given on the command line: file names
        flags += [flag(name), getattr(options, name)] if isinstance(getattr(options, name), str) else []
    return flags + _network_flags(options, "avg")


def _network_flags(options, pooling: str) -> list[str]:
    """--backbone, --weights and --pooling where ``options`` differ from the defaults (``pooling``: the command's)."""
    flags = ["--backbone", options.backbone] if options.backbone != "vgg19" else []
    flags += ["--weights", str(options.weights)] if options.weights != "default" else []
    return flags + (["--pooling", options.pooling] if options.pooling != pooling else [])


def _blend_flags(flag: str, blend) -> list[str]:
    if not blend:
        return []
    return [flag, blend if isinstance(blend, str) else ",".join(f"{w:g}" for w in blend)]


def _write(measured, page: Path, settings: dict) -> None:
    from ..analysis.report import write_page

    size = f"{measured.result.shape[-1]}x{measured.result.shape[-2]}"
    write_page(measured.html({**settings, "size": size}), page)
    print(f"wrote {page} (why it looks as it does: {measured.headline()})")
