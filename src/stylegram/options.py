"""What the options dataclasses (TransferOptions, TextureOptions, DreamOptions) share."""

from __future__ import annotations

import dataclasses
import numbers
import os
import secrets
import sys
import textwrap
import typing
from collections.abc import Mapping, Sequence
from typing import Any, Optional, TypeVar, Union

from .errors import OPTION_CLASSES, OptionError, did_you_mean, warn

O = TypeVar("O", bound="Options")


def flag(name: str) -> str:
    """The command-line flag of an option: style_weight -> --style-weight."""
    return "--" + name.replace("_", "-")


class _Named(type):
    """Options classes whose constructor names an unknown option, with the closest, as ``replace`` does (the
    dataclass's own __init__ raised a bare TypeError: unexpected keyword argument 'style_wieght'), and whose help()
    says what each option does, as the command's --help does (``described``)."""

    @property
    def __doc__(cls) -> str | None:
        own = cls.__dict__.get("__doc__")
        made = getattr(sys.modules.get(cls.__module__), cls.__name__, None) is cls  # not while @dataclass makes it
        return f"{own}\n\n{described(cls)}" if made and cls.__dict__.get("kind") else own

    def __call__(cls, *args: Any, **kwargs: Any):
        names = [f.name for f in dataclasses.fields(cls)]
        unknown = sorted(set(kwargs) - set(names))
        if unknown:
            hint = did_you_mean(unknown[0], names) or _classic(unknown[0], names)
            raise OptionError(f"unknown {cls.kind} option(s): {', '.join(unknown)}{hint}")
        return super().__call__(*args, **kwargs)


def described(cls: type) -> str:
    """Each option of an options class with what its command's --help says of it (in keyword words, defaults filled
    in): help(TransferOptions) showed names, types and defaults alone."""
    import importlib

    from .errors import in_python_words

    try:
        command = importlib.import_module(f".commands.{cls.kind}", __package__)
    except ImportError:
        return ""
    helps, choices, defaults = getattr(command, "HELP", {}), getattr(command, "CHOICES", {}), cls()
    lines = ["Options (as the command line's --help describes them):"]
    for f in dataclasses.fields(cls):
        if f.name in helps:
            said = helps[f.name].replace("%(default)s", repr(getattr(defaults, f.name)))
            listed = [str(c) for c in choices.get(f.name, ())]
            one_of = f" One of: {', '.join(listed)}." if listed and not all(c in said for c in listed) else ""
            name = f"{f.name}=False" if getattr(defaults, f.name) is True else f.name  # the help of a --no-... flag
            lines += textwrap.wrap(f"{name}: {in_python_words(said)}{one_of}", 100, initial_indent="    ",
                                   subsequent_indent="        ")
    return "\n".join(lines)


def _classic(name: str, names: list[str]) -> str:
    """'; --colors original (or ...) keeps the content's colours' for a classic tool's option such as original_colors
    (the command line said so, Python named the option alone), '' for another name."""
    from .commands.classic import classic_hint

    said = classic_hint(name, [flag(n) for n in names])
    return f"; {said}" if said else ""


class Options(metaclass=_Named):
    """Base of an options dataclass: ``replace`` that names unknown options instead of a TypeError."""

    kind = ""  # what the options are for ("transfer", ...), named in the error
    several = ""  # how a call takes several images, for one who gave them one after another: "texture(['a', 'b'])"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        OPTION_CLASSES.append(cls)  # so that error messages name its fields (errors.in_python_words)

    def __post_init__(self) -> None:
        """Check the numeric and yes/no options' types (the CLI's parser does; the Python API did not)."""
        for name, hint in typing.get_type_hints(type(self)).items():
            setattr(self, name, _typed(name, getattr(self, name), hint))
        if getattr(self, "seed", None) == -1:  # the classic tools' 'a random seed', as --seed -1 is on the command line
            self.seed = secrets.randbelow(2**31)
            warn(f"seed -1 means a random seed: drew --seed {self.seed} (give it to make the same picture again)")

    @classmethod
    def given(cls: type[O], options: O | None = None, **changes: Any) -> O:
        """``options`` (default: all defaults) with ``changes``; options of another kind are named, not used."""
        if options is not None and not isinstance(options, cls):
            image = isinstance(options, (str, os.PathLike)) or hasattr(options, "shape") or hasattr(options, "getpixel")
            several = f"; several images go in one list: {cls.several}" if image and cls.several else ""
            unpack = "; a dict of options goes in as keywords: **options" if isinstance(options, dict) else ""
            raise OptionError(f"these are {cls.kind} options, so give {cls.__name__}, not {type(options).__name__}"
                              f"{several}{unpack}")
        return (options or cls()).replace(**changes)

    def replace(self: O, **changes: Any) -> O:
        """A copy with some options changed; unknown names are an OptionError (the constructor's, _Named)."""
        return dataclasses.replace(self, **changes)

    def changed(self) -> dict[str, Any]:
        """The options set away from their defaults, with their values, in field order."""
        default = type(self)()
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)
                if _differs(getattr(self, f.name), getattr(default, f.name))}

    def saved(self) -> dict:
        """The options as a checkpoint stores them: every field, and the kind of run that wrote it."""
        return {"kind": self.kind, **dataclasses.asdict(self)}

    def check_overrides(self, overrides: dict, path: str | os.PathLike) -> None:
        """Refuse options given to a resume (Python) at another value than this checkpoint's: size=200 on a 128 px
        checkpoint failed inside the optimizer, and style_weight=100 went on unsaid with the checkpoint's."""
        fields = {f.name for f in dataclasses.fields(self)}
        changed = [f"{name}={value!r} (checkpoint: {getattr(self, name)!r})" for name, value in overrides.items()
                   if name in fields and _differs(value, getattr(self, name))]
        if changed:
            raise OptionError(f"{', '.join(changed)}: a resumed run goes on with the options in its checkpoint {path}; "
                              f"drop {'it' if len(changed) == 1 else 'them'}, or start a new run with "
                              f"stylegram.prepare_{self.kind}")

    @classmethod
    def restore(cls: type[O], stored: dict, path: str | os.PathLike, overrides: dict | None = None) -> O:
        """Options read back from a checkpoint; one written by another kind of run is named, not a TypeError;
        ``overrides``, what a resume was given besides, refused where they differ (check_overrides)."""
        saved = dict(stored)
        kind = saved.pop("kind", cls.kind)  # checkpoints from before the kind was stored: the fields tell
        unknown = set(saved) - {f.name for f in dataclasses.fields(cls)}
        if kind != cls.kind:
            raise OptionError(f"checkpoint {path} was written by a {kind} run, not by a {cls.kind} run; resume it "
                              f"with 'stylegram {kind}', the inputs and -o of that run, and --resume {path} (in "
                              f"Python: stylegram.resume_{kind})")
        if unknown:
            raise OptionError(f"checkpoint {path} was written by another kind of run (options {_few(unknown)}), "
                              f"not by a {cls.kind} run")
        restored = cls(**saved)
        restored.check_overrides(overrides or {}, path)
        return restored


