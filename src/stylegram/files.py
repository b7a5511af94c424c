"""Files a run writes, of any kind (images, logs, checkpoints): checked before the work, written atomically.

A write goes to a hidden temporary file beside the target, is synced, and is renamed onto the target, so a
reader (or a crash) never sees half a file; the result gets the permissions a plain write would give.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from .errors import ImageError


DISK_ERRORS = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO, errno.EROFS)  # what writing a file can meet


def megabytes(size: int) -> str:
    """A file's size as messages and listings show it: '1.3 MB'."""
    return f"{size / 1e6:.1f} MB"


def one_line(err: BaseException) -> str:
    """An error as one short line for a message."""
    text = " ".join(str(err).split()) or type(err).__name__
    return text if len(text) <= 200 else text[:197] + "..."


def check_can_write(path: str | os.PathLike[str]) -> Path:
    """Check before long work that a file of any kind (a log, a checkpoint) can be written at ``path``; return it."""
    target = Path(path).expanduser()
    if target.is_dir():
        raise ImageError(f"cannot write {target}: it is a folder; give a file name")
    target = target.parent.resolve() / target.name
    _probe(_nearest_folder(target.parent, target), target, target.parent)  # its folder is made when it is written
    _check_not_read_only(target)
    return target


def _check_not_read_only(target: Path) -> None:
    """Refuse an existing file that may not be written (read-only, or immutable): the rename onto it replaced a
    read-only file silently, or failed (an immutable one) only after the whole run. Opened for update, not changed."""
    if not target.is_file():
        return
    try:
        with open(target, "r+b"):
            pass
    except OSError as err:
        raise ImageError(f"cannot write {target}: the file there may not be written ({err.strerror or one_line(err)});"
                         " make it writable, or choose another output path") from err


RESCUED = ".rescued"  # what a picture or checkpoint is called where its own path failed after the work


def stopped_name(path: Path) -> Path:
    """Where a picture cut short is written beside ``path`` rather than over it: its name + '.stopped'."""
    return path.with_name(f"{path.stem}.stopped{path.suffix}")


def unused_name(path: Path) -> Path:
    """``path``, or where a file is there, the first of its name + '-1', '-2', ... that none has."""
    n = 0
    while (candidate := path if n == 0 else path.with_name(f"{path.stem}-{n}{path.suffix}")).exists():
        n += 1
    return candidate


def rescue_path(target: Path) -> Path:
    """Where to put what a finished (or stopped) run could not write to ``target`` (its folder gone or made a file,
    the file made read-only during the run): the current folder, else the temporary one, under a name no file has."""
    for folder in (Path.cwd(), Path(tempfile.gettempdir())):
        try:
            _probe(folder, target, folder)
        except ImageError:
            continue
        for n in range(1000):
            path = folder / f"{target.stem}{RESCUED}{'' if n == 0 else f'-{n}'}{target.suffix}"
            if not path.exists():
                return path
    raise ImageError(f"cannot write {target}, nor anything in {Path.cwd()} or {tempfile.gettempdir()}")


def _nearest_folder(folder: Path, target: Path) -> Path:
    """``folder``, or its nearest existing parent, where writing ``target`` would create the rest; an error if a
    file stands in the way."""
    existing = next(p for p in (folder, *folder.parents) if p.exists())
    if not existing.is_dir():
        raise ImageError(f"cannot write {target}: {existing} is a file, not a folder; choose another output path")
    return existing


def check_folder(folder: str | os.PathLike[str]) -> Path:
    """Check before long work that files can be created in ``folder`` (made by the first file written, if missing);
    return it."""
    target = Path(folder).expanduser()
    _probe(_nearest_folder(target, target), target, target)
    return target


def _probe(folder: Path, target: Path, wanted: Path) -> None:
    """Create and remove a hidden file in ``folder``, the nearest existing folder of ``wanted``; an error names
    ``target``, what the user asked to write, and the folder that could not be made if ``wanted`` is missing."""
    try:
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".", suffix=".probe")
        os.close(fd)
        os.unlink(probe)
    except OSError as err:
        why = f" ({err.strerror or one_line(err)})"  # not the probe's own name, which the user never asked for
        if err.errno == errno.ENOENT and folder.is_dir():  # /proc's "No such file or directory", of a folder
            why = "" if folder != wanted else " (nothing can be created in it)"  # else said just before
        where = (f"folder {folder} is not writable" if folder == wanted
                 else f"folder {wanted} cannot be made: nothing can be created in {folder}")
        raise ImageError(f"cannot write {target}: {where}{why}; choose another output path") from err


