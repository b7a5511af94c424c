"""What made each output of a batch folder, so a rerun with other styles or options does not pass them off as done.

OUT_DIR/.stylegram-made.json holds {output name: key}: the input file, the styles, the options (and their masks'
and label maps' files) each output was written with (frames.file_key: an edited file reads as another, a touched
one as the same). A rerun skips an output whose key matches; one made with another key, or one the record does not
hold (a file copied there, or over an output since), is named before any work, to be made again with --overwrite or
kept by writing to another folder.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path

from .. import files
from ..errors import StylegramError, count, first_few, warn
from .frames import file_key

try:
    import fcntl
except ImportError:  # Windows: no lock between runs (two runs into one folder there are not told apart)
    fcntl = None

RECORD = ".stylegram-made.json"
NAMED = 3  # outputs named in the message, then how many more
WRITTEN = "written"  # a record's entry for the output file itself, beside what made it (absent in older records)


def _made_of(recorded: dict) -> dict:
    """What a record's entry says an output was made from, without the file it wrote."""
    return {k: v for k, v in recorded.items() if k != WRITTEN}


def output_key(source: Path, styles: list[str], options: dict) -> dict | None:
    """What an output is made from, as it reads back from JSON; None for options JSON cannot hold (API arrays)."""
    key = {"source": file_key(source), "styles": [file_key(s) for s in styles], "options": options,
           **{name: [file_key(m) for m in options[option].split(",")]
              for name, option in (("masks", "style_masks"), ("regions", "style_regions"), ("labels", "labels"))
              if isinstance(options.get(option), str)}}
    try:
        return json.loads(json.dumps(key))
    except (TypeError, ValueError):
        return None


class Made:
    """The record of one output folder."""

    def __init__(self, folder: Path):
        self.path = folder / RECORD
        self.keys = self._read()
        self.reserved: list[str] = []  # entries this run wrote before its work (reserve)
        self.created = False  # whether reserve made the folder

    def _read(self) -> dict:
        try:
            return json.loads(self.path.read_text())
        except (OSError, ValueError):
            return {}

    def differs(self, name: str, key: dict | None) -> bool:
        """Whether the output ``name`` was recorded as made from something else than ``key``."""
        return key is not None and name in self.keys and _made_of(self.keys[name]) != key

    def difference(self, name: str, key: dict) -> str:
        """What made the output ``name`` where it differs from ``key``, in words (key_difference)."""
        return key_difference(_made_of(self.keys[name]), key)

    def unknown(self, name: str, key: dict | None) -> bool:
        """Whether the file ``name`` is not what the record says was written there (not in it, or replaced since),
        so nothing says it was made from ``key``: a photo copied into the folder was skipped as done."""
        if key is None:
            return False
        recorded = self.keys.get(name)
        written = None if recorded is None else recorded.get(WRITTEN)
        return recorded is None or (written is not None and written != file_key(self.path.parent / name))

    def reserve(self, planned: dict[str, dict | None]) -> None:
        """Record, before any work, what the outputs not yet there {name: key} will be made from: a run whose last
        write of the record failed (a full disk) left its finished outputs unrecorded, refused by the rerun as files
        stylegram did not make. An output there already keeps its entry until it is written again."""
        folder = self.path.parent
        claims = {name: key for name, key in planned.items() if key is not None and not (folder / name).exists()}
        if not claims:
            return
        self.created = not folder.exists()
        files.make_folder(folder, self.path)
        self._update(claims)
        self.reserved = list(claims)

    def note(self, written: dict[str, dict | None]) -> None:
        """Record the outputs just written {name: key} (each written whole, as the outputs are), in one write: one per
        output rewrote the whole record each time, a square of the outputs' count. A record that cannot be written
        now is warned of: the entries reserved before the work still claim the outputs."""
        changes = {name: None for name in self.reserved if name not in written}  # not made after all
        changes.update({name: None if key is None else {**key, WRITTEN: file_key(self.path.parent / name)}
                        for name, key in written.items()})  # with the file as written, so one copied over it is told apart
        try:
            self._update(changes)
        except (OSError, StylegramError) as err:
            warn(f"{files.one_line(err)}; the outputs written are recorded as this run planned them before it began")
            return
        if self.created and not self.keys:  # a folder made for outputs none of which was made: not left behind
            self.path.unlink(missing_ok=True)
            with contextlib.suppress(OSError):
                self.path.parent.rmdir()

    def _update(self, changes: dict[str, dict | None]) -> None:
        """Write the record with ``changes`` (None: an entry dropped) over the record as it is on disk now: two runs
        into one folder each wrote what they had read at their start, and the second dropped the first's outputs."""
        if not changes:
            return
        with _locked(self.path.parent):
            self.keys = self._read()
            for name, entry in changes.items():
                if entry is None:
                    self.keys.pop(name, None)
                else:
                    self.keys[name] = entry
            files.write_bytes(self.path, json.dumps(self.keys, indent=1).encode())


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """The folder held by this process alone (an exclusive flock on the folder itself: no lock file left in it)."""
    if fcntl is None:
        yield
        return
    handle = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        os.close(handle)  # the lock goes with it


def key_difference(stored: dict, key: dict, most: int = 3) -> str:
    """What made something, where it differs from a rerun's key, in words: '--iterations 10 (this run: 12)'."""
    parts = [words for part, words in (("source", "another version of the input"), ("styles", "other styles"),
                                       ("masks", "other masks"), ("regions", "other style regions"),
                                       ("labels", "other label maps")) if stored.get(part) != key.get(part)]
    old, new = stored.get("options", {}), key.get("options", {})
    changed = [name for name in sorted(set(old) | set(new)) if old.get(name) != new.get(name)]
    if "method" in changed:  # another method: its own options' differences say nothing more ('--temporal-weight 10.0
        changed = ["method"]  # (this run: the default)' of an adain run, which has none)
    for name in changed[:most]:
        flag, before, now = f"--{name.replace('_', '-')}", old.get(name), new.get(name)
        parts.append(f"{f'the default {flag}' if before is None else f'{flag} {before}'} (this run: "
                     f"{'the default' if now is None else now})")  # 'no --style-weight' read as none at all
    if len(changed) > most:
        parts.append(f"{len(changed) - most} more options")
    return ", ".join(parts) or "other settings"


def _listed(names: list[str]) -> tuple[str, bool]:
    """The first NAMED names and how many more; whether there is one."""
    return first_few(names, NAMED), len(names) == 1


def refusal(out_dir: str, names: list[str], first: str) -> str:
    """The message for outputs made from other inputs, styles or options than a rerun's; ``first``: what differs for
    the first of them (Made.difference)."""
    shown, one = _listed(names)
    which = "" if one else f" (the first with {first})"
    return (f"{count(len(names), 'output')} in {out_dir} ({shown}) {'was' if one else 'were'} made with "
            f"{first if one else 'other styles, options or inputs than these'}{which}, so "
            f"{'it is' if one else 'they are'} not skipped as done; give --overwrite "
            f"to make {'it' if one else 'them'} again, or another -o folder to keep {'it' if one else 'them'}")


def unrecorded(out_dir: str, names: list[str]) -> str:
    """The message for outputs already there that the folder's record does not hold."""
    shown, one = _listed(names)
    return (f"{count(len(names), 'file')} in {out_dir} ({shown}) {'has' if one else 'have'} the name of an output, "
            f"and the folder's record ({RECORD}) does not say stylegram made {'it' if one else 'them'}, so "
            f"{'it is' if one else 'they are'} not skipped as done; give --overwrite to replace "
            f"{'it' if one else 'them'}, or another -o folder to keep {'it' if one else 'them'}")
