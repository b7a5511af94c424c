"""stylegram's default transfer against a published peer, pastiche 1.6.0, each with its own defaults, in one run.

Run: pip install --no-deps pastiche==1.6.0     (a peer to measure against, never a dependency)
     python benchmarks/peer_pastiche.py [--size 256] [--pairs 3] [--steps 1000] [--save DIR]

pastiche (github.com/dstein64/pastiche) is a plain Gatys et al. transfer: L-BFGS over the pixels (one evaluation per
step), start from the content, content relu4_2, style relu1_1..relu5_1, its default 1000 steps, float32, an 8-bit
quantized VGG19 of its own. Both tools get the same files: the content and the style converted to sRGB and resized
to --size on their long side by stylegram, so neither resizes or reads colour profiles differently. Each runs as a
user would, from its command line (process start and model loading included), the two runs of a pair back to
back. pastiche saves its image every 100 steps, and the elapsed times it prints place those images in time.

Every image is scored by transfer_speed.py's evaluator: style distance (mean relative Gram error over
relu1_1..relu5_1) and content distance (relative error at relu4_2), lower is better. The two tools weight style
against content differently, so the distances say where each lands on that trade-off as well as how far its
search got; look at the pictures (--save) too. The summary names, per pair, the first pastiche image that is at
least as good as stylegram's on both distances (within 5 %), if any, and the time it took.
"""

from __future__ import annotations

import argparse
import importlib.util
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import stylegram  # noqa: F401  (before torch: it sets OpenMP's wait policy, see stylegram/__init__.py)
from stylegram import images
from stylegram.samples import path
from transfer_speed import PAIRS, Evaluator

STEP_LINE = re.compile(r"^(\d+)\s+([\d.]+)\s+[\d.e+-]+\s*$")  # pastiche's "step elapsed loss" lines


def prepare_inputs(folder: Path, content_name: str, style_name: str, size: int) -> tuple[Path, Path]:
    """The content and style as sRGB PNGs with long side ``size``, the files both tools read."""
    files = []
    for name in (content_name, style_name):
        image = images.resize_tensor(images.load_tensor(path(name)), size)
        target = folder / f"{name}.png"
        images.to_image(image).save(target)
        files.append(target)
    return files[0], files[1]


def run_stylegram(content: Path, style: Path, out: Path) -> float:
    """Seconds of `stylegram transfer` with its defaults, process start included."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "stylegram", "transfer", str(content), str(style), "-o", str(out), "--quiet"],
                   check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def run_pastiche(
    content: Path, style: Path, out: Path, size: int, steps: int, workspace: Path, content_weight: float
) -> tuple[float, dict[int, float]]:
    """Seconds of `pastiche` with its defaults but ``steps`` and ``content_weight``, and the seconds it reports at
    every 100th step."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "pastiche", "--content", str(content), "--styles", str(style), "--output", str(out),
         "--size", str(size), "--style-size", str(size), "--num-steps", str(steps), "--seed", "0", "--info-step", "100",
         "--content-weight", str(content_weight), "--workspace", str(workspace), "--workspace-step", "100"],
        check=True, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    at = {int(m.group(1)): float(m.group(2)) for m in map(STEP_LINE.match, done.stdout.splitlines()) if m}
    return seconds, at


def side_by_side(files: list[Path], target: Path) -> None:
    """One PNG with the given images in a row, for looking at."""
    from PIL import Image

    pictures = [Image.open(f).convert("RGB") for f in files]
    width = sum(p.width for p in pictures) + 4 * (len(pictures) - 1)
    sheet = Image.new("RGB", (width, max(p.height for p in pictures)), "white")
    x = 0
    for p in pictures:
        sheet.paste(p, (x, 0))
        x += p.width + 4
    sheet.save(target)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=256, help="long side of content, style and output (default: %(default)s)")
    parser.add_argument("--pairs", type=int, default=3, choices=range(1, len(PAIRS) + 1),
                        help="how many of transfer_speed.py's content/style pairs (default: %(default)s)")
    parser.add_argument("--steps", type=int, default=1000, help="pastiche's steps (default: %(default)s, its own)")
    parser.add_argument("--content-weight", type=float, default=1.0,
                        help="pastiche's --content-weight (default: %(default)s, its own)")
    parser.add_argument("--save", type=Path, help="keep each pair's pictures here: stylegram, pastiche at 300 steps and at the end")
    args = parser.parse_args()
    if importlib.util.find_spec("pastiche") is None:
        sys.exit("pastiche is not installed: pip install --no-deps pastiche==1.6.0")
    print(f"# {time.strftime('%Y-%m-%d %H:%M')}, {args.size} px, pastiche {args.steps} steps, content weight "
          f"{args.content_weight:g}", flush=True)
    print(f"{'pair':<18}{'tool':<22}{'seconds':>9}{'style':>9}{'content':>9}", flush=True)
    for content_name, style_name in PAIRS[: args.pairs]:
        pair = f"{content_name}/{style_name}"
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            content, style = prepare_inputs(folder, content_name, style_name, args.size)
            score = Evaluator(images.load_tensor(content), images.load_tensor(style))
            ours_seconds = run_stylegram(content, style, folder / "stylegram.png")
            ours = score(images.load_tensor(folder / "stylegram.png"))
            print(f"{pair:<18}{'stylegram default':<22}{ours_seconds:>9.1f}{ours[0]:>9.4f}{ours[1]:>9.4f}", flush=True)
            seconds, at = run_pastiche(content, style, folder / "pastiche.png", args.size, args.steps, folder / "ws",
                                       args.content_weight)
            first_as_good = None
            for step in sorted(at):
                if step == 0:
                    continue
                theirs = score(images.load_tensor(folder / "ws" / f"{step:0{len(str(args.steps))}d}.png"))
                print(f"{'':<18}{f'pastiche @{step}':<22}{at[step]:>9.1f}{theirs[0]:>9.4f}{theirs[1]:>9.4f}", flush=True)
                if first_as_good is None and all(t <= 1.05 * o for t, o in zip(theirs, ours)):
                    first_as_good = (step, at[step])
            print(f"{'':<18}{'pastiche, whole run':<22}{seconds:>9.1f}", flush=True)
            verdict = (f"pastiche first as good on both at step {first_as_good[0]}, {first_as_good[1]:.0f} s: "
                       f"{first_as_good[1] / ours_seconds:.1f}x stylegram's time" if first_as_good else
                       f"no pastiche image within 5 % of stylegram's on both distances in {args.steps} steps")
            print(f"{pair}: stylegram {seconds / ours_seconds:.1f}x faster than pastiche's whole run; {verdict}", flush=True)
            if args.save:
                args.save.mkdir(parents=True, exist_ok=True)
                mid = folder / "ws" / f"{300:0{len(str(args.steps))}d}.png"
                shown = [folder / "stylegram.png", *([mid] if mid.exists() else []), folder / "pastiche.png"]
                side_by_side(shown, args.save / f"{content_name}_{style_name}.png")


if __name__ == "__main__":
    main()
