"""Seconds per image of AdaIN and WCT at 512 px next to a bare encoder + decoder pass (the floor).

Run: python benchmarks/feedforward_speed.py [--side 512] [--repeats 3]
The floor encodes the content to relu4_1 and decodes it; a stylization also encodes the style and moves
the statistics, so the second row (floor + style encoding) shows what the transform itself adds.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import stylegram  # noqa: F401  (before torch: it sets OpenMP's wait policy, see stylegram/__init__.py)
import torch
import torch.nn.functional as F

from stylegram.feedforward import FeedForward


def sample(name: str, side: int) -> torch.Tensor:
    """A skimage sample photo as (1, 3, H, W) in [0, 1] with long side ``side``."""
    import skimage.data

    x = torch.from_numpy(np.ascontiguousarray(getattr(skimage.data, name)())).permute(2, 0, 1)[None].float() / 255
    h, w = x.shape[-2:]
    scale = side / max(h, w)
    return F.interpolate(x, size=(round(h * scale), round(w * scale)), mode="bilinear", antialias=True)


def median_seconds(fn, repeats: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--side", type=int, default=512, help="long side of content and style, px")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)

    model = FeedForward()
    content = sample("chelsea", args.side)
    content = content[..., : content.shape[-2] // 8 * 8, : content.shape[-1] // 8 * 8]
    style = sample("astronaut", args.side)

    @torch.no_grad()
    def floor() -> None:
        model.decode(model.encode(content))

    @torch.no_grad()
    def floor_with_style() -> None:
        model.encode(style)
        model.decode(model.encode(content))

    rows = [
        ("encoder + decoder (floor)", median_seconds(floor, args.repeats)),
        ("floor + style encoding", median_seconds(floor_with_style, args.repeats)),
    ]
    for method in ("adain", "wct"):
        rows.append((method, median_seconds(lambda: model.stylize(content, [style], method=method), args.repeats)))

    h, w = content.shape[-2:]
    print(f"content {w}x{h}, style {style.shape[-1]}x{style.shape[-2]}, torch threads {torch.get_num_threads()}, "
          f"median of {args.repeats}")
    print(f"{'':28s}{'s/image':>9s}{'x floor':>9s}")
    for name, seconds in rows:
        print(f"{name:28s}{seconds:9.2f}{seconds / rows[0][1]:9.2f}")


if __name__ == "__main__":
    main()
