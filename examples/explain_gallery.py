"""Render README's picture of `stylegram explain`: one layer's Gram matrices for a Gatys result and an AdaIN one.

    python examples/explain_gallery.py [--layer relu2_1]

Measures the transfer gallery's chelsea-with-swirls pictures (examples/gallery/transfer_chelsea_swirls_*.jpg, made
by examples/transfer_gallery.py) against their content and style, as `stylegram explain` does, and draws the
layer's Gram matrices of the content, each result and the style side by side, channels in the order of the style's
clusters, on one colour scale. Prints each result's share of the way to the style's matrices and its content r.
"""

from __future__ import annotations

import argparse

from stylegram import explain
from stylegram.analysis import plots
from stylegram.analysis.cluster import cluster_channels
from transfer_gallery import OUT

RESULTS = {"Gatys": "gatys", "AdaIN": "adain"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layer", default="relu2_1")
    args = parser.parse_args()
    measured = {}
    for name, suffix in RESULTS.items():
        result = OUT / f"transfer_chelsea_swirls_{suffix}.jpg"
        measured[name] = explain("sample:chelsea", "sample:swirls", str(result), style_layers=[args.layer])
        m = measured[name]
        print(f"{name}: {100 * m.moved:.0f}% of the way to the style's Gram matrices at {args.layer}, content r "
              f"{m.kept:.2f}")
    grams = {name: m.grams[0] for name, m in measured.items()}
    first = next(iter(grams.values()))
    panels = [("content", first.content.numpy()),
              *[(f"{name}: {100 * g.moved:.0f}% of the way", g.result.numpy()) for name, g in grams.items()],
              ("style", first.style.numpy())]
    figure = plots.matrices_grid(panels, cluster_channels(first.style.numpy()), "gram", args.layer, columns=4,
                                 title=f"Gram matrices at {args.layer}, channels in the style's clusters")
    plots.save(figure, OUT / "explain.png")
    print(OUT / "explain.png")


if __name__ == "__main__":
    main()
