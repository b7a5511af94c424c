"""Video: frames blended and warm-started along the optical flow, against the same without motion, in one run.

Run: python benchmarks/video_temporal.py [--clip synthetic|pan] [--step 1.5] [--size 256] [--frames 16]
[--gatys-frames 6] [--iterations auto] [--edges-only] [--save DIR]

A video is stylized with swirls: ``synthetic`` (stylegram.batch.synthetic_video: a square and a disc moving over a
gradient) or ``pan`` (stylegram.batch.video.pan_video: the camera moving right across chelsea, 1.5 px a frame, so
that new picture enters at the right edge every frame); then each way of joining the frames is scored:

- flicker: mean |out_t - out_t-1| / mean |in_t - in_t-1| (the batch report's figure; no motion compensation, so
  it also rewards a picture that lags behind its content);
- warp error: mean |out_t - warp(out_t-1)| in grey levels over the pixels whose flow is consistent both ways: how
  much the picture changes beyond what the motion explains (Ruder et al.'s temporal consistency);
- trail: mean |out_t - stylized(frame_t)|, how far the blend departs from the frame's own stylization (a
  ghost of where things were shows up here);
- edge (Gatys rows): the texture of the entering edge, the mean standard deviation along each row of the last
  ``EDGE`` columns over that of ``EDGE`` columns in the middle, over the warm frames: 1 when the edge is as textured
  as the rest, lower when its rows are drawn out as streaks;
- edge styled (Gatys rows): how far the entering edge is from the photo, mean |out - in| over the last ``EDGE``
  columns over that of the middle's, over the warm frames: lower when the edge stays half photo (it depends on
  what the clip shows there, so compare rows, not clips).

AdaIN: each frame stylized alone, then --temporal 0.5 blended as before (the previous output where it was) and as
now (moved along the flow, not blended where the flow is inconsistent). Gatys: the first frame in full, each next one
warm-started from the previous output plus the content's change, as before (no flow, the finest scale's iterations),
along the flow with as many iterations and with half, and as now (half, and held near the start where the flow is
reliable: --temporal-weight). With ``--clip pan`` a last Gatys row runs as now but with the edges as they were
before 2026-12-05 (the previous output's last column repeated into what entered, and that column's flow trusted by
the hold), so that the two are compared in the same run. Each Gatys row also prints the warm frames' mean style and content losses. The flow's own time per frame pair is printed against AdaIN's time per frame.
"""

from __future__ import annotations

import argparse
import contextlib
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import stylegram  # noqa: F401  (before torch: it sets OpenMP's wait policy, see stylegram/__init__.py)
import numpy as np
from PIL import Image

from stylegram import images, samples
from stylegram.batch import flow, synthetic_video, video
from stylegram.batch.stylize import TEMPORAL_WEIGHT, WARM_SHARE, _warm, finest_iterations, moved
from stylegram.batch.video import TemporalBlend, flicker

STYLE = "sample:swirls"
EDGE = 12  # px: the band at the entering (right) edge whose texture is compared with the middle's


def adain(frame: np.ndarray, size: int) -> np.ndarray:
    return np.asarray(images.to_image(stylegram.transfer(frame, STYLE, method="adain", size=size).image))


def blended(outputs: list[np.ndarray], motions: list, weight: float, follow: bool) -> list[np.ndarray]:
    blend = TemporalBlend(weight)
    return [blend(out, motion if follow else None) for out, motion in zip(outputs, motions)]


def scores(name: str, frames: list, sequence: list, alone: list | None, save: Path | None) -> None:
    """One row: flicker, warp error and (against each frame stylized ``alone``, if given) trail; the last two frames
    into ``save``, if given."""
    if save:
        strip = np.concatenate(sequence[-2:], axis=1)
        Image.fromarray(strip).save(save / f"{name.split(' (')[0].replace(' ', '_')}.png")
    trail = f"{np.mean([np.abs(s.astype(float) - a).mean() for s, a in zip(sequence, alone)]):7.2f}" if alone else "      -"
    print(f"{name:46s} {flicker(frames, sequence):8.2f} {flow.warp_error(frames, sequence):11.2f} {trail}")


def edge_texture(outputs: list[np.ndarray]) -> float:
    """The entering edge's texture over the middle's (see the module's doc), over ``outputs``."""
    def along_rows(band: np.ndarray) -> float:
        return float(band.astype(float).std(axis=1).mean())

    middle = outputs[0].shape[1] // 2 - EDGE // 2
    return float(np.mean([along_rows(o[:, -EDGE:]) / along_rows(o[:, middle: middle + EDGE]) for o in outputs]))


