"""Seconds per image of AdaIN and WCT at 512 px next to a bare encoder + decoder pass (the floor).

Run: python benchmarks/feedforward_speed.py [--side 512] [--repeats 3]
The floor encodes the content to relu4_1 and decodes it; a stylization also encodes the style and moves
the statistics, so the second row (floor + style encoding) shows what the transform itself adds.
Where --precision auto means bfloat16 on this CPU, AdaIN and WCT are also timed at that precision, and the
pixels' difference from the float32 result is printed (in 1/255 steps).
"""

from __future__ import annotations

import argparse
import functools
import statistics
import time
from collections.abc import Callable

import numpy as np
import stylegram  # noqa: F401  (before torch: it sets OpenMP's wait policy, see stylegram/__init__.py)
import torch
import torch.nn.functional as F

from stylegram.feedforward import FeedForward
from stylegram.precision import resolve


def sample(name: str, side: int) -> torch.Tensor:
    """A skimage sample photo as (1, 3, H, W) in [0, 1] with long side ``side``."""
    import skimage.data

    x = torch.from_numpy(np.ascontiguousarray(getattr(skimage.data, name)())).permute(2, 0, 1)[None].float() / 255
    h, w = x.shape[-2:]
    scale = side / max(h, w)
    return F.interpolate(x, size=(round(h * scale), round(w * scale)), mode="bilinear", antialias=True)


def interleaved_medians(fns: dict[str, Callable[[], object]], repeats: int) -> dict[str, float]:
    """Median seconds of each function, run in turn every round so that the shared host's drift hits all alike."""
    for fn in fns.values():
        fn()  # warm-up
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--side", type=int, default=512, help="long side of content and style, px")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)

    model = FeedForward()
    content = sample("chelsea", args.side)
    content = content[..., : content.shape[-2] // 8 * 8, : content.shape[-1] // 8 * 8]
    style = sample("astronaut", args.side)
    precisions = ["float32"] + [p for p in [resolve("auto")] if p != "float32"]

    @torch.no_grad()
    def floor(precision: str, with_style: bool = False) -> None:
        if with_style:
            model.encode(style, precision)
        model.decode(model.encode(content, precision), precision)

    fns: dict[str, Callable[[], object]] = {}
    for p in precisions:
        fns[f"encoder + decoder (floor), {p}"] = functools.partial(floor, p)
        fns[f"floor + style encoding, {p}"] = functools.partial(floor, p, True)
        for method in ("adain", "wct"):
            fns[f"{method}, {p}"] = functools.partial(model.stylize, content, [style], method=method, precision=p)
    seconds = interleaved_medians(fns, args.repeats)

    h, w = content.shape[-2:]
    print(f"content {w}x{h}, style {style.shape[-1]}x{style.shape[-2]}, torch threads {torch.get_num_threads()}, "
          f"median of {args.repeats}, interleaved")
    base = seconds["encoder + decoder (floor), float32"]
    print(f"{'':36s}{'s/image':>9s}{'x float32 floor':>17s}")
    for name, value in seconds.items():
        print(f"{name:36s}{value:9.2f}{value / base:17.2f}")
    if len(precisions) > 1:
        for method in ("adain", "wct"):
            print(f"{method}: float32 / {precisions[1]} time {seconds[f'{method}, float32'] / seconds[f'{method}, {precisions[1]}']:.1f}x")
            exact, fast = (model.stylize(content, [style], method=method, precision=p) for p in precisions)
            error = ((fast - exact).abs() * 255).flatten()
            print(f"{method}, {precisions[1]} against float32: pixel difference median {error.median():.2f}, "
                  f"99th percentile {torch.quantile(error, 0.99):.2f}, max {error.max():.1f} (of 255)")


if __name__ == "__main__":
    main()
