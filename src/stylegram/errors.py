"""User-facing errors: each carries a one-line message that says what went wrong and what to do (and warnings, for
runs that go on but may not give what was meant)."""

from __future__ import annotations

import contextlib
import dataclasses
import difflib
import importlib
import math
import os
import re
import signal
import sys
import threading
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence

# The options dataclasses (stylegram.options.Options subclasses) add themselves here, so that a message can name
# their fields the way a Python caller passes them.
OPTION_CLASSES: list[type] = []
# Keyword arguments outside those classes whose flags messages name the same way (stylize_batch's temporal, ...).
KEYWORDS: set[str] = set()
# A flag and the value written after it when that is a number, a quoted string or a placeholder: "--size 0",
# "--init 'x'", "--size N".
_FLAG = re.compile(r"--([a-z][a-z0-9-]*)(?: ('[^']*'|-?\.?\d[^\s,;:)]*|[A-Z]+\b))?")


class StylegramError(Exception):
    """Base class of every error stylegram raises on purpose; the CLI prints it and exits with 2.

    Messages are written with the command line's flags (``--size``), as the CLI, batch runs and the web page (which
    puts its own labels in their place) show them: ``flagged``. ``str()`` is for Python callers: a flag that stands
    for an option is named as the keyword argument (``size``, ``size=0``).
    """

    @property
    def flagged(self) -> str:
        """The message as written, naming command-line flags."""
        return str(self.args[0]) if self.args else ""

    def __str__(self) -> str:
        return in_python_words(self.flagged)


class ImageError(StylegramError):
    """An image could not be read, decoded or written."""


class LayerError(StylegramError, KeyError):
    """A layer name is not known to the backbone (StylegramError's __str__ keeps KeyError from quoting it)."""


class BackboneError(StylegramError):
    """An unknown backbone, or an input the backbone cannot take (e.g. too small)."""


class WeightsError(StylegramError):
    """Weights could not be found, downloaded, verified or matched to the network."""


class OptionError(StylegramError, ValueError):
    """An option has a value that cannot work."""


class Terminated(KeyboardInterrupt):
    """SIGTERM (kill, timeout, docker stop), handled as Ctrl-C is; the command line then exits with 143, not 130."""


def interrupted_status(signum: int | None) -> int:
    """The exit status of a run stopped by signal ``signum`` (None: Ctrl-C): 128 + its number, as a shell reports."""
    return 128 + (signum or signal.SIGINT)


def status_of(interrupt: KeyboardInterrupt) -> int:
    """The exit status of a run that ``interrupt`` ended: 143 for SIGTERM (Terminated), 130 for Ctrl-C."""
    return interrupted_status(signal.SIGTERM if isinstance(interrupt, Terminated) else None)


class StylegramWarning(UserWarning):
    """A run goes on, but may not give what was meant; the CLI prints it as 'stylegram: warning: ...'. Written with
    flags (``flagged``), shown to Python callers with keywords, as StylegramError is."""

    @property
    def flagged(self) -> str:
        """The message as written, naming command-line flags."""
        return str(self.args[0]) if self.args else ""

    def __str__(self) -> str:
        return in_python_words(self.flagged)


_listener = threading.local()  # where this thread's warnings go while warnings_to() is in force


def warn(message: str, category: type[StylegramWarning] = StylegramWarning) -> None:
    """Issue a StylegramWarning (or a ``category`` of it) with ``message`` (flags as the command line names them): to
    the listener of ``warnings_to`` in force in this thread, else through Python's warnings."""
    hear = getattr(_listener, "hear", None)
    if hear is not None:
        hear(message)
    else:
        warnings.warn(category(message), stacklevel=_outside_level())


def _outside_level() -> int:
    """The stacklevel, for warnings.warn called from warn, of the nearest caller outside this package: a Python
    caller's warning pointed at a line of stylegram's own (gatys.py:661), not at the call that made it."""
    package = os.path.dirname(os.path.abspath(__file__))

    def inside(code) -> bool:  # an options dataclass's generated __init__ too (seed=-1 pointed at '<string>:42')
        return os.path.abspath(code.co_filename).startswith(package + os.sep) or \
            (code.co_filename == "<string>" and code.co_name == "__init__")

    frame, level = sys._getframe(2), 2  # warn's caller
    while frame is not None and inside(frame.f_code):
        frame, level = frame.f_back, level + 1
    return level if frame is not None else 3


@contextlib.contextmanager
def warnings_to(hear: Callable[[str], None]) -> Iterator[None]:
    """Within it, stylegram's warnings raised in this thread go to ``hear`` (the command line prints them, a web job
    keeps them for its page), each message once, rather than through Python's warnings; thread-safe, unlike
    warnings.catch_warnings. (Once: a run in tiles prepares a run per tile, and each warned of the same style.)"""
    heard: set[str] = set()

    def once(message: str) -> None:
        if message not in heard:
            heard.add(message)
            hear(message)

    before = getattr(_listener, "hear", None)
    _listener.hear = once
    try:
        yield
    finally:
        _listener.hear = before