def _few(names: set[str]) -> str:
    """Up to three names, then how many more."""
    shown = sorted(names)[:3]
    more = len(names) - len(shown)
    return ", ".join(shown) + (f" and {more} more" if more else "")


def whole_number(value: object) -> int | None:
    """``value`` as an int when it is a whole real number (64, 64.0, a numpy integer; not True or NaN), else None."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool) and float(value).is_integer():
        return int(value)
    return None


def _differs(value: Any, default: Any) -> bool:
    """Whether an option is set away from its default; an array or tensor given (masks, channels) is (its ``!=`` is
    elementwise: 'the truth value of an array is ambiguous')."""
    if hasattr(value, "shape") or hasattr(default, "shape"):
        return value is not default
    return bool(value != default)


# Text options that are also given as what they are written from (_text): names or weights as a list, or a dict of
# NAME: WEIGHT pairs ('relu3_1:0.5'); iteration counts as a number or a list of them, one per scale.
Listed = Union[str, Sequence[Union[str, float]], Mapping[str, float]]
Counts = Union[str, int, Sequence[int]]
_TEXT = (Listed, Optional[Listed], Counts, Optional[Counts])


def _typed(name: str, value: Any, hint: Any) -> Any:
    """``value`` if it fits an int, float or bool field (a whole float becomes an int); other fields as they are."""
    if hint in _TEXT:
        return None if value is None else _text(name, value)
    choices = typing.get_args(hint) or (hint,)
    kinds = [k for k in choices if k is not type(None)]
    if len(kinds) != 1 or (value is None and len(kinds) < len(choices)):
        return value  # not a one-type field, or an optional one left unset
    kind = kinds[0]
    number = isinstance(value, numbers.Real) and not isinstance(value, bool)
    if kind is bool and not isinstance(value, bool):
        raise OptionError(f"{flag(name)} must be True or False, got {value!r}")
    if kind is int:
        if (whole := whole_number(value)) is None:
            raise OptionError(f"{flag(name)} must be a whole number, got {value!r}")
        return whole
    if kind is float:
        if not number:
            raise OptionError(f"{flag(name)} must be a number, got {value!r}")
        return float(value)
    if kind is str:
        return _text(name, value)
    return value


def _text(name: str, value: Any) -> str:
    """A text option as the command line would have it: a list or tuple joined by commas (['relu1_1', 'relu2_1'] is
    'relu1_1,relu2_1'), a dict of weights as NAME:WEIGHT pairs ({'relu3_1': 0.5} is 'relu3_1:0.5'), a path written
    out; other values as they are (a Statistic object, a count of iterations)."""
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):  # style_layers={...} raised AttributeError
        if not all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in value.values()):
            raise OptionError(f"{flag(name)} takes a weight (a number) for each name; got {value!r}")
        return ",".join(f"{k}:{float(v):g}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        if not all(isinstance(v, (str, numbers.Real)) for v in value):
            raise OptionError(f"{flag(name)} takes names or numbers, as text or a list of them; got {value!r}")
        return ",".join(str(v) for v in value)
    return os.fspath(value) if isinstance(value, os.PathLike) else value