def make_folder(folder: Path, target: Path) -> None:
    """Create ``folder`` and its parents, or say which part is in the way."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        blocker = next((p for p in (folder, *folder.parents) if p.exists()), folder)
        why = (f"{blocker} is a file, not a folder" if not blocker.is_dir()
               else f"cannot create folder {folder} ({one_line(err)})")
        raise ImageError(f"cannot write {target}: {why}; choose another output path") from err


def same_file(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> bool:
    """Whether two paths name one file: the same path resolved, or an existing file reached both ways (a hard
    link, or names that differ only in case on macOS and Windows, where photo.png opens photo.PNG)."""
    a, b = Path(a).expanduser(), Path(b).expanduser()
    if a.resolve() == b.resolve():
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist (yet)
        return False


def write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to a file atomically (see write_atomically), creating its folder."""
    return write_atomically(Path(path).expanduser(), lambda f: f.write(data))


def write_atomically(target: Path, write: Callable[[BinaryIO], object]) -> Path:
    """Write a file through ``write(f)`` into a hidden temp file beside ``target`` (its folder made if missing), fsync
    it and rename it onto ``target`` with a plain write's permissions; the temp file is removed if anything fails. A
    ``target`` that is a folder is refused first (the rename raised IsADirectoryError naming the temp file)."""
    if target.is_dir():
        raise ImageError(f"cannot write {target}: it is a folder; give a file name")
    make_folder(target.parent, target)
    try:
        fd, temp = tempfile.mkstemp(dir=target.parent, prefix=".", suffix=target.suffix)
    except OSError as err:
        raise ImageError(f"cannot write {target}: folder {target.parent} is not writable ({one_line(err)}); "
                         "choose another output path") from err
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        publish(temp, target)
    except OSError as err:  # the disk's own errors (full most often) named, not a traceback; what was there is kept
        if err.errno not in DISK_ERRORS and err.filename in (temp, str(target)):  # the file system refused this
            raise ImageError(f"cannot write {target} ({err.strerror or one_line(err)}); "  # file (was its temp name)
                             "choose another output path") from err
        if err.errno not in DISK_ERRORS:
            raise  # not the file's: a download's broken connection, named where it is read
        raise ImageError(f"cannot write {target} ({err.strerror or one_line(err)}){_free_space(target.parent)}; "
                         "free some space or choose another folder") from err
    finally:
        Path(temp).unlink(missing_ok=True)  # gone after the rename; removed if writing failed
    return target


def _free_space(folder: Path) -> str:
    """', 0.2 MB free there': what the disk holding ``folder`` has left, for a message; '' when unknown."""
    try:
        return f", {megabytes(shutil.disk_usage(folder).free)} free there"
    except OSError:
        return ""


def publish(temp: str | os.PathLike[str], target: Path) -> None:
    """Rename a finished, synced temporary file onto ``target``, with the permissions a plain write gives.

    mkstemp makes 0600 files: the result gets the replaced file's mode, or the umask's for a new file.
    """
    os.chmod(temp, stat.S_IMODE(target.stat().st_mode) if target.exists() else _new_file_mode())
    os.replace(temp, target)
    _fsync_folder(target.parent)


def _new_file_mode() -> int:
    """The permissions open() would give a new file under the current umask (read without changing it)."""
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return 0o666 & ~int(line.split()[1], 8)
    return 0o644


def _fsync_folder(folder: Path) -> None:
    """Make the rename durable where the OS allows syncing a directory (POSIX)."""
    with contextlib.suppress(OSError, AttributeError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


class WholeOrNothing:
    """A writer used as a context manager: ``close()`` (finish the file) when the block ends well, ``abort()`` (leave
    the target untouched) when it raises."""

    def close(self) -> Path:
        raise NotImplementedError

    def abort(self) -> None:
        raise NotImplementedError

    def __enter__(self):
        return self

    def __exit__(self, kind, value, traceback) -> None:
        if kind is None:
            self.close()
        else:
            self.abort()
