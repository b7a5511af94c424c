"""Render README's pictures of `stylegram explain`: one layer's Gram matrices for a Gatys result and an AdaIN one, and
where the patches of textures come from.

    python examples/explain_gallery.py [--layer relu2_1]
    python examples/explain_gallery.py texture

Measures the transfer gallery's chelsea-with-swirls pictures (examples/gallery/transfer_chelsea_swirls_*.jpg, made
by examples/transfer_gallery.py) against their content and style, as `stylegram explain` does, and draws the
layer's Gram matrices of the content, each result and the style side by side, channels in the order of the style's
clusters, on one colour scale. Prints each result's share of the way to the style's matrices and its content r.

``texture``: measures the texture gallery's gravel (examples/gallery/texture_gravel.png, made by
examples/texture_gallery.py), a gravel texture grown with --statistic mrf (made here, about 50 s) and a crop of the
example, as `stylegram explain --texture` does, and draws each beside the map of where its patches come from in the
example, with its coherence. Prints each one's share of the way to the example's Gram matrices and its coherence.
"""

from __future__ import annotations

import argparse

import stylegram
from stylegram import explain
from stylegram.analysis import plots
from stylegram.analysis.matches import panels
from stylegram.analysis.cluster import cluster_channels
from transfer_gallery import OUT

RESULTS = {"Gatys": "gatys", "AdaIN": "adain"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", nargs="?", choices=("transfer", "texture"), default="transfer")
    parser.add_argument("--layer", default="relu2_1")
    args = parser.parse_args()
    if args.what == "texture":
        return textures()
    measured = {}
    for name, suffix in RESULTS.items():
        result = OUT / f"transfer_chelsea_swirls_{suffix}.jpg"
        measured[name] = explain("sample:chelsea", "sample:swirls", str(result), style_layers=[args.layer])
        m = measured[name]
        print(f"{name}: {100 * m.moved:.0f}% of the way to the style's Gram matrices at {args.layer}, content r "
              f"{m.kept:.2f}")
    grams = {name: m.grams[0] for name, m in measured.items()}
    first = next(iter(grams.values()))
    panels = [("content", first.start.numpy()),
              *[(f"{name}: {100 * g.moved:.0f}% of the way", g.result.numpy()) for name, g in grams.items()],
              ("style", first.target.numpy())]
    figure = plots.matrices_grid(panels, cluster_channels(first.target.numpy()), "gram", args.layer, columns=4,
                                 title=f"Gram matrices at {args.layer}, channels in the style's clusters")
    plots.save(figure, OUT / "explain.png")
    print(OUT / "explain.png")


def textures() -> None:
    """Gravel grown by Gram matrices, by mrf, and cut out of the example: their patches' places in the example."""
    from stylegram.images import load_tensor
    from stylegram.samples import path

    example = load_tensor(path("gravel"))
    made = {"Gram matrices (default)": str(OUT / "texture_gravel.png"),
            "--statistic mrf": stylegram.texture("sample:gravel", size=256, statistic="mrf",
                                                 layers="relu3_1,relu4_1").image,
            "a crop of the example": example[..., 128:384, 128:384]}
    pictures, maps, titles, map_titles = [example], [], ["example, 512 px"], []
    for name, texture in made.items():
        why = stylegram.explain_texture(example, texture)
        m = why.matches[0]
        coded, picture, painted = panels(why.result, why.styles[0], m)
        print(f"{name}: {100 * why.moved:.0f}% of the way to the example's Gram matrices, coherence {m.coherence:.2f}")
        pictures.append(picture)
        titles.append(f"{name}, 256 px")
        maps.append(painted)
        map_titles.append(f"where its patches come from: coherence {m.coherence:.2f}")
    figure = plots.images_grid([*pictures, coded, *maps], [*titles, "example, each position its colour", *map_titles],
                               "gravel made anew or copied: the places its patches (relu3_1) come from in the example",
                               columns=4, width=2.6)
    plots.save(figure, OUT / "explain_texture.jpg")
    print(OUT / "explain_texture.jpg")


if __name__ == "__main__":
    main()
