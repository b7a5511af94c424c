"""A file as what it holds, so an output made from it is known for one made from the same bytes.

Records of what made an output (a batch folder's, a sweep's cells) name each input file by its name, size and a
digest of its bytes: a file touched, copied back over itself or moved reads as the same, one edited as another.
Digests are cached per process on (path, size, time of change), so a style named for every picture of a batch is
read once.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

CHUNK = 1 << 20
_digests: dict[tuple[str, int, int], str] = {}


def file_fingerprint(path: str | os.PathLike[str]) -> list:
    """[file name, bytes, 'sha256:<first 16 hex digits>'] of an existing file."""
    found = Path(path).resolve()
    info = found.stat()
    return [found.name, info.st_size, _digest(found, info)]


def _digest(path: Path, info: os.stat_result) -> str:
    key = (str(path), info.st_size, info.st_mtime_ns)
    if key not in _digests:
        hashed = hashlib.sha256()
        with open(path, "rb") as file:
            while chunk := file.read(CHUNK):
                hashed.update(chunk)
        _digests[key] = "sha256:" + hashed.hexdigest()[:16]
    return _digests[key]
