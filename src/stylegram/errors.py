"""User-facing errors: each carries a one-line message that says what went wrong and what to do."""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable, Sequence


class StylegramError(Exception):
    """Base class of every error stylegram raises on purpose; the CLI prints it and exits with 2."""


class ImageError(StylegramError):
    """An image could not be read, decoded or written."""


class LayerError(StylegramError, KeyError):
    """A layer name is not known to the backbone."""

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return str(self.args[0]) if self.args else ""


class BackboneError(StylegramError):
    """An unknown backbone, or an input the backbone cannot take (e.g. too small)."""


class WeightsError(StylegramError):
    """Weights could not be found, downloaded, verified or matched to the network."""


class OptionError(StylegramError, ValueError):
    """An option has a value that cannot work."""


def count(n: int, noun: str) -> str:
    """'1 style', '2 styles': a number and its noun, for messages."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """Return ' did you mean X?' for the closest choice, or '' when nothing is close."""
    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    return f"; did you mean {close[0]}?" if close else ""


def check_choice(what: str, value: str, choices: Sequence[str]) -> None:
    """Raise an OptionError naming ``what``, the choices and the closest one, unless ``value`` is a choice."""
    if value not in choices:
        raise OptionError(f"{what} '{value}' is not one of {', '.join(choices)}{did_you_mean(str(value), choices)}")


def check_seed(seed: object) -> None:
    """Raise an OptionError unless ``seed`` is a whole number that torch's generators take (0 to 2**63 - 1)."""
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**63:
        raise OptionError(f"--seed must be a whole number from 0 to {2**63 - 1}, got {seed!r}")


def check_number(what: str, value: float, minimum: float = 0.0, *, above: bool = False) -> None:
    """Raise an OptionError naming ``what`` unless ``value`` is a finite number >= ``minimum`` (> with ``above``)."""
    number = isinstance(value, (int, float)) and math.isfinite(value)
    if not number or value < minimum or (above and value == minimum):
        bound = f"greater than {minimum:g}" if above else f"at least {minimum:g}"
        raise OptionError(f"{what} must be a number {bound}, got {value}")
