"""Time and quality of stylegram's default transfer against a straightforward baseline, in one run.

Run: python benchmarks/transfer_speed.py [--sizes 256 512] [--baseline-iterations 300] [--pairs 4] [--no-fp32]
     [--variant init=recolor ...] [--repeats 3] [--overhead-only]

Baseline (the classic recipe): one scale, L-BFGS over pixels with history 100, start from the content, content
relu4_2, style relu1_1..relu5_1, 300 iterations, no early stop, float32. Default: stylegram's TransferOptions() unchanged
(on a CPU with native bfloat16 that includes a bfloat16 network pass, on one whose best is AVX2 Winograd
convolutions); "default fp32" is the same with --precision float32, to show what the schedule alone gives. All use the same loss weights, and one fixed evaluator scores the image each one actually saves (8-bit):
  style distance   = mean over relu1_1..relu5_1 of ||G(out) - G(style)||^2 / ||G(style)||^2
  content distance = ||F(out) - F(content)||^2 / ||F(content)||^2 at relu4_2
Lower is better for both. The methods of one pair and size run interleaved, an iteration at a time, each
timed alone (timed_together), so a drift in the machine's speed slows them alike. Also: seconds per iteration of the loop at a fixed size next to a bare
forward+backward pass of the same network in the same precision (the floor on this machine), the medians of 20 of
each taken in turn; --overhead-only measures just that, at every size. With more than one
pair and size it ends with a summary: per method, the median over the runs of each distance relative to the
baseline's, the median time ratio, and in how many runs both distances are within 5 % at >= 5x.

--repeats N runs every method N times per pair and size: the first on the content image as it is, the others on
the content with every 8-bit value moved by -1, 0 or +1 (seeded; the same image for every method; the evaluator
keeps the original). Both searches are chaotic enough that such a nudge moves a distance by several percent, so
with repeats a pair's verdict is judged on the means; the spread is printed beside them.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time

import stylegram  # noqa: F401  (before torch: it sets OpenMP's wait policy, see stylegram/__init__.py)
import torch

from stylegram import images, stats
from stylegram.backbones import load_backbone
from stylegram.features import default_backbone
from stylegram.gatys import TransferOptions, backbone_options, prepare
from stylegram.losses import relative_mse
from stylegram.precision import network_pass, resolve
from stylegram.samples import path

STYLE_LAYERS = ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"]
# The first four chose the defaults; chelsea/mosaic was added afterwards as a pair they were not tuned on
# (BENCHMARKS.md: the default misses the mosaic's strongest relu2_1 channel there).
PAIRS = [("chelsea", "swirls"), ("astronaut", "mosaic"), ("coffee", "swirls"), ("rocket", "mosaic"), ("chelsea", "mosaic")]


class Evaluator:
    """One fixed scorer for every method: style and content distances of the saved 8-bit image."""

    def __init__(self, content: torch.Tensor, style: torch.Tensor):
        self.model = default_backbone()
        with torch.no_grad():
            feats = self.model.extract(style, STYLE_LAYERS)
            self.grams = {k: stats.gram(v) for k, v in feats.items()}
        self.content = content

    @torch.no_grad()
    def __call__(self, image: torch.Tensor) -> tuple[float, float]:
        saved = images.to_tensor(images.to_image(image))  # what a user gets: 8-bit
        content = images.resize_tensor(self.content, tuple(saved.shape[-2:]))
        feats = self.model.extract(saved, [*STYLE_LAYERS, "relu4_2"])
        style = sum(float(relative_mse(stats.gram(feats[k]), self.grams[k])) for k in STYLE_LAYERS) / len(STYLE_LAYERS)
        target = self.model.extract(content, ["relu4_2"])["relu4_2"]
        return style, float(relative_mse(feats["relu4_2"], target))


def copy_rate() -> float:
    """GB/s of copying 64 MB, the best of five: a sign of the shared host's speed (the AMX host copied at 26 GB/s
    in its fast state, 12-20 in slow ones, where its bfloat16 pass slowed more than float32; BENCHMARKS.md)."""
    source = torch.ones(16 * 2**20)
    target = torch.empty_like(source)
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        target.copy_(source)
        best = min(best, time.perf_counter() - start)
    return 2 * source.numel() * 4 / best / 1e9


def planned_work(job) -> list[int]:
    """Pixels computed per iteration, for every iteration the job's schedule plans (scale by scale)."""
    return [h * w for (h, w), n in zip(job.problem.sizes(), job.schedule.iterations) for _ in range(n)]


