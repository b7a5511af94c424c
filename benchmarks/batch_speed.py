"""Batch throughput (images per minute, AdaIN, 256 px) with 1 and 2 local workers, and video flicker.

Run: OMP_NUM_THREADS=1 python benchmarks/batch_speed.py [--images 16] [--side 256] [--workers 1,2] [--few | --steps]
Each worker count gets a fresh local cluster; its models are loaded by a two-image warm-up, then the
timed run stylizes --images photos (crops of scikit-image's sample photos). Cluster start and the warm-up
are reported apart, and so is the workers' CPU time per image, which other load on the machine does
not change (on a machine shared with other jobs, wall-clock scaling understates what free cores give). Flicker = mean |out_t - out_t-1| / mean |in_t - in_t-1| over a 20-frame camera pan
across a photo, with and without the temporal blend (--temporal); 1 = as steady as the input. It does not follow
the motion, so a blend that lags behind the pan scores well on it; the warp error (stylegram.batch.flow) measures
the change beyond the motion instead. --few instead times one Gatys picture on two workers, on one torch thread
(as before) and sharing the idle worker's core. --steps instead times a Gatys video (--frames of the pan) with each
frame's iterations reported to the client as they run (what the progress bar and the web page show) and without.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import tempfile
import time
from pathlib import Path
from unittest import mock

import numpy as np
from PIL import Image

from stylegram.batch import flow, open_client, stylize_batch, video

STYLE = "sample:swirls"
PHOTOS = ("chelsea", "astronaut", "coffee", "rocket")


def photos(folder: Path, count: int, side: int) -> Path:
    """``count`` 4:3 crops of scikit-image photos, long side ``side``, as PNGs."""
    import skimage.data

    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        image = Image.fromarray(getattr(skimage.data, PHOTOS[i % len(PHOTOS)])())
        w, h = image.size
        cw, ch = (w, w * 3 // 4) if w * 3 // 4 <= h else (h * 4 // 3, h)
        left = (w - cw) * (i // len(PHOTOS)) // 3
        crop = image.crop((left, (h - ch) // 2, left + cw, (h - ch) // 2 + ch))
        crop.resize((side, side * 3 // 4), Image.Resampling.LANCZOS).save(folder / f"photo{i:02d}.png")
    return folder


def pan_video(path: Path, frames: int = 20, size: tuple[int, int] = (192, 144), fps: int = 10) -> Path:
    """A camera pan across scikit-image's cat photo, 1.5 px per frame, with a slow brightness drift."""
    import skimage.data

    photo = np.asarray(Image.fromarray(skimage.data.chelsea()).resize((300, 200), Image.Resampling.LANCZOS))
    return video.pan_video(path, photo, frames, size, fps)


def throughput(workers: int, inputs: Path, warmup: Path, scratch: Path, precision: str = "auto") -> dict:
    start = time.perf_counter()
    with open_client(workers=workers) as client:
        started = time.perf_counter() - start
        t = time.perf_counter()
        stylize_batch([warmup], STYLE, scratch / f"warm{workers}{precision}", client=client, precision=precision)  # loads models
        warm = time.perf_counter() - t
        cpu = sum(client.run(time.process_time).values())
        report = stylize_batch([inputs], STYLE, scratch / f"out{workers}{precision}", client=client, precision=precision)
        cpu = sum(client.run(time.process_time).values()) - cpu
    assert report.ok, report.summary()
    return {"workers": workers, "start": started, "warmup": warm, "seconds": report.seconds,
            "per_minute": 60 * len(report.done) / report.seconds, "cpu": cpu / len(report.done)}


def flicker_figures(scratch: Path, blends: list[float], workers: int) -> list[tuple[float, float, float, float]]:
    """Per blend weight: flicker, warp error (stylegram.batch.flow.warp_error) and seconds."""
    clip = pan_video(scratch / "pan.mp4")
    rows = []
    with open_client(workers=workers) as client:
        for blend in blends:
            report = stylize_batch([clip], STYLE, scratch / f"pan{blend}", client=client, temporal=blend)
            assert report.ok, report.summary()
            out = list(video.frames(scratch / f"pan{blend}" / clip.name))
            error = flow.warp_error(list(video.frames(clip)), out)
            rows.append((blend, report.flicker[str(clip)], error, report.seconds))
    return rows


