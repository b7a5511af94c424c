"""`stylegram explain CONTENT STYLE RESULT -o explain.html`: why a style transfer looks as it does, as one page
(stylegram.analysis.explain)."""

from __future__ import annotations

import argparse

from ..analysis.explain import CONTENT_LAYER, MATCH_LAYER, STYLE_LAYERS
from .analysis_common import check_against_style, say, writable
from .common import add_backbone_options, backbone_from_args


def add_parser(sub) -> argparse.ArgumentParser:
    parser = sub.add_parser(
        "explain",
        help="why a style transfer looks as it does: its Gram matrices, content maps and patches against its inputs",
        description="Measure a style transfer's result against its content and style, as one self-contained HTML "
        "page: at each style layer the Gram matrices of the content, the result and the style side by side and how "
        "far the result's moved from the content's towards the style's; at the content layer how closely the result's "
        "feature maps follow the content's; and where the result's patches come from in the style.",
    )
    parser.add_argument("content", help="the content image the result was made from, a file or sample:NAME")
    parser.add_argument("style", help="the style image, a file or sample:NAME")
    parser.add_argument("result", help="the result of the transfer (any method or tool)")
    parser.add_argument("-o", "--output", required=True, help="output page (.html)")
    parser.add_argument("--style-layers", default=",".join(STYLE_LAYERS),
                        help="layers whose Gram matrices are compared (default: %(default)s)")
    parser.add_argument("--content-layer", default=CONTENT_LAYER, help="layer whose maps are compared (default: %(default)s)")
    parser.add_argument("--match-layer", default=MATCH_LAYER, help="layer whose patches are paired (default: %(default)s)")
    parser.add_argument("--style-scale", type=float, default=1.0,
                        help="the style's long side relative to the result's, as the transfer used it "
                        "(default: %(default)s)")
    parser.add_argument("--size", type=int, default=None,
                        help="long side in px of the analysis (default: the result's, at most 512)")
    add_backbone_options(parser)
    return parser


def run(args: argparse.Namespace) -> int:
    from ..analysis import explain
    from ..analysis.report import write_page

    check_against_style(args.size, args.style_scale)
    output = writable(args.output, (".html", ".htm"))
    layers = [name.strip() for name in args.style_layers.split(",") if name.strip()]
    model = backbone_from_args(args)
    model.check_layers([*layers, args.content_layer, args.match_layer])
    say("measuring the Gram matrices, content maps and patches")
    measured = explain.explain(args.content, args.style, args.result, size=args.size, style_scale=args.style_scale,
                               model=model, style_layers=layers, content_layer=args.content_layer,
                               match_layer=args.match_layer)
    text = measured.html({"content": args.content, "style": args.style, "result": args.result,
                          "size": f"{measured.result.shape[-1]}x{measured.result.shape[-2]}",
                          "style scale": args.style_scale, "network": f"{model.name} ({args.weights})"})
    write_page(text, output)
    print(output)
    return 0
