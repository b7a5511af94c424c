"""`stylegram compare CONTENT STYLE [STYLE ...] --results A.png B.png ... -o compare.html` (and `--texture EXAMPLE
... --results ...`): several results of one transfer or texture measured side by side (stylegram.analysis.compare)."""

from __future__ import annotations

import argparse

from . import SUMMARIES
from .analysis_common import say
from .explain import (add_measure_options, check_inputs, frames_at, inputs_named, measure_settings, network_row,
                      placing_rows, stylized_videos)


def add_parser(sub) -> argparse.ArgumentParser:
    parser = sub.add_parser(
        "compare",
        help=SUMMARIES["compare"],
        description="Measure two or more results made from the same content and style (any methods or tools) as "
        "`stylegram explain` measures one, all at one size, on one self-contained HTML page: a table of how far each "
        "result's Gram matrices have gone from the content's towards the style's (per layer), how closely its "
        "content-layer maps follow the content's, and the coherence of where its patches come from; a plot of style "
        "against content; one layer's Gram matrices side by side; and each result's patch map. With --texture, "
        "textures against their example.",
        usage="%(prog)s [-h] CONTENT STYLE [STYLE ...] --results RESULT RESULT [...] -o OUT.html [options]\n"
              "       %(prog)s [-h] --texture EXAMPLE [EXAMPLE ...] --results RESULT RESULT [...] -o OUT.html "
              "[options]",
    )
    parser.add_argument("images", nargs="+", metavar="IMAGE",
                        help="the content and the style image(s) (files or sample:NAME); with --texture the example(s)")
    parser.add_argument("--results", nargs="+", required=True, metavar="RESULT",
                        help="two or more results made from them (any methods or tools)")
    parser.add_argument("--names", help="their names on the page, comma-separated (default: the file names)")
    parser.add_argument("--layer", help="the layer whose Gram matrices are drawn side by side (default: relu2_1; with "
                        "--texture pool1)")
    parser.add_argument("-o", "--output", required=True, help="output page (.html)")
    parser.add_argument("--frame", type=int, default=None, metavar="N",
                        help="with a video (or animation) as the content and stylized videos as the results (as "
                        "`stylegram batch` makes them): compare frame N of each, from 1 (default: the last)")
    add_measure_options(parser, "the results are")
    return parser


def run(args: argparse.Namespace) -> int:
    from ..analysis import compare
    from ..analysis.placed import file_names
    from ..analysis.report import write_page

    check_inputs(args, result_last=False)
    names = [n.strip() for n in args.names.split(",")] if args.names else None
    compare.check_counts(args.results, names)
    video = stylized_videos(args, args.results)
    output, model, keywords = measure_settings(args)
    if not video:
        _check_readable(args.results)
    say(f"measuring {len(args.results)} results")
    frame_row: dict[str, str] = {}  # with videos: which frame
    if args.texture:
        compared = compare.compare_textures(args.images, args.results, names=names, layer=args.layer, model=model,
                                            example_names=file_names(args.images), **keywords)
    else:
        content, results, frame_row = frames_at(args.images[0], args.results, args.frame) if video else \
            (args.images[0], args.results, {})
        compared = compare.compare(content, args.images[1:], results, names=names or compare.names_of(args.results),
                                   layer=args.layer, model=model, style_names=file_names(args.images[1:]), **keywords)
    text = compared.html({**inputs_named(args.images, args.texture), **placing_rows(args),
                          "results": ", ".join(args.results), **frame_row,
                          "size": compared.measured_at(),
                          **network_row(args, model)})
    write_page(text, output)
    at = "--size" if args.size else "the smallest result's size, at most 512; the numbers depend on it, --size sets it"
    shrunk = f"; shrunk to it: {', '.join(compared.shrunk)}" if compared.shrunk else ""
    print(f"wrote {output}; the results measured at {compared.measured_at()} px ({at}){shrunk}:")
    styles = compared.styles_named()
    for name, e in zip(compared.names, compared.explained):
        coherence = ", ".join(f"coherence {m.coherence:.2f}" + (f" in {style}" if len(e.matches) > 1 else "")
                              for m, style in zip(e.matches, styles))
        print(f"{name}: {e.headline(coherence=False)}, {coherence}")  # each style's, not the highest
    return 0


def _check_readable(results: list[str]) -> None:
    """Refuse a result file that is missing or cannot be read before 'measuring' is said (a missing second result
    was named only after the first was measured). Header and PNG checksums only: quick."""
    from .. import downloads, samples
    from ..errors import ImageError
    from ..images import check_intact

    for number, result in enumerate(results, 1):
        if result.startswith(samples.PREFIX) or downloads.is_url(result):
            continue  # read in its turn (a download is work)
        try:
            check_intact(result)
        except ImageError as err:
            raise ImageError(f"result {number}: {err.flagged}") from None
