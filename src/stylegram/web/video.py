"""A video as the page's content: stylized frame by frame by `stylegram batch`'s machinery (stylegram.batch).

The run goes through stylize_batch on a local Dask cluster that the server starts at its first video and keeps
(``VideoCluster``), so its workers load their models once; frames follow the motion and are kept steady as on the
command line. Each frame written becomes the job's preview, and a Gatys frame's iterations (with the frame as it
forms) are reported while it is made (stylegram.batch.steps). A stop ends the run at once, the frame being made
given up: a video is written only whole, so a stopped one leaves nothing to download.
"""

from __future__ import annotations

import contextlib
import shlex
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from .. import __version__, images
from ..errors import ImageError
from ..options import flag
from .engine import Spec, as_given, attached, inputs, with_upload_names

if TYPE_CHECKING:  # the batch extra may be missing; a video upload says so
    from ..batch.stylize import FrameHook, StepHook


class Stopped(BaseException):
    """Raised by a video job's frame or step hook to stop the run: a BaseException, so that batch's handlers of an
    item's failure let it through."""


class VideoCluster:
    """The local cluster that stylizes the page's videos: started at the first video, closed with the server."""

    def __init__(self) -> None:
        self._stack = contextlib.ExitStack()
        self._client = None

    def client(self):
        """The cluster's client, started now if this is the first video."""
        if self._client is None:
            from ..batch import open_client

            self._client = self._stack.enter_context(open_client())
        return self._client

    def close(self) -> None:
        self._client = None
        self._stack.close()


def run(spec: Spec, folder: Path, cluster: VideoCluster, on_frame: FrameHook, on_step: StepHook,
        pictures: float | None = None) -> tuple[Path, str]:
    """Stylize the spec's video into ``folder``; returns the output file and its steadiness in words (the batch
    command's line, which the page did not show). A failure is raised naming the uploads.

    ``on_frame`` is called as each frame is written, ``on_step`` with each iteration of a Gatys frame (see
    stylize_batch; ``pictures``: the seconds between its pictures of the frame so far); either stops the run by
    raising Stopped."""
    from ..batch import stylize_batch

    options = {k: v for k, v in spec.options.changed().items() if k != "method"}
    for option, uploads in attached(spec):  # named as uploaded in the options: the files the store holds them in
        options[option] = ",".join(str(u.path) for u in uploads)
    report = stylize_batch([spec.content.path], [str(s.path) for s in spec.styles], folder, client=cluster.client(),
                           method=spec.method, on_frame=on_frame, on_step=on_step, step_pictures=pictures,
                           quiet=True, overwrite=True, **spec.steady, **options)
    if report.failed:
        raise ImageError(with_upload_names(spec, report.failed[0].message))
    steady = next(iter(report.flicker), None)
    return folder / (spec.content.path.stem + _output_suffix(spec)), report.steadiness(steady) if steady else ""


RESULTS = {".mp4": ("mp4", "video/mp4"), ".gif": ("gif", "image/gif"), ".webp": ("webp", "image/webp"),
           ".png": ("apng", "image/apng")}  # a video job's output: its URL's extension and media type


def _output_suffix(spec: Spec) -> str:
    """The output's kind, as `stylegram batch` makes it: an animation stays one of its kind, a video becomes an MP4."""
    suffix = spec.content.path.suffix
    return suffix if suffix in images.ANIMATED_EXTENSIONS else ".mp4"


def result_kind(spec: Spec) -> tuple[str, str]:
    """(the extension of the result's URL, its media type) for a video job: mp4, gif, webp or apng."""
    return RESULTS[_output_suffix(spec)]


def remove(folder: Path) -> None:
    """A video job's folder, with the frames a stopped run kept."""
    shutil.rmtree(folder, ignore_errors=True)


def command_line(spec: Spec) -> str:
    """The `stylegram batch` command that makes the same video from the same files (named as uploaded)."""
    words = ["stylegram", "batch", as_given(spec.content)]
    for style in spec.styles:  # a sample chosen on the page as sample:NAME, which the command finds
        words += ["--style", as_given(style)]
    words += ["-o", "styled/", "--method", spec.method]
    for name, value in [*spec.options.changed().items(), *spec.steady.items()]:
        if name != "method":
            words += [flag(name)] if value is True else [flag(name), str(value)]
    return shlex.join(words)


def params(spec: Spec, state: str, done: int, seconds: float, output: Path | None) -> dict:
    """What made a video job's result: its options, inputs (name, size, frames, SHA-256) and command line."""
    return {
        "stylegram": __version__,
        "method": spec.method,
        "state": state,
        "options": {**spec.options.changed(), **spec.steady},
        "inputs": inputs(spec),
        "command": command_line(spec),
        "frames": done,
        "seconds": round(seconds, 3),
        "output": {"file": output.name, "bytes": output.stat().st_size} if output is not None else None,
    }
