"""Video in and out with PyAV (FFmpeg bundled): decode frames, re-encode them with the source's timing and audio.

Each output frame is shown at its source frame's time, read from the source's packets before any work (a
variable frame rate stays variable; a source whose packets carry no times comes out at its average rate from
its start time). A file that holds fewer frames than its container states (a cut or half-copied file) is
refused before any work. Frames whose container asks for a rotation (phone videos shot upright) are turned
upright. Every audio stream is kept, with its language: copied packet by packet when MP4 can hold its codec,
else re-encoded to AAC; audio packets are interleaved with the video by time as the frames are written. The output is an
H.264 MP4 written to a hidden temporary file beside the target and renamed onto it when complete.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from .. import files, runtime
from ..errors import ImageError, OptionError, warn
from ..images import ANIMATED_EXTENSIONS, VIDEO_EXTENSIONS, is_animation
from . import animation, flow

MP4_AUDIO = {"aac", "mp3", "alac", "flac", "opus", "ac3", "eac3"}  # codecs the MP4 muxer stores as they are
CRF = "18"  # x264 quality: stylized frames are all texture, so spend bits on them


def encoder_options() -> dict[str, str]:
    """x264's options: CRF, and on CPUs with AVX-512 its AVX2 code. There its AVX-512 code made equal frames encode
    to different files (17 variants in 30 encodes of one 12-frame clip, 2026-12-06; frames up to 22 grey levels
    apart, so the web page's video and its batch command's, or two runs of one command, differed); AVX2's gave one,
    of the same size. (The MB-tree off also gave one, but files up to twice as large.)"""
    return {"crf": CRF, **({"x264-params": "asm=avx2"} if "avx512f" in runtime.cpu_flags() else {})}


def _av():
    try:
        import av
    except ImportError as err:
        raise OptionError("video needs PyAV: pip install 'stylegram[batch]' (or pip install av)") from err
    return av


def is_video(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is stylized frame by frame: a video file, or an animated GIF, WebP or PNG."""
    return Path(path).suffix.lower() in VIDEO_EXTENSIONS or is_animation(path)


def output_suffix(path: str | os.PathLike[str]) -> str:
    """The kind of file a video input becomes: an animation stays one of its kind, a video becomes an MP4."""
    suffix = Path(path).suffix.lower()
    return suffix if suffix in ANIMATED_EXTENSIONS else ".mp4"


def writer(target: str | os.PathLike[str], source: str | os.PathLike[str]) -> VideoWriter | animation.AnimationWriter:
    """The writer of a video input's output (see output_suffix): VideoWriter or animation.AnimationWriter."""
    if Path(target).suffix.lower() in ANIMATED_EXTENSIONS:
        return animation.AnimationWriter(target, source)
    return VideoWriter(target, source)


@dataclass(frozen=True)
class VideoInfo:
    rate: Fraction  # average frames per second
    start: float  # seconds at which the first frame is shown
    frames: int  # as the container states it; 0 when unknown
    width: int
    height: int
    audio: tuple[str, ...]  # the codec of each audio stream, in order; empty without audio


def probe(path: str | os.PathLike[str]) -> VideoInfo:
    """Frame rate, time base, frame count, size and audio codecs of a video file."""
    with _open(path) as container:
        stream = _video_stream(container, path)
        audio = tuple(track.codec_context.name for track in container.streams.audio)
        start = float(stream.start_time * stream.time_base) if stream.start_time is not None else 0.0
        return VideoInfo(_rate(stream), start, stream.frames or 0,
                         stream.codec_context.width, stream.codec_context.height, audio)


def _rate(stream) -> Fraction:
    return Fraction(stream.average_rate or stream.guessed_rate or 25)


@dataclass(frozen=True)
class Timing:
    """When each video frame is shown: ``pts`` in units of ``time_base``, in display order (empty: unknown)."""

    time_base: Fraction
    pts: list[int]