def few_pictures(inputs: Path, scratch: Path, repeats: int = 2) -> list[tuple[str, float]]:
    """One Gatys picture on a two-worker cluster, single-threaded (as before) and on the idle worker's core too:
    (setting, seconds) per run, alternating so that the host's drift falls on both."""
    from stylegram.batch import stylize

    one = sorted(inputs.glob("*.png"))[:1]
    rows = []
    with open_client(workers=2) as client:
        stylize_batch(one, STYLE, scratch / "few-warm", client=client, method="gatys", iterations="2")  # loads VGG
        for run in range(repeats):
            for setting in ("1 thread", "shared"):
                with mock.patch.object(stylize, "threads_each", lambda c, n: 1) if setting == "1 thread" \
                        else contextlib.nullcontext():
                    report = stylize_batch(one, STYLE, scratch / f"few{run}{setting}", client=client, method="gatys")
                assert report.ok, report.summary()
                rows.append((setting, report.seconds))
    return rows


def reported_steps(scratch: Path, frames: int, repeats: int = 3) -> list[tuple[str, float, int]]:
    """A Gatys video of ``frames`` pan frames with its iterations reported (on_step) and without: (setting, seconds,
    reports) per run, alternating so that the host's drift falls on both."""
    clip = pan_video(scratch / "steps.mp4", frames)
    rows = []
    with open_client() as client:
        stylize_batch([clip], STYLE, scratch / "steps-warm", client=client, method="gatys", iterations="2")  # loads VGG
        for run in range(repeats):
            for setting in ("silent", "reported"):
                reports = []
                hook = (lambda number, record: reports.append(number)) if setting == "reported" else None
                report = stylize_batch([clip], STYLE, scratch / f"steps{run}{setting}", client=client, method="gatys",
                                       on_step=hook)
                assert report.ok, report.summary()
                rows.append((setting, report.seconds, len(reports)))
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=16)
    parser.add_argument("--side", type=int, default=256)
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--temporal", default="0,0.3,0.5", help="blend weights to measure flicker at")
    parser.add_argument("--keep", type=Path, default=None, help="keep the outputs in this folder")
    parser.add_argument("--precision", default="auto", help="the workers' network arithmetic (stylegram.precision)")
    parser.add_argument("--few", action="store_true", help="only the one-Gatys-picture thread comparison")
    parser.add_argument("--steps", action="store_true", help="only a Gatys video, its iterations reported or not")
    parser.add_argument("--frames", type=int, default=5, help="the Gatys video's frames (--steps)")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        scratch = args.keep or Path(tmp)
        inputs = photos(scratch / "photos", args.images, args.side)
        warmup = photos(scratch / "warmup", 2, args.side)
        if args.few:
            print(f"one Gatys picture at {args.side}x{args.side * 3 // 4} px on 2 workers; load average "
                  f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
            for setting, seconds in few_pictures(inputs, scratch):
                print(f"{setting:>9} {seconds:>7.1f} s")
            return
        if args.steps:
            print(f"a {args.frames}-frame 192x144 Gatys video on a local cluster; load average "
                  f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
            for setting, seconds, reports in reported_steps(scratch, args.frames):
                print(f"{setting:>9} {seconds:>7.1f} s {reports:>6} iteration reports")
            return
        print(f"AdaIN ({args.precision}), {args.images} images at {args.side}x{args.side * 3 // 4} px, style {STYLE}; "
              f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        print(f"{'workers':>7} {'cluster start':>14} {'warm-up (2 img)':>16} {'timed run':>10} {'images/min':>11} "
              f"{'worker CPU s/image':>19}")
        for n in (int(w) for w in args.workers.split(",")):
            r = throughput(n, inputs, warmup, scratch, args.precision)
            print(f"{n:>7} {r['start']:>13.1f}s {r['warmup']:>15.1f}s {r['seconds']:>9.1f}s {r['per_minute']:>11.1f} "
                  f"{r['cpu']:>19.2f}")
        print("\nflicker of a 20-frame 192x144 pan, AdaIN (1 = as steady as the input) and warp error (grey levels "
              "of change beyond the motion)")
        print(f"{'temporal':>8} {'flicker':>8} {'warp error':>11} {'seconds':>8}")
        for blend, value, error, seconds in flicker_figures(scratch, [float(b) for b in args.temporal.split(",")], 2):
            print(f"{blend:>8} {value:>8.2f} {error:>11.2f} {seconds:>8.1f}")


if __name__ == "__main__":
    main()
