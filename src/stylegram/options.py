"""What the options dataclasses (TransferOptions, TextureOptions, DreamOptions) share."""

from __future__ import annotations

import dataclasses
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