def timed_together(jobs: dict[str, object]) -> dict[str, tuple[torch.Tensor, float, int]]:
    """{name: (image, seconds, iterations)}: the jobs run interleaved, one iteration at a time, each timed alone.

    The job taken next is the one furthest behind in its own planned work (pixels times iterations), so all of
    them advance through their runs together and a machine whose speed drifts (twice as slow for minutes on
    the shared hosts) slows each of them alike: the time ratios hold where back-to-back runs did not.
    """
    plans = {name: planned_work(job) for name, job in jobs.items()}
    steps = {name: iter(job) for name, job in jobs.items()}
    done = {name: 0 for name in jobs}
    seconds = {name: 0.0 for name in jobs}
    running = set(jobs)
    while running:
        name = min(running, key=lambda n: sum(plans[n][: done[n]]) / max(sum(plans[n]), 1))
        start = time.perf_counter()
        finished = next(steps[name], None) is None  # the last call ends the run (or an early stop does)
        seconds[name] += time.perf_counter() - start
        done[name] += 1
        if finished:
            running.discard(name)
    return {name: (job.result().image, seconds[name], len(job.state.history)) for name, job in jobs.items()}


BASELINE = dict(init="content", iterations=300, tolerance=0, history=100, content_boost=0, precision="float32", parameterization="pixels")


def per_iteration(content, style, size: int, precision: str, n: int = 20) -> tuple[float, float]:
    """Median seconds per loop iteration at one fixed size, and per bare forward+backward of the same network.

    The two are interleaved (one loop iteration, then one bare pass, n times), so a machine whose speed drifts
    during the measurement slows both alike; the medians ignore the odd stalled pass.
    """
    model = load_backbone("vgg19", "default", **backbone_options(TransferOptions()))
    x = images.resize_tensor(content, size).requires_grad_(True)
    layers = [*STYLE_LAYERS, "relu4_2"]

    def bare() -> None:
        with network_pass(precision):
            feats = model.extract(x, layers)
        sum(f.sum() for f in feats.values()).backward()  # the cheapest loss: a constant gradient

    for _ in range(3):  # warm-up: the first passes of a process run slower
        bare()
    job = prepare(content, style, model=model, size=size, min_size=size, iterations=n + 3, tolerance=0, upscale=True,
                  precision=precision, polish=0)  # the spectrum search alone: the dearer of the two stages
    steps = iter(job)
    next(steps), next(steps)  # the first two: targets, warm-up
    loop, passes = [], []
    for _ in range(n):
        loop.append(-time.perf_counter())
        next(steps)
        loop[-1] += time.perf_counter()
        passes.append(-time.perf_counter())
        bare()
        passes[-1] += time.perf_counter()
    return statistics.median(loop), statistics.median(passes)


def print_overhead(content, style, size: int, label: str = "") -> None:
    """One line per precision: the loop's seconds per iteration against a bare forward+backward."""
    for precision in sorted({"float32", resolve("auto")}):
        loop, bare = per_iteration(content, style, size, precision)
        print(f"{label}per iteration at {size} px, {precision}: loop {loop:.3f}s, bare forward+backward {bare:.3f}s, "
              f"overhead {100 * (loop / bare - 1):+.0f}% (medians of 20, interleaved)", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 512])
    parser.add_argument("--baseline-iterations", type=int, default=300)
    parser.add_argument("--pairs", type=int, default=1, choices=range(1, len(PAIRS) + 1),
                        help="how many content/style pairs to run (default: %(default)s)")
    parser.add_argument("--no-fp32", action="store_true", help="skip the 'default fp32' rows")
    parser.add_argument("--repeats", type=int, default=1, metavar="N",
                        help="runs per pair and size, the later ones on the content nudged by one 8-bit step; judged on the means (default: 1)")
    parser.add_argument("--variant", action="append", default=[], metavar="OPTION=VALUE",
                        help="also run the default with this option changed (a row of its own; repeatable)")
    parser.add_argument("--overhead-only", action="store_true",
                        help="only the per-iteration overhead, at every size and pair (a few minutes)")
    args = parser.parse_args()
    if args.overhead_only:
        for content_name, style_name in PAIRS[: args.pairs]:
            content, style = images.load_tensor(path(content_name)), images.load_tensor(path(style_name))
            for size in args.sizes:
                print_overhead(content, style, size, f"{content_name}/{style_name}: ")
        return
    variants = {spec: dict([parse_option(spec)]) for spec in args.variant}
    relative = {}  # method -> [(style ratio, content ratio, time ratio)] against the baseline of the same run
    print(f"# {time.strftime('%Y-%m-%d %H:%M')} {platform.processor() or platform.machine()}, {torch.get_num_threads()} threads, "
          f"torch {torch.__version__}, memory copies at {copy_rate():.1f} GB/s")
    print(f"{'pair':<18}{'size':>5} {'method':<16}{'iters':>6}{'seconds':>9}{'style':>9}{'content':>9}{'time ratio':>11}")
    for content_name, style_name in PAIRS[: args.pairs]:
        content = images.load_tensor(path(content_name))
        style = images.load_tensor(path(style_name))
        for size in args.sizes:
            score = Evaluator(images.resize_tensor(content, size), images.resize_tensor(style, size))
            repeats = []  # per repeat: {method: (style, content, seconds)}
            for repeat in range(args.repeats):
                photo = content if repeat == 0 else nudged(content, repeat)
                rows = run_methods(photo, style, size, args, variants)
                repeats.append({name: (*score(image), seconds) for name, (image, seconds, _) in rows.items()})
                for name, (_, seconds, iters) in rows.items():
                    s, c, _ = repeats[-1][name]
                    label = name if args.repeats == 1 else f"{name} #{repeat + 1}"
                    print(f"{content_name + '/' + style_name:<18}{size:>5} {label:<16}{iters:>6}{seconds:>9.1f}{s:>9.4f}{c:>9.4f}"
                          f"{repeats[-1]['baseline'][2] / seconds:>10.1f}x", flush=True)
            means = {name: tuple(statistics.fmean(r[name][i] for r in repeats) for i in range(3)) for name in repeats[0]}
            if args.repeats > 1:
                print_means(content_name + "/" + style_name, size, repeats, means)
            (s0, c0, t0) = means["baseline"]
            for name, (s, c, seconds) in means.items():
                relative.setdefault(name, []).append((s / s0, c / c0, t0 / seconds))
        print_overhead(content, style, args.sizes[0])
    if len(relative["baseline"]) > 1:
        summarize(relative)
    print(f"# {time.strftime('%H:%M')} memory copies at {copy_rate():.1f} GB/s")