# A command line's way out, as a Python caller takes it: (pattern, replacement), applied before the flags are renamed.
PYTHON_PHRASES = [
    (r"run 'stylegram layers --backbone ([\w-]+)' to list them",
     r"stylegram.load_backbone('\1').layer_names() lists them"),
    (r"start without --resume", "start a new run instead of resuming"),
    (r"\badd --grey\b", "give grey=True"), (r"\bdrop --grey\b", "give grey=False"),  # not 'add grey'
    (r"\bgive --(pooling|padding) (\w+)", r"give \1='\2'"),  # not 'give pooling avg'
    (r"\badd --backbone ([\w-]+) --weights (\S+)", r"give backbone='\1', weights='\2'"),
    (r"\bgive --format png or webp\b", "give ext='.png' or '.webp'"),
    (r"\bgive --overwrite\b", "give overwrite=True"), (r"\(--style\)", "(styles)"),  # stylize_batch's keywords
]


def in_python_words(text: str) -> str:
    """``text`` with each flag that stands for an option named as its keyword: --tv-weight -> tv_weight, --size 0 ->
    size=0; other flags (--resume, --overwrite), and those of a command quoted to run ('stylegram layers --backbone
    vgg19'), are left as they are."""
    for module in ("gatys", "synthesis", "deepdream"):  # their option classes join OPTION_CLASSES as they load
        importlib.import_module(f".{module}", __package__)
    fields = [f for cls in OPTION_CLASSES for f in dataclasses.fields(cls)]
    names = {f.name for f in fields} | KEYWORDS
    switches = {f.name for f in fields if f.default is False}  # "pass --upscale" said "pass upscale"
    setting = ("pass", "add", "give", "with", "use")  # words before a switch that is to be set: "pass upscale=True"

    def keyword(match: re.Match) -> str:
        name = match[1].replace("-", "_")
        if name.startswith("no_") and name[3:] in names and not match[2]:  # --no-transforms: transforms=False
            return f"{name[3:]}=False"
        if name not in names:
            return match[0]
        before = match.string[:match.start()].split()
        if name in switches and not match[2] and before and before[-1].lstrip("(") in setting:
            return f"{name}=True"
        return f"{name}={match[2]}" if match[2] else name

    for said, meant in PYTHON_PHRASES:  # what a Python caller does instead of a command line's
        text = re.sub(said, meant, text)
    parts = re.split(r"('stylegram [^']*')", text)  # a command to run keeps its flags
    return "".join(part if part.startswith("'stylegram ") else _FLAG.sub(keyword, part) for part in parts)


def count(n: int, noun: str) -> str:
    """'1 style', '2 styles': a number and its noun, for messages."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def first_few(words: Sequence[str], most: int = 3) -> str:
    """'a, b, c and 2 more': the first ``most`` of ``words``, and how many more, for messages."""
    return ", ".join(words[:most]) + (f" and {len(words) - most} more" if len(words) > most else "")


LOOKALIKE = str.maketrans("lIOo", "1100")  # relu3_l meant relu3_1 (difflib offered relu3_4)


def missing_channels(bad: Sequence[int], owner: str, available: int) -> str:
    """What a list of channel numbers ``owner`` (a layer) lacks: 'channels 256-700 do not exist: relu3_1 has 256
    channels (0..255)' (the first alone was named, and --channels 2-700 read as one wrong number)."""
    bad = sorted(set(bad))
    runs: list[list[int]] = []
    for c in bad:
        if runs and c == runs[-1][1] + 1:
            runs[-1][1] = c
        else:
            runs.append([c, c])
    named = [f"{lo}-{hi}" if hi > lo else str(lo) for lo, hi in runs]
    shown = first_few(named, 4)
    verb = "does not exist" if len(bad) == 1 else "do not exist"
    return f"channel{'s' * (len(bad) > 1)} {shown} {verb}: {owner} has {available} channels (0..{available - 1})"


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """Return ' did you mean X?' for the closest choice, or '' when nothing is close.

    A choice that starts with the name comes first: 'conv1' means conv1_1, which difflib scores no higher than conv5_1.
    """
    choices = list(choices)
    close = [choice for choice in choices if choice.lower() == name.lower()]  # RELU1_1
    close = close or [choice for choice in choices if choice.translate(LOOKALIKE) == name.translate(LOOKALIKE)]
    close = close or [choice for choice in choices if len(name) >= 3 and choice.startswith(name)]
    close = close or difflib.get_close_matches(name, choices, n=1, cutoff=0.6)
    return f"; did you mean {close[0]}?" if close else ""


def check_choice(what: str, value: str, choices: Sequence[str], known_as: Mapping[str, str] | None = None) -> None:
    """Raise an OptionError naming ``what``, the choices and the closest one, unless ``value`` is a choice;
    ``known_as``: {a name used elsewhere: the choice it means}, suggested before the closest spelling."""
    if value not in choices:
        shown = f"'{value}'" if isinstance(value, str) else repr(value)  # None, not 'None', a text
        meant = f"; did you mean {known_as[value]}?" if known_as and isinstance(value, str) and value in known_as else \
            did_you_mean(str(value), choices)
        raise OptionError(f"{what} {shown} is not one of {', '.join(choices)}{meant}")


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