def timing(path: str | os.PathLike[str]) -> Timing:
    """The video frames' times, read from the packets without decoding; a cut or half-copied file is refused."""
    with _open(path) as container:
        stream = _video_stream(container, path)
        times, packets, end = [], 0, 0.0
        try:
            for packet in container.demux():
                ours = packet.stream.index == stream.index and packet.size > 0  # not the demuxer's empty flush packet
                packets += ours
                if packet.pts is None or packet.time_base is None:
                    if ours:
                        times.append(None)
                    continue
                end = max(end, float((packet.pts + (packet.duration or 0)) * packet.time_base))
                if ours and not getattr(packet, "is_discard", False):  # an edit list hides it: it is never shown
                    times.append(packet.pts)
        except _av().error.FFmpegError as err:
            raise ImageError(f"{path}: cannot read the video ({err}); the file may be damaged") from None
        _check_complete(path, container, stream, packets, end)
        if None in times:  # no times to keep (some AVI and MPEG files): the average rate from the start
            return Timing(1 / _rate(stream), [])
        return Timing(Fraction(stream.time_base), sorted(set(times)))


def _check_complete(path, container, stream, count: int, end: float) -> None:
    """Refuse a file that ends before its container says it does: fewer frames than MP4's count, or (Matroska,
    which states its duration) every stream ending well before that duration."""
    cut = f"{path} looks cut short or half-copied: "
    fix = "; copy it again, or re-save it with a video tool if it is meant to be this short"
    if stream.frames and count < stream.frames:
        raise ImageError(f"{cut}its container lists {stream.frames} video frames, and it holds {count}{fix}")
    rate = float(_rate(stream))
    stated = container.duration / 1e6 if container.duration else None
    if "matroska" in container.format.name and stated and end < stated - max(2 / rate, 0.1):
        raise ImageError(f"{cut}its container says it lasts {stated:.2f} s, and its data ends at {end:.2f} s{fix}")


def frames(path: str | os.PathLike[str]) -> Iterator[np.ndarray]:
    """Decode the first video stream's frames in order, each H x W x 3 uint8 RGB, turned upright where the
    container asks for a rotation (an animated picture's frames: animation.frames)."""
    if is_animation(path):
        yield from animation.frames(path)
        return
    with _open(path) as container:
        stream = _video_stream(container, path)
        stream.thread_type = "AUTO"
        try:
            for frame in container.decode(stream):
                turns = round((getattr(frame, "rotation", 0) or 0) / 90) % 4  # counter-clockwise quarter turns
                pixels = frame.to_ndarray(format="rgb24")
                yield np.ascontiguousarray(np.rot90(pixels, turns)) if turns else pixels
        except _av().error.FFmpegError as err:
            raise ImageError(f"{path}: cannot decode video frame ({err}); the file may be damaged") from None


def frame_at(path: str | os.PathLike[str], index: int) -> np.ndarray | None:
    """Frame ``index`` (from 0) of a video or animated picture, decoding none after it and closing the file; None
    when it holds fewer frames."""
    with contextlib.closing(frames(path)) as decoded:
        return next(itertools.islice(decoded, index, None), None)


@contextlib.contextmanager
def _open(path: str | os.PathLike[str]):
    _check_not_a_picture(path)
    av = _av()
    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, OSError) as err:
        why = "empty file" if Path(path).is_file() and Path(path).stat().st_size == 0 else (err.strerror or err)
        raise ImageError(f"{path}: cannot open as a video ({why}); check the file") from None
    with container:
        yield container


def _check_not_a_picture(path: str | os.PathLike[str]) -> None:
    """Refuse a still picture named as a video (a PNG named .mp4 became a one-frame MP4, without a word)."""
    path = Path(path)
    if path.suffix.lower() not in VIDEO_EXTENSIONS:
        return
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as picture:
            kind = picture.format
    except (UnidentifiedImageError, OSError):
        return  # a video, or a file the video reader names the problem of
    raise ImageError(f"{path} is a {kind} picture named as a video ({path.suffix}); rename it "
                     f"{path.with_suffix('.' + kind.lower()).name}, and it is stylized as a picture")


def _video_stream(container, path):
    if not container.streams.video:
        raise ImageError(f"{path} has no video stream")
    return container.streams.video[0]


