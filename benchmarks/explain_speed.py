"""What `stylegram explain` costs, and what sharing its network passes and inlining WebP saves.

Run: python benchmarks/explain_speed.py [--result examples/gallery/transfer_chelsea_swirls_gatys.jpg] [--repeats 3]

Measures the README gallery's chelsea/swirls Gatys picture (384 px) against its content and style, as the command
does, in two ways in the same run, the faster of ``repeats`` each: stylegram's ``explain.measure`` (one network pass
per image at every layer it needs) against a straightforward baseline that makes each piece on its own (the content,
result and style through the network for the Gram matrices, again for the content layer's maps, and the result and
style again for the patches), checking that both give the same numbers. Then the page: seconds to draw it with each
figure drawn once and encoded straight to lossless WebP (the page's way) against matplotlib's savefig to PNG converted
to WebP (the same page), and its size with the figures inlined as WebP against PNG.
"""

from __future__ import annotations

import argparse
import contextlib
import base64
import io
import re
import time

import stylegram  # noqa: F401  (before torch: it sets OpenMP's wait policy, see stylegram/__init__.py)
import torch
from PIL import Image

from stylegram import stats
from stylegram.analysis import explain as X
from stylegram.analysis import plots
from stylegram.analysis.matches import find_matches
from stylegram.features import default_backbone
from stylegram.images import load_input

RESULT = "examples/gallery/transfer_chelsea_swirls_gatys.jpg"


def separately(content, result, style, model) -> tuple[list[float], float, float]:
    """The baseline: each piece with passes of its own; (moved per layer, content r, coherence)."""
    layers = list(X.STYLE_LAYERS)
    with torch.no_grad():
        feats = [model.extract(image, layers) for image in (content, result, style)]
        grams = [[stats.gram(f[layer].float())[0] for f in feats] for layer in layers]
        placed = torch.nn.functional.interpolate(style, size=content.shape[-2:], mode="bilinear", align_corners=False)
        maps = [model.extract(image, [X.CONTENT_LAYER])[X.CONTENT_LAYER][0].float() for image in (content, result, placed)]
    moved = [X.StyleLayer(layer, *g).moved for layer, g in zip(layers, grams)]
    active = maps[0].flatten(1).std(1) > 0
    kept = float(X.channel_agreement(maps[0], maps[1])[active].mean())
    return moved, kept, find_matches(result, style, X.MATCH_LAYER, model).coherence


def fastest(work, repeats: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        out = work()
        best = min(best, time.perf_counter() - start)
    return best, out


def as_png(page: str) -> int:
    """The page's size with each inlined WebP figure written as PNG instead."""
    def png(match: re.Match) -> str:
        buffer = io.BytesIO()
        Image.open(io.BytesIO(base64.b64decode(match[1]))).save(buffer, "PNG")
        return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
    return len(re.sub(r"data:image/webp;base64,([A-Za-z0-9+/=]+)", png, page).encode())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--result", default=RESULT, help="a result of chelsea with swirls (default: %(default)s)")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each, the fastest kept (default: %(default)s)")
    args = parser.parse_args(argv)
    model = default_backbone()
    content, styles, result = X.prepared(load_input("sample:chelsea", "content"), [load_input("sample:swirls", "style")],
                                         load_input(args.result, "result"))
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s), {args.result} at "
          f"{result.shape[-1]}x{result.shape[-2]}, the fastest of {args.repeats}")
    X.measure(content, result, styles, model)  # warm up
    shared_s, shared = fastest(lambda: X.measure(content, result, styles, model), args.repeats)
    alone_s, (moved, kept, coherence) = fastest(lambda: separately(content, result, styles[0], model), args.repeats)
    same = (max(abs(a - g.moved) for a, g in zip(moved, shared.grams)) < 1e-4 and abs(kept - shared.kept) < 1e-4
            and abs(coherence - shared.matches[0].coherence) < 1e-6)
    print(f"measure, one pass per image: {shared_s:.2f} s; each piece on its own: {alone_s:.2f} s "
          f"({alone_s / shared_s:.2f}x); the same numbers: {same} ({100 * shared.moved:.0f}% of the way, "
          f"content r {shared.kept:.2f}, coherence {shared.matches[0].coherence:.2f})")
    page_s, page = fastest(lambda: shared.html(), args.repeats)
    with savefig_then_webp():
        old_s, old = fastest(lambda: shared.html(), args.repeats)
    webp, png = len(page.encode()), as_png(page)
    print(f"page: drawn in {page_s:.2f} s, each figure drawn once and encoded as WebP; {old_s:.2f} s through "
          f"savefig's PNG, then WebP ({old_s / page_s:.2f}x; the same page: {old == page}); {webp / 1e6:.2f} MB with "
          f"WebP figures, {png / 1e6:.2f} MB with PNG ({png / webp:.2f}x)")


@contextlib.contextmanager
def savefig_then_webp():
    """The page's figures made the straightforward way while inside: savefig to PNG (which lays out and draws the
    figure twice), decoded and encoded again as lossless WebP."""
    def old_way(fig) -> bytes:
        png, buffer = io.BytesIO(), io.BytesIO()
        fig.savefig(png, format="png", metadata={"Software": None})
        Image.open(png).save(buffer, format="WEBP", lossless=True, method=2)
        return buffer.getvalue()

    kept = plots.to_webp
    plots.to_webp = old_way
    try:
        yield
    finally:
        plots.to_webp = kept


if __name__ == "__main__":
    main()
