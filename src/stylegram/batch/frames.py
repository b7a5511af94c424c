"""A video's stylized frames kept beside its output while it is made, so a stopped run goes on where it was.

OUT_DIR/.<name>.frames/ holds the frames stylized so far (000000.png, 000001.png, ...: lossless, before any
--temporal blend) and key.json, what made them: the source file, the styles and the options. A rerun whose
key matches reads the frames from 0 up to the first one missing instead of stylizing them again; a key that
differs (another option, an edited source or style) or --overwrite starts the folder afresh. The folder goes
once the video is written. Each frame is written atomically, so a frame that is there is whole; one damaged since
(a disk error, a file edited) is checked for when the folder is opened, and it and those after it are made again.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
from PIL import Image

from .. import files
from ..fingerprint import file_fingerprint
from ..errors import ImageError

KEY = "key.json"


def folder_for(output: Path) -> Path:
    """Where the frames of the video written to ``output`` are kept: OUT_DIR/.<name>.frames."""
    return output.parent / f".{output.name}.frames"


def kept_videos(out_dir: str | os.PathLike[str]) -> dict[str, Path]:
    """{video output name: folder} for each video in ``out_dir`` that has frames kept from a stopped run."""
    folders = sorted(Path(out_dir).expanduser().glob(".*.frames"))
    return {p.name[1 : -len(".frames")]: p for p in folders if _holds_frames(p)}


def kept_frames(output: Path) -> tuple[int, dict | None]:
    """How many frames a stopped run kept for the video written to ``output``, and the key that made them."""
    folder = folder_for(output)
    return len(list(folder.glob("*.png"))), _read_key(folder)


def _read_key(folder: Path) -> dict | None:
    try:
        return json.loads((folder / KEY).read_text())
    except (OSError, ValueError):
        return None


def _holds_frames(folder: Path) -> bool:
    return any(folder.glob("*.png"))


def file_key(spec: str | os.PathLike[str]) -> list:
    """A file as [name, bytes, digest], so an edited file reads as another and a touched one as the same; a
    sample:NAME as [name]."""
    return file_fingerprint(spec) if Path(spec).is_file() else [str(spec)]


class FrameStore:
    """The frames kept for one video: ``count`` of them, 0 .. count-1, found when it was opened; ``damaged``, why
    the kept frames stop short where one could not be read (it and those after it were deleted), else None."""

    def __init__(self, output: Path, key: dict, fresh: bool = False):
        self.folder = folder_for(output)
        try:
            self.key = json.loads(json.dumps(key))  # as it reads back from key.json (tuples become lists)
        except (TypeError, ValueError):  # an API option JSON cannot hold (an array, a tensor): never matched
            self.key, fresh = {"unkeyable": repr(key)[:200]}, True
        if fresh or self._stored_key() != self.key:
            self._start_afresh()
        self.damaged: str | None = None
        self.count = self._contiguous()

    def _stored_key(self) -> dict | None:
        return _read_key(self.folder)

    def _start_afresh(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True, exist_ok=True)
        files.write_bytes(self.folder / KEY, json.dumps(self.key, indent=1).encode())

    def _contiguous(self) -> int:
        """The frames kept from 0 up to the first gap, or to the first damaged one (which goes, with all after it:
        before, it failed the whole video at that frame, and the rerun told to start it afresh)."""
        count = 0
        while self.path(count).is_file():
            try:
                with Image.open(self.path(count)) as picture:
                    picture.verify()  # its chunks' checksums, without decoding the pixels
            except Exception as err:  # PIL raises many kinds (SyntaxError for a bad chunk)
                self.damaged = f"{self.path(count).name} cannot be read ({files.one_line(err)})"
                self._drop_from(count)
                break
            count += 1
        return count

    def _drop_from(self, first: int) -> None:
        for path in self.folder.glob("*.png"):
            if path.stem.isdigit() and int(path.stem) >= first:
                path.unlink(missing_ok=True)

    def path(self, i: int) -> Path:
        """Frame i's file."""
        return self.folder / f"{i:06d}.png"

    def load(self, i: int) -> np.ndarray:
        """Kept frame i, H x W x 3 uint8."""
        try:
            with Image.open(self.path(i)) as picture:
                return np.asarray(picture.convert("RGB"))
        except (OSError, ValueError) as err:
            raise ImageError(f"{self.path(i)}, a frame kept from an earlier run, cannot be read "
                             f"({files.one_line(err)}); delete {self.folder} or run again with --overwrite") from err

    def add(self, i: int, pixels: np.ndarray) -> None:
        """Keep frame i (written whole or not at all); fast PNG compression, as the file is temporary."""
        picture = Image.fromarray(pixels)
        files.write_atomically(self.path(i), lambda f: picture.save(f, format="PNG", compress_level=1))

    def remove_if_empty(self) -> None:
        """Delete the folder if it holds no frame (a video that failed before its first)."""
        if not _holds_frames(self.folder):
            self.remove()

    def remove(self) -> None:
        """Delete the folder: the video is written."""
        shutil.rmtree(self.folder, ignore_errors=True)
