"""Optical flow between video frames, to carry the previous output along with what moves.

Ruder et al. 2016 ("Artistic style transfer for videos"): the previous stylized frame, warped along the flow
into the current frame, is what the current frame should look like where the scene only moved. It is trusted
only where the flow is consistent forwards and backwards: a pixel that was hidden in the previous frame (revealed
behind a moving object) or hidden now has no consistent flow, and there the previous output says nothing.

The flow is OpenCV's DIS (Kroeger et al. 2016, dense inverse search) on grey frames: 10-13 ms a frame pair, both
ways, at 256x192 (benchmarks/video_temporal.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image

from ..errors import OptionError

CONSISTENT = (0.01, 0.5)  # forward-backward check: |b + f|^2 <= 0.01 (|b|^2 + |f|^2) + 0.5 (Ruder et al.)


def _cv2():
    try:
        import cv2
    except ImportError as err:
        raise OptionError("video follows motion with OpenCV: pip install 'stylegram[batch]' "
                          "(or pip install opencv-python-headless)") from err
    return cv2


def check_available() -> None:
    """Refuse now, with what to install, when OpenCV is missing (rather than after a video's first frame)."""
    _cv2()


@dataclass
class Motion:
    """Where each pixel of the current frame was in the previous one, and whether that can be trusted."""

    flow: np.ndarray  # (H, W, 2) float32: pixel (x, y) now was at (x, y) + flow[y, x] in the previous frame
    reliable: np.ndarray  # (H, W) float32, 1 where the flow is consistent both ways, else 0


def motion(before: np.ndarray, now: np.ndarray, size: tuple[int, int] | None = None) -> Motion:
    """The motion from frame ``before`` to frame ``now`` (H x W x 3 uint8), at ``size`` (W, H) if given."""
    cv2 = _cv2()
    grey = [cv2.cvtColor(at_size(frame, size), cv2.COLOR_RGB2GRAY) for frame in (before, now)]
    search = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    backward = search.calc(grey[1], grey[0], None)  # now -> before
    forward = search.calc(grey[0], grey[1], None)  # before -> now
    there = warp(forward, backward)  # the forward flow at the place each pixel came from: should undo backward
    error = np.square(backward + there).sum(-1)
    tolerance = CONSISTENT[0] * (np.square(backward).sum(-1) + np.square(there).sum(-1)) + CONSISTENT[1]
    return Motion(backward, ((error <= tolerance) & _inside(backward)).astype(np.float32))


def _sources(flow: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each pixel of the current frame was in the previous one: (x, y), float32."""
    height, width = flow.shape[:2]
    x, y = np.meshgrid(np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32))
    return x + flow[..., 0], y + flow[..., 1]


EDGE = 0.5  # px beyond the frame's edge pixels still inside it: the flow's noise along a horizontal pan (y -0.1 on the
# top row) left every other pixel of that row unblended, a speckled line at --temporal 0.9


def _inside(flow: np.ndarray) -> np.ndarray:
    """Where ``flow`` comes from inside the previous frame: what entered it (a pan's new edge) was nowhere before,
    however consistent its flow (a pan's is uniform, so the check passed there)."""
    (height, width), (x, y) = flow.shape[:2], _sources(flow)
    return (x >= -EDGE) & (x <= width - 1 + EDGE) & (y >= -EDGE) & (y <= height - 1 + EDGE)


def warp(image: np.ndarray, flow: np.ndarray, mirrored: bool = False) -> np.ndarray:
    """``image`` (of the previous frame) moved along ``flow`` into the current frame; bilinear, edges repeated, or
    with ``mirrored`` the frame reflected beyond them (its texture, not its last row or column drawn out)."""
    cv2 = _cv2()
    border = cv2.BORDER_REFLECT_101 if mirrored else cv2.BORDER_REPLICATE
    moved = cv2.remap(image, *_sources(flow), cv2.INTER_LINEAR, borderMode=border)
    return moved.reshape(image.shape)  # remap drops a channel axis of length 1


class WarpError:
    """Temporal consistency of stylized frames, accumulated frame by frame: the mean |out_t - out_t-1 moved along
    the flow| in grey levels over the pixels whose flow is consistent; 0 when the output changes only as its content
    moves. NaN with fewer than two frames."""

    def __init__(self) -> None:
        self.previous: np.ndarray | None = None
        self.errors: list[float] = []

    def add(self, output: np.ndarray, motion: Motion | None) -> None:
        """The next output frame, and the motion of its input from the previous one (None for the first)."""
        output = np.asarray(output, np.float32)
        if self.previous is not None and motion is not None:
            change = np.abs(output - warp(self.previous, motion.flow)).mean(-1)
            self.errors.append(float((change * motion.reliable).sum() / max(float(motion.reliable.sum()), 1.0)))
        self.previous = output

    @property
    def value(self) -> float:
        return float(np.mean(self.errors)) if self.errors else float("nan")


def warp_error(inputs: Sequence[np.ndarray], outputs: Sequence[np.ndarray]) -> float:
    """The WarpError of ``outputs`` stylized from ``inputs``, the flow taken from the inputs at the outputs' size."""
    meter = WarpError()
    for i, output in enumerate(outputs[: len(inputs)]):
        meter.add(output, motion(inputs[i - 1], inputs[i], (output.shape[1], output.shape[0])) if i else None)
    return meter.value


def at_size(frame: np.ndarray, size: tuple[int, int] | None) -> np.ndarray:
    """A frame at ``size`` (W, H), bilinear; as it is without one or at that size already."""
    if size is None or (frame.shape[1], frame.shape[0]) == tuple(size):
        return frame
    return np.asarray(Image.fromarray(frame).resize(tuple(size), Image.Resampling.BILINEAR))
