"""Uploaded images and videos: stored under names the server chooses, checked by the same loaders as the CLI.

A client's file name is only ever shown (on the page, in messages, in the parameters file); on disk an
upload is ``<random id>.upload`` in a private temporary folder, so no name a client sends becomes a path. A video
(a name with one of images.VIDEO_EXTENSIONS) keeps that extension instead, which is how stylegram's video
machinery tells videos from images; an animated GIF, WebP or PNG gets its format's extension once it is read, and is
a picture (its first frame) as a style and an animation, stylized frame by frame, as the content.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import secrets
import shutil
import tempfile
import threading
import time
import weakref
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from .. import images
from ..errors import ImageError, StylegramError
from ..files import megabytes

MAX_NAME = 120


class UploadError(StylegramError):
    """An upload that cannot be kept; ``status`` is the HTTP status that says why."""

    def __init__(self, message: str, status: int = 422):
        super().__init__(message)
        self.status = status


@dataclass
class Upload:
    """One stored upload: its id, the name it came with (for display), its pixel size and digest."""

    id: str
    name: str
    path: Path = field(repr=False)
    width: int = 0
    height: int = 0
    bytes: int = 0
    sha256: str = ""
    created: float = field(default_factory=time.time)
    frames: int = 0  # a video's or animation's frames; 0 for an image

    @property
    def is_video(self) -> bool:
        return self.path.suffix in images.VIDEO_EXTENSIONS

    @property
    def is_animation(self) -> bool:
        """An animated GIF, WebP or PNG (stored under its format's extension only when it is one)."""
        return self.path.suffix in images.ANIMATED_EXTENSIONS

    @property
    def moves(self) -> bool:
        """A video or an animation: as the content, stylized frame by frame."""
        return self.is_video or self.is_animation

    def describe(self) -> dict:
        kind = "video" if self.is_video else "animation" if self.is_animation else "image"
        return {"id": self.id, "name": self.name, "width": self.width, "height": self.height,
                "bytes": self.bytes, "sha256": self.sha256, "kind": kind, **({"frames": self.frames} if self.moves else {})}


def display_name(name: str | None) -> str:
    """The last component of a client's file name, printable and short; only ever shown, never a path.

    A comma becomes "_": the command line of a run lists masks, regions and label maps split at commas.
    """
    base = re.split(r"[\\/]", name or "")[-1]
    base = "".join(ch for ch in base if ch.isprintable()).replace(",", "_").strip() or "image"
    return base if len(base) <= MAX_NAME else base[: MAX_NAME - 3] + "..."


class UploadStore:
    """Uploads in a private temporary folder, at most ``keep`` of them (the oldest unused are dropped)."""

    def __init__(self, max_bytes: int, max_pixels: int, keep: int = 64):
        self.max_bytes, self.max_pixels, self.keep = max_bytes, max_pixels, keep
        self._folder: Path | None = None  # made at the first upload, so an app that never serves leaves nothing
        self._uploads: dict[str, Upload] = {}
        self._lock = threading.Lock()

    @property
    def folder(self) -> Path:
        """The private folder of the uploads (mode 0700), removed by close() or at the latest when Python exits."""
        with self._lock:
            if self._folder is None:
                self._folder = Path(tempfile.mkdtemp(prefix="stylegram-web-"))
                self._cleanup = weakref.finalize(self, shutil.rmtree, self._folder, ignore_errors=True)
            return self._folder

    def too_large(self, name: str, size: int, known: bool = True) -> UploadError:
        """The error for an upload of ``size`` bytes (``known``: its whole size, else how much had arrived)."""
        limit = megabytes(self.max_bytes)
        if not known:
            return UploadError(f"{name} is larger than this server's upload limit of {limit}; use a smaller file "
                               "(or start the server with a larger stylegram serve --max-upload-mb)", 413)
        return UploadError(f"{name} is {megabytes(size)}, over this server's upload limit of {limit}; use a smaller "
                           f"file (or start the server with stylegram serve --max-upload-mb {size // 10**6 + 1})", 413)

    async def receive(self, chunks: AsyncIterator[bytes], name: str) -> Upload:
        """Write a request body to a new upload file, refusing it as soon as it passes the size limit."""
        upload = Upload(secrets.token_urlsafe(12), display_name(name), Path())
        suffix = Path(upload.name).suffix.lower()
        upload.path = self.folder / f"{upload.id}{suffix if suffix in images.VIDEO_EXTENSIONS else '.upload'}"
        digest, size = hashlib.sha256(), 0
        try:
            with open(upload.path, "xb") as f:
                async for chunk in chunks:
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise self.too_large(upload.name, size, known=False)
                    digest.update(chunk)
                    f.write(chunk)
        except BaseException:
            upload.path.unlink(missing_ok=True)
            raise
        upload.bytes, upload.sha256 = size, digest.hexdigest()
        return upload

    def check(self, upload: Upload) -> Upload:
        """Decode the upload as the CLI would (size, type, pixel limit); keep it or delete it with an error."""
        if upload.bytes == 0:
            upload.path.unlink(missing_ok=True)
            raise UploadError(f"{upload.name} is empty (0 bytes); choose the file again", 400)
        try:
            with self._reading(upload):
                if upload.is_video:
                    upload.width, upload.height, upload.frames = _video_size(upload.path, self.max_pixels)
                else:
                    upload.width, upload.height = images.load_image(upload.path, max_pixels=self.max_pixels).size
                    self._animated(upload)
        except StylegramError:
            upload.path.unlink(missing_ok=True)
            raise
        with self._lock:
            self._uploads[upload.id] = upload
        return upload

    def _animated(self, upload: Upload) -> None:
        """An animated picture: renamed to its format's extension and counted, where the batch extra can stylize it
        frame by frame (without it, it stays a picture: its first frame)."""
        suffix = images.animated_suffix(upload.path)
        if suffix is None or not _batch_installed():
            return
        named = upload.path.with_suffix(suffix)
        upload.path = upload.path.rename(named)
        upload.frames = video_frames(upload.path)

    def decode(self, upload: Upload, background: tuple[int, int, int] = (255, 255, 255), frame: int = 0,
               at_least: int | None = None) -> torch.Tensor:
        """The image as a (1, 3, H, W) tensor in [0, 1], by the loader the CLI uses (transparency onto ``background``);
        a video's frame ``frame`` (from 0: the first); ``at_least``: a JPEG may be decoded smaller, its long side
        still at least that (images.load_tensor)."""
        with self._reading(upload):
            if upload.is_video:
                return images.to_tensor(_frame(upload.path, frame))
            return images.load_tensor(upload.path, max_pixels=self.max_pixels, background=background,
                                      at_least=at_least)

    def alpha(self, upload: Upload) -> torch.Tensor | None:
        """The image's transparency (1, 1, H, W), which the result keeps; None for an opaque image or a video."""
        with self._reading(upload):
            return None if upload.is_video else images.load_alpha(upload.path, max_pixels=self.max_pixels)

    @contextlib.contextmanager
    def _reading(self, upload: Upload) -> Iterator[None]:
        """Turn the loader's ImageError into an UploadError that names the upload, not the file on disk."""
        try:
            yield
        except ImageError as err:
            message = err.flagged.replace(str(upload.path), upload.name)
            message = message.replace(f"set {images.MAX_PIXELS_ENV}=", "start the server with stylegram serve --max-pixels ")
            message = message.replace(f"set {images.MAX_PIXELS_ENV} to", "start the server with --max-pixels at")
            message = message.replace(" (max_pixels= in Python)", "")
            raise UploadError(message) from None

    def __len__(self) -> int:
        """How many uploads the store holds."""
        with self._lock:
            return len(self._uploads)

    def get(self, upload_id: str) -> Upload | None:
        with self._lock:
            return self._uploads.get(upload_id)

    def delete(self, upload_id: str) -> bool:
        with self._lock:
            upload = self._uploads.pop(upload_id, None)
        if upload:
            upload.path.unlink(missing_ok=True)
        return upload is not None

    def prune(self, in_use: set[str]) -> None:
        """Drop the oldest uploads beyond ``keep`` that no waiting or running job needs."""
        with self._lock:
            extra = len(self._uploads) - self.keep
            old = [u for u in sorted(self._uploads.values(), key=lambda u: u.created) if u.id not in in_use][: max(extra, 0)]
            for upload in old:
                del self._uploads[upload.id]
        for upload in old:
            upload.path.unlink(missing_ok=True)

    def close(self) -> None:
        """Delete every upload and the folder."""
        with self._lock:
            self._uploads.clear()
            if self._folder is not None:
                self._cleanup()
                self._folder = None


def _batch_installed() -> bool:
    """Whether the batch extra's Dask and OpenCV are there, which frame-by-frame stylizing needs."""
    from ..batch import cluster, flow

    try:
        cluster.distributed()
        flow.check_available()
    except StylegramError:
        return False
    return True


def video_frames(path: Path) -> int:
    """The frames of a video or animation, as `stylegram batch` reads them (a cut video file is refused)."""
    from ..batch import video

    return video.shown_frames(path)


def _video_size(path: Path, max_pixels: int) -> tuple[int, int, int]:
    """A video's upright width, height and frame count, read as `stylegram batch` reads it: a cut or half-copied
    file, a frame over the pixel limit or a missing part of the batch extra (Dask, PyAV, OpenCV) is refused now."""
    from ..batch import cluster, flow, video

    cluster.distributed()
    flow.check_available()
    frames = video.shown_frames(path)  # refuses a cut file
    height, width = _frame(path).shape[:2]
    if width * height > max_pixels:
        raise ImageError(f"{path}'s frames are {width}x{height} px, over the limit of {max_pixels} pixels; if you "
                         f"trust the file, raise the limit: set {images.MAX_PIXELS_ENV}={width * height}")
    return width, height, frames


def _frame(path: Path, index: int = 0) -> np.ndarray:
    """A video's frame ``index`` (from 0; the first by default), upright, H x W x 3 uint8."""
    from ..batch import video

    frame = video.frame_at(path, index)
    if frame is None:
        raise ImageError(f"{path} holds no video frame {index + 1}; choose another video" if index else
                         f"{path} holds no video frames; choose another video")
    return frame
