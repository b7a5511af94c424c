"""A sweep's cells folder: each picture is written there as it is made, and a later sweep with the same inputs and
options takes it back instead of running it again, so a sweep stopped halfway, or given one more value, runs only
what is new.

A picture a stopped sweep cut short is written as NAME.stopped.png, and made again next time. Beside the pictures,
``stylegram-sweep.json`` records what made each finished one: the inputs (a file by its path,
size and time of change, so an edited input is run again), every option and stylegram's version.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from . import __version__, files, images
from .fingerprint import file_fingerprint
from .images import ImageLike
from .job import Result

MANIFEST = "stylegram-sweep.json"


def fingerprint(inputs: dict[str, ImageLike | Sequence[ImageLike]], options: dict) -> dict | None:
    """What makes a picture (``inputs`` by role, e.g. {"content": ..., "styles": [...]}, and every option), as JSON
    reads it back; None when an input is held in memory (an array or image), so no picture could be matched to it."""
    made_of = {"inputs": inputs, "options": options, "stylegram": __version__}
    try:
        return json.loads(json.dumps(_identified(made_of)))
    except TypeError:  # a tensor, array or PIL image among the inputs or options
        return None


def _identified(value: Any) -> Any:
    """``value`` with each file it names (a str or path that is a file) as [name, size, digest]."""
    if isinstance(value, dict):
        return {key: _identified(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_identified(item) for item in value]
    if isinstance(value, (str, os.PathLike)) and Path(value).is_file():
        return file_fingerprint(value)
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    return value


class CellFolder:
    """The folder of a sweep's pictures, named by their values, and the record of what made each."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.made = self._read()

    def _read(self) -> dict[str, dict]:
        """The record of an earlier sweep; an unreadable one is no record (its pictures are made again)."""
        try:
            made = json.loads((self.path / MANIFEST).read_text())["made"]
        except (OSError, ValueError, KeyError, TypeError):
            return {}
        return made if isinstance(made, dict) else {}

    def find(self, name: str, made_of: dict | None, options: Any) -> Result | None:
        """The picture ``name``.png an earlier sweep made from ``made_of``, as a Result of ``options``, or None; one
        made under another name (a sweep that varied fewer options: its cells are named by fewer values) is copied to
        ``name``.png and recorded so."""
        if made_of is None:
            return None
        same = [n for n, entry in self.made.items() if isinstance(entry, dict) and entry.get("made_of") == made_of]
        for found in sorted(same, key=lambda n: n != name):  # its own name first
            picture = self.path / f"{found}.png"
            try:
                image = images.load_tensor(picture)
                alpha = images.load_alpha(picture)
            except Exception:  # gone or damaged since: made again
                continue
            if found != name:
                copied = picture.read_bytes()
                files.write_atomically(self.path / f"{name}.png", lambda f: f.write(copied))
                self.made[name] = dict(self.made[found])
                self._write_record()
            return Result(image, [], options, float(self.made[name].get("seconds", 0.0)), alpha)
        return None

    def keep(self, name: str, made_of: dict | None, result: Result, finished: bool) -> None:
        """Write ``name``.png and record what made it; a picture cut short is written as ``name``.stopped.png and not
        recorded as made (the other of the two, from an earlier sweep, is removed: it is not this picture)."""
        done = self.path / f"{name}.png"
        cut = files.stopped_name(done)  # under the finished name it looked finished
        result.save(done if finished else cut)
        (cut if finished else done).unlink(missing_ok=True)
        if finished and made_of is not None:
            self.made[name] = {"seconds": round(result.seconds, 3), "made_of": made_of}
        elif self.made.pop(name, None) is None:
            return
        self._write_record()

    def _write_record(self) -> None:
        """Write the record of what made each picture, whole."""
        record = json.dumps({"made": self.made}, indent=1, sort_keys=True).encode()
        files.write_atomically(self.path / MANIFEST, lambda f: f.write(record))
