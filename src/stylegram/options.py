"""What the options dataclasses (TransferOptions, TextureOptions, DreamOptions) share."""

from __future__ import annotations

import dataclasses
import os
from typing import Any, TypeVar

from .errors import OptionError

O = TypeVar("O", bound="Options")


class Options:
    """Base of an options dataclass: ``replace`` that names unknown options instead of a TypeError."""

    kind = ""  # what the options are for ("transfer", ...), named in the error

    def replace(self: O, **changes: Any) -> O:
        """A copy with some options changed; unknown names are an OptionError."""
        unknown = set(changes) - {f.name for f in dataclasses.fields(self)}
        if unknown:
            raise OptionError(f"unknown {self.kind} option(s): {', '.join(sorted(unknown))}")
        return dataclasses.replace(self, **changes)

    def saved(self) -> dict:
        """The options as a checkpoint stores them: every field, and the kind of run that wrote it."""
        return {"kind": self.kind, **dataclasses.asdict(self)}

    @classmethod
    def restore(cls: type[O], stored: dict, path: str | os.PathLike) -> O:
        """Options read back from a checkpoint; one written by another kind of run is named, not a TypeError."""
        saved = dict(stored)
        kind = saved.pop("kind", cls.kind)  # checkpoints from before the kind was stored: the fields tell
        unknown = set(saved) - {f.name for f in dataclasses.fields(cls)}
        if kind != cls.kind:
            raise OptionError(f"checkpoint {path} was written by a {kind} run, not by a {cls.kind} run; "
                              f"resume it with 'stylegram {kind} --resume {path}'")
        if unknown:
            raise OptionError(f"checkpoint {path} was written by another kind of run (options {_few(unknown)}), "
                              f"not by a {cls.kind} run")
        return cls(**saved)


def _few(names: set[str]) -> str:
    """Up to three names, then how many more."""
    shown = sorted(names)[:3]
    more = len(names) - len(shown)
    return ", ".join(shown) + (f" and {more} more" if more else "")