class VideoWriter(files.WholeOrNothing):
    """Write RGB frames as H.264 MP4 with the source's timing and audio; atomic: temp file, then rename.

    Use as a context manager: on an exception the temporary file is removed and the target is untouched.
    Odd widths or heights lose their last column or row (4:2:0 video needs even sides).
    """

    def __init__(self, target: str | os.PathLike[str], source: str | os.PathLike[str]):
        self.target, self.source = Path(target), Path(source)
        self.info, self.timing = probe(source), timing(source)
        self.target.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=self.target.parent, prefix=".", suffix=".mp4")
        os.close(fd)
        self.temp = Path(temp)
        self.container = _av().open(temp, "w", format="mp4")
        self.video = None
        self.audio: list[_AudioCopy] = []  # after the video stream, made at the first frame: the source's order
        self.written = 0

    def write(self, pixels: np.ndarray) -> None:
        """Encode the next frame (H x W x 3 uint8)."""
        av = _av()
        even = pixels[: pixels.shape[0] // 2 * 2, : pixels.shape[1] // 2 * 2]
        if self.video is None and even.shape != pixels.shape:  # a 121x67 clip came out 120x66 without a word
            lost = " and ".join(side for side, odd in (("column", even.shape[1] != pixels.shape[1]),
                                                       ("row", even.shape[0] != pixels.shape[0])) if odd)
            warn(f"{self.source.name}'s frames are {pixels.shape[1]}x{pixels.shape[0]} px, and an MP4's (4:2:0) "
                 f"sides must be even, so {self.target.name} is {even.shape[1]}x{even.shape[0]}: its last {lost} "
                 "dropped")
        pixels = even
        if self.video is None:
            self.video = self._video_stream(pixels.shape[1], pixels.shape[0])
            self.audio = [_AudioCopy(self.container, self.source, i) for i in range(len(self.info.audio))]
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(pixels), format="rgb24")
        frame.pts, frame.time_base = self._pts(self.written), self.timing.time_base
        self.container.mux(self.video.encode(frame))
        self.written += 1
        for track in self.audio:
            track.until(float(frame.pts * self.timing.time_base))

    @property
    def frames(self) -> int:
        """How many frames the source holds (0: unknown)."""
        return len(self.timing.pts) or self.info.frames

    def _pts(self, i: int) -> int:
        """Frame i's time: the source's, or after its last known one (none: from its start) at its average rate."""
        known, base = self.timing.pts, self.timing.time_base
        step = max(1, round(1 / (self.info.rate * base)))
        if i < len(known):
            return known[i]
        return (known[-1] + step if known else round(self.info.start / base)) + (i - len(known)) * step

    def _video_stream(self, width: int, height: int):
        if width < 2 or height < 2:
            raise ImageError(f"cannot encode {width}x{height} video frames; the output needs at least 2x2 px")
        stream = self.container.add_stream("libx264", rate=self.info.rate)  # the rate guides x264's rate control
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.codec_context.time_base = self.timing.time_base
        stream.options = encoder_options()
        return stream

    def close(self) -> Path:
        """Flush the encoders, finish the file and rename it onto the target."""
        if self.video is None:
            raise ImageError(f"{self.source}: no frames were decoded, so there is no video to write")
        self.container.mux(self.video.encode(None))
        for track in self.audio:
            track.finish()
        self.container.close()
        with open(self.temp, "rb") as f:
            os.fsync(f.fileno())
        files.publish(self.temp, self.target)
        return self.target

    def abort(self) -> None:
        with contextlib.suppress(Exception):
            self.container.close()
        with contextlib.suppress(OSError):
            self.temp.unlink()
        for track in self.audio:
            track.source.close()


class _AudioCopy:
    """One audio stream of the source into the output, packets interleaved with the video by time."""

    def __init__(self, container, source: Path, index: int):
        self.container, self.source = container, _av().open(str(source))  # a demuxer of its own per stream
        self.stream_in = self.source.streams.audio[index]
        self.copy = self.stream_in.codec_context.name in MP4_AUDIO
        if self.copy:
            self.stream_out = container.add_stream_from_template(self.stream_in)
        else:
            ctx = self.stream_in.codec_context
            channels = ctx.layout.nb_channels  # a layout such as '2 channels' has no order, which AAC refuses
            layout = {1: "mono", 2: "stereo"}.get(channels, ctx.layout.name)
            self.stream_out = container.add_stream("aac", rate=ctx.sample_rate, layout=layout)
        if "language" in self.stream_in.metadata:  # a dubbed film's tracks stay told apart
            self.stream_out.metadata["language"] = self.stream_in.metadata["language"]
        self.packets = self.source.demux(self.stream_in)
        self.pending = None

    def until(self, seconds: float) -> None:
        """Mux source audio packets that start at or before ``seconds``."""
        while True:
            packet = self.pending or next(self.packets, None)
            self.pending = None
            if packet is None:
                return
            if packet.dts is None:  # the demuxer's empty flush packet
                continue
            if packet.pts is not None and float(packet.pts * packet.time_base) > seconds:
                self.pending = packet
                return
            self._mux(packet)

    def _mux(self, packet) -> None:
        if self.copy:
            packet.stream = self.stream_out
            self.container.mux(packet)
        else:
            for frame in packet.decode():
                frame.pts = None
                self.container.mux(self.stream_out.encode(frame))

    def finish(self) -> None:
        self.until(float("inf"))
        if not self.copy:
            self.container.mux(self.stream_out.encode(None))
        self.source.close()


