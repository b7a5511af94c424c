"""What replicate padding costs in the network pass: stylegram's own backward against torch's.

Run: python benchmarks/padding_speed.py [--sizes 256 512] [--passes 20] [--precision bfloat16|winograd]

A transfer pads every 3x3 convolution by repeating its border (TransferOptions.padding, "replicate"). torch's
replication_pad2d_backward is slow on channels-last maps; backbones.conv3x3.replicate_pad folds the gradient's
border with one copy instead. Timed: VGG19's forward and backward up to relu5_1 (the default style and content
layers) on chelsea in bfloat16 (or with --precision winograd, the float32 pass of CPUs without bfloat16), the two
paddings interleaved pass by pass, medians; and how far apart their input gradients are.
"""

from __future__ import annotations

import argparse
import statistics
import time

import stylegram  # noqa: F401  (before torch: it sets OpenMP's wait policy, see stylegram/__init__.py)
import torch
import torch.nn.functional as F

from stylegram import images
from stylegram.backbones import conv3x3
from stylegram.features import default_backbone
from stylegram.precision import network_pass
from stylegram.samples import path

LAYERS = ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu4_2", "relu5_1"]


def torchs(x: torch.Tensor) -> torch.Tensor:
    """The baseline: F.pad's replicate mode, with torch's backward."""
    return F.pad(x, (1, 1, 1, 1), mode="replicate")


def one_pass(model, image: torch.Tensor, precision: str) -> tuple[float, torch.Tensor]:
    """Seconds of one forward and backward pass (a constant gradient at each layer), and the input's gradient."""
    x = image.clone().requires_grad_(True)
    start = time.perf_counter()
    with network_pass(precision):
        feats = model.extract(x, LAYERS)
    sum(f.float().sum() for f in feats.values()).backward()
    return time.perf_counter() - start, x.grad


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 512])
    parser.add_argument("--passes", type=int, default=20)
    parser.add_argument("--precision", default="bfloat16", choices=("bfloat16", "winograd"))
    args = parser.parse_args(argv)
    model = default_backbone("max", "replicate")
    own = conv3x3.replicate_pad
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s), VGG19 to relu5_1 in {args.precision}, "
          f"replicate padding, medians of {args.passes} interleaved passes")
    print(f"{'size':>5} {'torch s':>8} {'own s':>8} {'faster':>7} {'gradient apart':>15}")
    for size in args.sizes:
        image = images.resize_tensor(images.load_tensor(path("chelsea")), size)
        times = {"torch": [], "own": []}
        for n in range(args.passes + 2):
            for name, pad in (("torch", torchs), ("own", own)):
                conv3x3.replicate_pad = pad
                seconds, grad = one_pass(model, image, args.precision)
                if n >= 2:  # the first passes warm up
                    times[name].append(seconds)
                if n == args.passes + 1:
                    times[name + " grad"] = grad
        conv3x3.replicate_pad = own
        apart = float((times["torch grad"] - times["own grad"]).norm() / times["torch grad"].norm())
        t, o = statistics.median(times["torch"]), statistics.median(times["own"])
        print(f"{size:>5} {t:>8.3f} {o:>8.3f} {t / o:>6.2f}x {100 * apart:>14.2f}%")


if __name__ == "__main__":
    main()