def run_methods(content, style, size: int, args, variants: dict[str, dict]) -> dict:
    """{method: (image, seconds, iterations)} for the baseline, the default, 'default fp32' and the variants."""
    jobs = {"baseline": prepare(content, style, size=size, min_size=size, upscale=True,
                                **{**BASELINE, "iterations": args.baseline_iterations}),
            "default": prepare(content, style, size=size, upscale=True)}
    if resolve("auto") != "float32" and not args.no_fp32:
        jobs["default fp32"] = prepare(content, style, size=size, upscale=True, precision="float32")
    for name, change in variants.items():
        jobs[name] = prepare(content, style, size=size, upscale=True, **change)
    return timed_together(jobs)


def nudged(content: torch.Tensor, seed: int) -> torch.Tensor:
    """The content image with every 8-bit value moved by -1, 0 or +1 (seeded): the same photo, saved again."""
    pixels = images.to_tensor(images.to_image(content))
    step = torch.randint(-1, 2, pixels.shape, generator=torch.Generator().manual_seed(seed)) / 255
    return (pixels + step).clamp(0, 1)


def print_means(pair: str, size: int, repeats: list[dict], means: dict) -> None:
    """Per method: the mean over the repeats and how far single repeats lay from it (min..max, % of the mean)."""
    for name, (s, c, seconds) in means.items():
        spread = [f"{100 * (min(r[name][i] for r in repeats) / m - 1):+.0f}..{100 * (max(r[name][i] for r in repeats) / m - 1):+.0f}%"
                  for i, m in ((0, s), (1, c))]
        print(f"{pair:<18}{size:>5} {name + ' mean':<16}{'':>6}{seconds:>9.1f}{s:>9.4f}{c:>9.4f}"
              f"{means['baseline'][2] / seconds:>10.1f}x   spread style {spread[0]}, content {spread[1]}", flush=True)


def parse_option(spec: str) -> tuple[str, object]:
    """'init=recolor' -> ('init', 'recolor'); numbers become int or float."""
    key, _, value = spec.partition("=")
    for kind in (int, float):
        try:
            return key, kind(value)
        except ValueError:
            pass
    return key, value


def summarize(relative: dict[str, list[tuple[float, float, float]]]) -> None:
    """Medians over the runs, relative to each run's baseline, and how many runs meet issue 3's target."""
    print("summary over", len(relative["baseline"]), "pair/size runs (median; distances relative to the baseline's; with --repeats, of the means):")
    for name, runs in relative.items():
        if name == "baseline":
            continue
        style, content, speed = (statistics.median(column) for column in zip(*runs))
        met = sum(s <= 1.05 and c <= 1.05 and t >= 5 for s, c, t in runs)
        print(f"  {name:<13} style {100 * (style - 1):+.0f} %, content {100 * (content - 1):+.0f} %, "
              f"time ratio {speed:.1f}x; target met in {met} of {len(runs)}")


if __name__ == "__main__":
    main()