def shown_frames(path: str | os.PathLike[str]) -> int:
    """How many frames a video or animation shows: the video's packets (a cut file is refused), decoded where they
    carry no times; an animation's frames."""
    if is_animation(path):
        return len(animation.timing(path)[0])
    return len(timing(path).pts) or count_frames(path)


def count_frames(path: str | os.PathLike[str]) -> int:
    """Frames in a video, counted by decoding (containers' own counts can be missing or wrong)."""
    return sum(1 for _ in frames(path))


# ------------------------------------------------------------------------------------------- flicker


class Flicker:
    """flicker = mean_t mean|out_t - out_{t-1}| / mean_t mean|in_t - in_{t-1}|, accumulated frame by frame.

    1 means the output changes between frames as much as the input does; a stylization that flickers
    scores well above 1. Means are per pixel, so input and output sizes may differ.
    """

    def __init__(self) -> None:
        self.previous: tuple[np.ndarray, np.ndarray] | None = None
        self.out_change = self.in_change = 0.0

    def add(self, source: np.ndarray, output: np.ndarray) -> None:
        source, output = source.astype(np.float32), output.astype(np.float32)
        if self.previous is not None:
            self.in_change += float(np.abs(source - self.previous[0]).mean())
            self.out_change += float(np.abs(output - self.previous[1]).mean())
        self.previous = source, output

    @property
    def value(self) -> float:
        """The ratio; NaN with fewer than two frames or a still input."""
        return self.out_change / self.in_change if self.in_change else float("nan")


class Detail:
    """What the temporal blend keeps of each frame's own detail: the mean gradient magnitude of the output frames over
    that of the frames stylized alone (1: nothing lost; on a pan, 0.82 at --temporal 0.3 and 0.51 at 0.9, whose frames
    smeared while the flicker figures improved)."""

    def __init__(self) -> None:
        self.kept = self.alone = 0.0

    def add(self, stylized: np.ndarray, output: np.ndarray) -> None:
        self.alone += _gradient(stylized)
        self.kept += _gradient(output)

    @property
    def value(self) -> float:
        """The ratio; NaN where the frames have no detail at all."""
        return self.kept / self.alone if self.alone else float("nan")


def _gradient(frame: np.ndarray) -> float:
    """Mean absolute difference between neighbouring pixels, across and down."""
    x = np.asarray(frame, np.float32)
    return float(np.abs(np.diff(x, axis=0)).mean() + np.abs(np.diff(x, axis=1)).mean())


def flicker(inputs: Sequence[np.ndarray], outputs: Sequence[np.ndarray]) -> float:
    """Flicker of an output frame sequence relative to its input (see Flicker)."""
    meter = Flicker()
    for source, output in zip(inputs, outputs, strict=True):
        meter.add(source, output)
    return meter.value


# ------------------------------------------------------------------------------------ temporal blend


class TemporalBlend:
    """out_t = (1 - b) stylize(frame_t) + b out_{t-1}, in pixel space; with the motion from the previous frame
    (stylegram.batch.flow), out_{t-1} is first moved along it and b is 0 where it cannot be trusted.

    Feed-forward stylization of each frame alone flickers because every frame's statistics differ a little;
    blending with the previous output damps that. Without motion compensation a moving edge leaves a trail (b = 0.3
    keeps it to about one frame); moved along the flow, the previous output lands where its content went.
    """

    def __init__(self, weight: float):
        if not 0 <= weight < 1:
            raise OptionError(f"--temporal must be in [0, 1) (0 = off, e.g. 0.3), not {weight}")
        self.weight, self.previous = weight, None

    def __call__(self, stylized: np.ndarray, motion: flow.Motion | None = None) -> np.ndarray:
        if not self.weight or self.previous is None or self.previous.shape != stylized.shape:
            self.previous = stylized.astype(np.float32)
            return stylized
        previous, weight = self.previous, self.weight
        if motion is not None:
            previous, weight = flow.warp(previous, motion.flow), self.weight * motion.reliable[..., None]
        self.previous = (1 - weight) * stylized.astype(np.float32) + weight * previous
        return np.rint(self.previous).clip(0, 255).astype(np.uint8)


