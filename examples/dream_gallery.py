"""Make the deep-dream gallery images (examples/gallery/dream_*.png) with the embedded VGG19.

    python examples/dream_gallery.py            # about 5 minutes on 2 CPU cores
    python examples/dream_gallery.py cluster    # only 2. and 3.

1. dream_channels.png: the dreams of 16 channels, 8 of relu3_1 and 8 of relu4_1 (each evaluated on its
   pre-ReLU tap), namely the channels most active on skimage's brick, grass and gravel textures in turn.
   For each channel the mean post-ReLU activation of the starting noise and of the dream are printed.
2. dream_cluster_pair.png: the blog post's figure pair for one cluster of relu4_1 channels (from
   `stylegram grams` on brick/grass/gravel crops): the dream that maximizes the cluster's mean activation
   beside the one that maximizes the mean pairwise correlation of its feature maps. The within-cluster mean
   correlation of the starting noise and of both dreams is printed.
3. dream_cluster_where.png: where that cluster fires (`stylegram features --clusters`): the mean of its channels'
   feature maps on a crop of each texture, beside its activation dream.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import numpy as np
import stylegram  # noqa: F401  (before torch: it sets OpenMP's wait policy, see stylegram/__init__.py)
import torch

from stylegram import deepdream as D
from stylegram.analysis import featuremaps, inputs, plots
from stylegram.cli import main
from stylegram.features import default_backbone

HERE = Path(__file__).parent / "gallery"
LAYERS = ("relu3_1", "relu4_1")
PER_LAYER = 8
CHANNEL_SIZE = 128
PAIR_SIZE = 224
PAIR_LR = 0.1  # the correlation objective is blind to contrast by design: larger steps leave a livelier image
CLUSTERS = 8


def start_noise(job) -> torch.Tensor:
    """The run's starting image at its final size (the same seed draws the same noise)."""
    return job.problem.initial_image(job.problem.sizes()[-1], torch.Generator().manual_seed(job.options.seed))


def channel_gallery(vgg, crops: dict[str, list[torch.Tensor]]) -> None:
    images = [x for members in crops.values() for x in members]
    labels = [k for k, members in enumerate(crops.values()) for _ in members]
    dreams, titles = [], []
    for layer in LAYERS:
        maps = featuremaps.maps(images, layer, vgg)
        picked = featuremaps.strongest_per_class(maps, labels, PER_LAYER)
        for c in picked:
            job = D.prepare_dream(D.channel(layer, c), model=vgg, size=CHANNEL_SIZE)
            for _ in job:
                pass
            image = job.result().image
            probe = D.channel(layer, c)
            before = D.measure(probe, start_noise(job), vgg)[probe.description]
            after = D.measure(probe, image, vgg)[probe.description]
            print(f"{layer} channel {c:3d}: mean activation {before:6.3f} on the noise, {after:7.3f} on its dream "
                  f"({after / max(before, 1e-3):5.0f}x)  [{job.state.elapsed:.0f}s]", flush=True)
            dreams.append(image)
            titles.append(f"{layer} ch. {c}")
    fig = plots.images_grid(dreams, titles, "Deep dreams of 16 VGG19 channels: relu3_1 (top), relu4_1 (bottom), "
                            "each maximized on its pre-ReLU tap from grey noise", columns=PER_LAYER, width=1.35)
    save(fig, HERE / "dream_channels.png")


def pick_cluster(vgg, record: dict, crops: dict[str, list[torch.Tensor]]) -> int:
    """The cluster most specific to one texture: highest (best class mean) / (mean over classes) activation."""
    layer = record["layer"]
    best, best_score = 0, -1.0
    print(f"\nclusters of {layer} and their mean activation per class ({', '.join(crops)}):")
    for group in record["clusters"]:
        cs = group["channels"]
        per_class = [float(torch.stack([m[cs].mean() for m in featuremaps.maps(members, layer, vgg)]).mean())
                     for members in crops.values()]
        score = max(per_class) / max(np.mean(per_class), 1e-9) if len(cs) >= 8 else 0.0
        print(f"  cluster {group['id']}: {len(cs):3d} channels, " + ", ".join(f"{v:.3f}" for v in per_class))
        if score > best_score:
            best, best_score = group["id"], score
    return best


def cluster_pair(vgg, crops: dict[str, list[torch.Tensor]], work: Path) -> None:
    folders = inputs.write_classes(crops, work / "crops")
    grams = work / "grams.png"
    if main(["grams", *map(str, folders), "--layer", "relu4_1", "--clusters", str(CLUSTERS), "-o", str(grams)]):
        sys.exit("stylegram grams failed")
    record = json.loads(grams.with_suffix(".json").read_text())
    k = pick_cluster(vgg, record, crops)
    layer, cs = D.read_cluster(grams.with_suffix(".json"), k)
    tap = D.pre_relu_tap(vgg, layer)
    probes = {f"{tap} (the objective's tap)": D.cluster_correlation(tap, cs),
              f"{layer} (where the cluster was found)": D.cluster_correlation(layer, cs)}
    panels, titles = [], []
    for correlation in (False, True):
        goal = D.cluster(grams.with_suffix(".json"), k, correlation=correlation)
        job = D.prepare_dream(goal, model=vgg, size=PAIR_SIZE, lr=PAIR_LR)
        for _ in job:
            pass
        image = job.result().image
        what = "correlation" if correlation else "activation"
        print(f"\ncluster {k} of {layer} ({len(cs)} channels), {what} objective [{job.state.elapsed:.0f}s]:")
        for name, probe in probes.items():
            r0 = next(iter(D.measure(probe, start_noise(job), vgg).values()))
            r1 = next(iter(D.measure(probe, image, vgg).values()))
            print(f"  mean pairwise correlation within the cluster at {name}: {r0:.3f} before (noise), {r1:.3f} after")
            if name.startswith(tap):
                shown = (r0, r1)
        mean = next(iter(D.measure(D.channels(layer, cs), image, vgg).values()))
        print(f"  mean activation of the cluster at {layer}: {mean:.3f}")
        panels.append(image)
        titles.append(f"{what} objective\nmean r at {tap}: {shown[0]:.2f} -> {shown[1]:.2f}")
    fig = plots.images_grid(panels, titles, f"Cluster {k} of {layer} ({len(cs)} channels): activation vs correlation",
                            columns=2, width=3.2)
    save(fig, HERE / "dream_cluster_pair.png")
    examples = [members[0] for members in crops.values()]
    maps = featuremaps.maps(examples, layer, vgg)
    where = plots.features_grid(examples, maps, featuremaps.cluster_rows({k: cs}), list(crops), layer, panels[:1])
    save(where, HERE / "dream_cluster_where.png")


def save(fig, path: Path) -> None:
    """PNG with an adaptive 256-colour palette, so the gallery stays small."""
    from PIL import Image

    image = plots.rendered(fig).convert("RGB")
    image.quantize(256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(path, optimize=True)
    print(f"wrote {path} ({path.stat().st_size // 1024} KB)")


def main_() -> None:
    vgg = default_backbone()
    crops = inputs.texture_classes(("brick", "grass", "gravel"), count=8, size=128)
    HERE.mkdir(parents=True, exist_ok=True)
    if sys.argv[1:] != ["cluster"]:
        channel_gallery(vgg, crops)
    with tempfile.TemporaryDirectory() as work:
        cluster_pair(vgg, crops, Path(work))


if __name__ == "__main__":
    main_()
