"""Pictures given by their web address (http:// or https://): fetched once into a cache, then read as files.

Any command that takes a picture takes its address too (`stylegram transfer photo.jpg https://.../painting.jpg`).
The file is kept under ``$XDG_CACHE_HOME/stylegram/downloads`` (``~/.cache/...``) in a folder named by a hash of
the address, so a second run reads it from there; ``STYLEGRAM_DOWNLOADS`` names another folder. `stylegram samples
--downloads` lists them (``kept``) and `--clear-downloads` removes them (``clear``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import glob
import hashlib
import http.client
import mimetypes
import os
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from .errors import ImageError
from .files import one_line, write_atomically

SCHEMES = ("http://", "https://")
MAX_BYTES = 256 * 2**20  # far above any photo or painting; a guard against a runaway or mistaken download
PROGRESS_FROM = 8 * 2**20  # a download this large shows a progress bar (a photo's is over in a moment)
FOLDER_ENV = "STYLEGRAM_DOWNLOADS"
ADDRESS_FILE = ".address"  # beside each picture: the address it came from
_OWN_COPY = "download it yourself and give the file's path"


def is_url(spec: object) -> bool:
    """Whether ``spec`` is a web address stylegram fetches (a str starting with http:// or https://)."""
    return isinstance(spec, str) and spec.lower().startswith(SCHEMES)


def cache_dir() -> Path:
    """The folder downloaded pictures are kept in: $STYLEGRAM_DOWNLOADS, else $XDG_CACHE_HOME/stylegram/downloads."""
    if os.environ.get(FOLDER_ENV):
        return Path(os.environ[FOLDER_ENV]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base).expanduser() / "stylegram" / "downloads"


def cached_path(url: str) -> Path:
    """Where the picture at ``url`` is kept: in a folder named by a hash of the address, under the file name the
    address ends with (which captions and messages show)."""
    name = Path(urllib.parse.unquote(urllib.parse.urlsplit(url).path)).name
    name = re.sub(r"[^\w.-]", "_", name)[-80:].lstrip(".") or "image"
    return cache_dir() / hashlib.sha256(url.encode()).hexdigest()[:16] / name


_HASHED = re.compile("[0-9a-f]{16}")  # the name of cached_path's folders


def fetch(url: str) -> Path:
    """The local copy of the picture at ``url``, downloaded (atomically) unless the cache has it; ImageError when the
    address cannot be read, gives a web page rather than a picture, or is larger than MAX_BYTES."""
    dest = cached_path(url)
    kept = _kept(dest)
    if kept is not None:
        return kept
    _check_folder(dest.parent)
    try:
        with _urlopen(url) as response:
            kind = response.headers.get_content_type() if getattr(response, "headers", None) else ""
            if kind.startswith("text/") or kind in ("application/xhtml+xml", "application/json"):
                what = "a web page" if "html" in kind else "text"
                raise ImageError(f"{url} is {what} ({kind}), not a picture: give the address of the picture itself "
                                 "(in a browser: right-click it, Copy Image Address)")
            if not dest.suffix:  # an address such as .../photo?id=3: the extension its content type gives
                dest = dest.with_name(dest.name + (mimetypes.guess_extension(kind) or ""))
            copy = write_atomically(dest, lambda out: _copy_limited(response, out, url))
            with contextlib.suppress(OSError):  # what `stylegram samples --downloads` lists; the picture is there
                (dest.parent / ADDRESS_FILE).write_text(url + "\n")
            return copy
    except urllib.error.HTTPError as err:
        raise ImageError(f"could not download {url}: the server answered {err.code} {err.reason}; check the "
                         f"address, or {_OWN_COPY}") from None
    except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as err:
        reason = one_line(err.reason if isinstance(err, urllib.error.URLError) else err)
        raise ImageError(f"could not download {url} ({reason}); check the address and the connection, or "
                         f"{_OWN_COPY}") from None


@dataclasses.dataclass(frozen=True)
class Kept:
    """A picture in the downloads cache: its file, the address it came from (None if not recorded) and its bytes."""

    path: Path
    address: str | None
    size: int


def kept() -> list[Kept]:
    """Every picture fetched so far, oldest first."""
    found = [file for file in cache_dir().glob("*/*")  # only the folders fetch names (a hash of the address): the
             if _HASHED.fullmatch(file.parent.name)  # cache may be a folder of the user's own ($STYLEGRAM_DOWNLOADS)
             and file.is_file() and not file.name.startswith(".")]
    stats = {file: file.stat() for file in found}
    return [Kept(file, _address(file.parent), stats[file].st_size)
            for file in sorted(found, key=lambda file: stats[file].st_mtime)]


def _address(folder: Path) -> str | None:
    try:
        return (folder / ADDRESS_FILE).read_text().strip() or None
    except OSError:  # fetched before addresses were kept
        return None


def clear() -> list[Kept]:
    """Remove every picture fetched so far (and its folder); returns what was removed."""
    removed = kept()
    for picture in removed:
        for file in picture.path.parent.iterdir():
            if file.is_file():
                file.unlink()
        with contextlib.suppress(OSError):  # not empty: something else was put there, and stays
            picture.path.parent.rmdir()
    return removed


def _check_folder(folder: Path) -> None:
    """Make the folder a download goes to, or say how to choose another."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ImageError(f"cannot keep downloaded pictures in {folder} ({one_line(err)}); set {FOLDER_ENV} to a "
                         "folder you can write") from None
    if not os.access(folder, os.W_OK):
        raise ImageError(f"cannot keep downloaded pictures in {folder}: it is not writable; set {FOLDER_ENV} to a "
                         "folder you can write")


def _kept(dest: Path) -> Path | None:
    """The copy fetched before: ``dest`` itself, or ``dest`` with the extension its content type gave; None if none."""
    if dest.is_file():
        return dest
    return min(dest.parent.glob(glob.escape(dest.name) + ".*"), default=None) if dest.parent.is_dir() else None


def _urlopen(url: str):
    """Open a URL (a function of its own so that tests can point it elsewhere)."""
    request = urllib.request.Request(url, headers={"User-Agent": "stylegram"})  # some hosts refuse urllib's own
    return urllib.request.urlopen(request, timeout=60)


def _copy_limited(source: BinaryIO, out: BinaryIO, url: str) -> None:
    """Copy ``source`` to ``out`` (copy_body), refusing more than MAX_BYTES."""

    def refuse() -> ImageError:
        return ImageError(f"{url} is larger than {MAX_BYTES // 2**20} MiB, more than any picture needs; {_OWN_COPY}")

    copy_body(source, out, url, limit=MAX_BYTES, refuse=refuse)


def copy_body(response: BinaryIO, out: BinaryIO, url: str, limit: int | None = None,
              refuse: Callable[[], Exception] | None = None) -> None:
    """Copy a download's body to ``out`` in blocks, with a progress bar on stderr when it says it is PROGRESS_FROM
    bytes or more (weights: hundreds of MB); more than ``limit`` bytes raise ``refuse()``."""
    total = _length(response)
    shown = total is not None and total >= PROGRESS_FROM
    with _progress(total, url) if shown else contextlib.nullcontext() as progress:
        copied = 0
        while block := response.read(1 << 20):
            copied += len(block)
            if limit is not None and copied > limit:
                raise refuse()
            out.write(block)
            if progress is not None:
                progress.update(len(block))


def _length(response) -> int | None:
    """The body's size its headers give, or None (no headers, or no Content-Length)."""
    headers = getattr(response, "headers", None)
    length = headers.get("Content-Length", "") if headers is not None else ""
    return int(length) if length.strip().isdigit() else None


@contextlib.contextmanager
def _progress(total: int, url: str):
    """A bar in bytes (KB, MB) named by the file the address ends with."""
    from .bars import bar

    name = Path(urllib.parse.urlsplit(url).path).name or url
    with bar(total, "B", quiet=False, name=f"downloading {name}", scale=True) as shown:
        yield shown