def edge_styled(frames: list[np.ndarray], outputs: list[np.ndarray]) -> float:
    """The entering edge's distance from the photo over the middle's (see the module's doc), over ``outputs``."""
    def away(frame: np.ndarray, output: np.ndarray, columns: slice) -> float:
        return float(np.abs(output[:, columns].astype(float) - frame[:, columns]).mean())

    middle = slice(outputs[0].shape[1] // 2 - EDGE // 2, outputs[0].shape[1] // 2 + EDGE // 2)
    return float(np.mean([away(f, o, slice(-EDGE, None)) / away(f, o, middle) for f, o in zip(frames, outputs)]))


@contextlib.contextmanager
def edges_as_before() -> Iterator[None]:
    """Warps with the last row and column repeated, and a flow from outside the previous frame trusted."""
    warp, inside = flow.warp, flow._inside
    flow.warp = lambda image, field, mirrored=False: warp(image, field)
    flow._inside = lambda field: np.ones(field.shape[:2], bool)
    try:
        yield
    finally:
        flow.warp, flow._inside = warp, inside


def clip(kind: str, count: int, size: tuple[int, int], folder: Path, step: float) -> list[np.ndarray]:
    """The frames of the ``kind`` of video (see the module's doc); a pan moves ``step`` px a frame."""
    if kind == "pan":
        photo = np.asarray(images.load_image(samples.path("chelsea")).convert("RGB"))
        source = video.pan_video(folder / "pan.mp4", photo, count=count, size=size, step=step, origin=(20, 40))
    else:
        source = synthetic_video(folder / "v.mp4", count=count, size=size, audio=())
    return list(video.frames(source))


def gatys_frames(frames: list, size: int, follow: bool, share: float, hold: float, iterations: str = "auto"
                 ) -> tuple[list[np.ndarray], tuple]:
    """The batch's warm-started Gatys frames: the start moved along the flow or not, ``share`` of the finest scale's
    iterations after the first frame, and ``hold`` its --temporal-weight (with the flow only); and the warm frames'
    mean final (style, content) losses."""
    opts = dict(size=size, iterations=iterations)
    outputs, previous, before, losses = [], None, None, []
    for frame in frames:
        if previous is None:
            result = stylegram.transfer(frame, STYLE, **opts)
        else:
            motion = flow.motion(before, frame, (previous.shape[1], previous.shape[0])) if follow else None
            start = moved(previous, before, frame, motion)
            warm = {**_warm(opts, previous, motion, hold), "iterations": str(round(finest_iterations(opts) * share))}
            result = stylegram.transfer(frame, STYLE, init=start, **warm)
            last = result.history[-1]
            losses.append([sum(v for k, v in last.items() if k.startswith(part)) for part in ("style.", "content.")])
        previous, before = np.asarray(images.to_image(result.image)), frame
        outputs.append(previous)
    return outputs, tuple(np.mean(losses, 0))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clip", choices=["synthetic", "pan"], default="synthetic",
                        help="the video (default: %(default)s)")
    parser.add_argument("--step", type=float, default=1.5, help="a pan's px a frame (default: %(default)s)")
    parser.add_argument("--edges-only", action="store_true",
                        help="with --clip pan: only the two Gatys rows that compare the edges (now, as before)")
    parser.add_argument("--size", type=int, default=256, help="frame width in px (default: %(default)s)")
    parser.add_argument("--frames", type=int, default=16, help="frames for AdaIN (default: %(default)s)")
    parser.add_argument("--gatys-frames", type=int, default=6, help="frames for Gatys, 0: none (default: %(default)s)")
    parser.add_argument("--iterations", default="auto", help="Gatys --iterations (default: %(default)s)")
    parser.add_argument("--save", type=Path, help="write each way's last two frames side by side here, as PNGs")
    args = parser.parse_args(argv)
    if args.save:
        args.save.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        frames = clip(args.clip, args.frames, (args.size, args.size * 3 // 4), Path(tmp), args.step)
    start = time.perf_counter()
    alone = [adain(frame, args.size) for frame in frames]
    per_frame = (time.perf_counter() - start) / len(frames)
    start = time.perf_counter()
    motions = [None] + [flow.motion(a, b, (alone[0].shape[1], alone[0].shape[0])) for a, b in zip(frames, frames[1:])]
    flow_time = (time.perf_counter() - start) / (len(frames) - 1)
    print(f"{len(frames)} frames of {frames[0].shape[1]}x{frames[0].shape[0]}; AdaIN {per_frame * 1000:.0f} ms a frame, "
          f"the flow (both ways) {flow_time * 1000:.1f} ms a frame pair ({flow_time / per_frame:.1%})")
    print(f"{'':46s} {'flicker':>8s} {'warp error':>11s} {'trail':>7s}")
    scores("adain, each frame alone", frames, alone, alone, args.save)
    scores("adain --temporal 0.5, before", frames, blended(alone, motions, 0.5, False), alone, args.save)
    scores("adain --temporal 0.5, along the flow", frames, blended(alone, motions, 0.5, True), alone, args.save)
    if args.gatys_frames:
        few = frames[: args.gatys_frames]
        full = finest_iterations({"iterations": args.iterations})
        half = round(full * WARM_SHARE)
        now = f"gatys, {half} it., flow, hold {TEMPORAL_WEIGHT:g}"
        rows = [
            (False, 1.0, 0, f"gatys, {full} it., no flow (before)", contextlib.nullcontext()),
            (True, 1.0, 0, f"gatys, {full} it., along the flow", contextlib.nullcontext()),
            (True, WARM_SHARE, 0, f"gatys, {half} it., along the flow", contextlib.nullcontext()),
            (True, WARM_SHARE, TEMPORAL_WEIGHT, f"{now} (now)", contextlib.nullcontext()),
            *([(True, WARM_SHARE, TEMPORAL_WEIGHT, f"{now}, edges as before", edges_as_before())]
              if args.clip == "pan" else []),
        ]
        for follow, share, hold, name, edges in rows[-2:] if args.edges_only and args.clip == "pan" else rows:
            start = time.perf_counter()
            with edges:
                sequence, (style, content) = gatys_frames(few, args.size, follow, share, hold, args.iterations)
            seconds = time.perf_counter() - start
            scores(f"{name} ({seconds:.0f} s)", few, sequence, None, args.save)  # each scored the same way
            print(f"{'':6s}warm frames' losses: style {style:.3f}, content {content:.3f}; entering edge's texture "
                  f"{edge_texture(sequence[1:]):.2f} of the middle's, its distance from the photo "
                  f"{edge_styled(few[1:], sequence[1:]):.2f} of the middle's")


if __name__ == "__main__":
    main()