# ------------------------------------------------------------------------------------ test pattern


SYNTHETIC_LANGUAGES = ("eng", "fra", "deu", "ita")  # synthetic_video's audio tracks, in turn


def synthetic_video(
    path: str | os.PathLike[str], count: int = 20, size: tuple[int, int] = (64, 48), fps: int = 10,
    audio: Sequence[str] = ("aac",),
) -> Path:
    """Write a test video: a gradient with a moving square and a moving disc, and a tone on each audio track.

    ``audio`` names each track's codec (``()``: none); track i plays 440 * (i + 1) Hz, tagged with language
    ``SYNTHETIC_LANGUAGES[i]``. The container follows the file's extension (PCM audio needs .mkv or .mov).
    """
    av = _av()
    width, height = size
    path = Path(path)
    with av.open(str(path), "w") as out:
        video = out.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        tones = [out.add_stream(codec, rate=44100, layout="mono") for codec in audio]
        for i, tone in enumerate(tones):
            tone.metadata["language"] = SYNTHETIC_LANGUAGES[i % len(SYNTHETIC_LANGUAGES)]
        y, x = np.mgrid[0:height, 0:width]
        for i in range(count):
            rgb = np.stack([255 * x / width, 255 * y / height, np.full_like(x, 128.0)], -1)
            left = (4 + 2 * i) % max(1, width - height // 3)
            rgb[height // 3 : 2 * height // 3, left : left + height // 3] = (230, 40, 40)
            cx, cy = width - 1 - (3 * i) % width, height // 2 + round(height / 4 * np.sin(i / 3))
            rgb[(x - cx) ** 2 + (y - cy) ** 2 < (height // 6) ** 2] = (250, 240, 60)
            out.mux(video.encode(av.VideoFrame.from_ndarray(rgb.astype(np.uint8), format="rgb24")))
        out.mux(video.encode(None))
        for i, tone in enumerate(tones):
            _write_tone(out, tone, 440 * (i + 1), round(44100 * count / fps))
    return path


def pan_video(
    path: str | os.PathLike[str], photo: np.ndarray, count: int = 20, size: tuple[int, int] = (192, 144), fps: int = 10,
    step: float = 1.5, drift: float = 0.004, origin: tuple[int, int] = (40, 20),
) -> Path:
    """Write a test video: a camera pan across ``photo`` (H x W x 3 uint8), ``step`` px right a frame from ``origin``
    (x, y), with a slow brightness drift of ``drift`` a frame; x264 at high quality, no audio."""
    av = _av()
    width, height = size
    x0, y0 = origin
    if x0 + round(step * (count - 1)) + width > photo.shape[1] or y0 + height > photo.shape[0]:
        raise OptionError(f"a {count}-frame pan of {width}x{height} at {step} px a frame does not fit in the "
                          f"{photo.shape[1]}x{photo.shape[0]} photo")
    with av.open(str(path), "w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"crf": "12"}
        for t in range(count):
            left = x0 + round(step * t)
            crop = photo[y0 : y0 + height, left : left + width].astype(np.float32)
            crop = np.clip(crop * (1 + drift * t), 0, 255).astype(np.uint8)
            out.mux(stream.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(crop), format="rgb24")))
        out.mux(stream.encode(None))
    return Path(path)


def _write_tone(out, stream, hertz: float, samples: int) -> None:
    """A sine tone of ``samples`` samples at 44.1 kHz (PyAV converts it to the sample format of the codec)."""
    av = _av()
    wave = (0.3 * np.sin(2 * np.pi * hertz * np.arange(samples) / 44100)).astype(np.float32)
    for start in range(0, samples, 1024):
        frame = av.AudioFrame.from_ndarray(wave[None, start : start + 1024], format="flt", layout="mono")
        frame.sample_rate, frame.pts = 44100, start
        out.mux(stream.encode(frame))
    out.mux(stream.encode(None))
