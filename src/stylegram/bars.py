"""Progress bars on stderr: a live bar on a terminal, and whole lines now and then in a log file or pipe.

tqdm redraws its bar in place with carriage returns; written to a file (``stylegram transfer ... 2> log``, nohup, a
batch system) that is one line of thousands of redraws. Off a terminal the same bar prints a plain line at its start
and at each new stage (the text before its first ': ', such as 'scale 2 of 3'), at most one every ``LOG_SECONDS``
in between, and its last state when it closes.
"""

from __future__ import annotations

import re
import sys
import time
from typing import TextIO

from tqdm import tqdm

from .optimize import Progress

LOG_SECONDS = 10.0
_CURSOR_MOVES = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


class LogLines:
    """A file for tqdm that turns its redraws into whole lines: each new stage's first, at most one every
    ``LOG_SECONDS`` in between, and the last."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self._written = ""  # the last line written
        self._pending = ""  # a later state not yet written
        self._at = -float("inf")  # when the last line was written

    def write(self, text: str) -> int:
        """Take one of tqdm's writes: a redraw ('\\r' + state) or, as the bar closes, a newline."""
        state = _CURSOR_MOVES.sub("", text).replace("\r", "").strip()
        if state:
            self._pending = state
        due = time.monotonic() - self._at >= LOG_SECONDS or _stage(self._pending) != _stage(self._written)
        if self._pending and (text.endswith("\n") or due):
            self._write_pending()
        return len(text)

    def flush(self) -> None:
        """Flush the stream below."""
        self.stream.flush()

    def _write_pending(self) -> None:
        if self._pending != self._written:
            self.stream.write(self._pending + "\n")
            self.stream.flush()
            self._written = self._pending
        self._pending, self._at = "", time.monotonic()


def _stage(line: str) -> str:
    """What a bar's line says before its first ': ' (its description), or ''."""
    return line.split(": ", 1)[0] if ": " in line else ""


def on_terminal(stream: TextIO) -> bool:
    """Whether ``stream`` is a terminal that can redraw a bar in place."""
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


def bar(total: int | None, unit: str, quiet: bool, initial: int = 0, name: str | None = None,
        stream: TextIO | None = None, scale: bool = False, counted: bool = True) -> tqdm:
    """A progress bar over ``total`` items (None: unknown), live on a terminal, as log lines elsewhere; ``scale``:
    counts shown as 1.5M rather than 1500000 (bytes); not ``counted``: no count shown until recount gives one (a
    tiled run's whole picture was '0 tiles')."""
    stream = sys.stderr if stream is None else stream
    scaled = {"unit_scale": True, "unit_divisor": 1024} if scale else {}
    uncounted = {} if counted else {"bar_format": "{desc}{elapsed}{postfix}"}
    if on_terminal(stream):
        progress = tqdm(total=total, initial=initial, unit=unit, desc=name if counted else f"{name}: ",
                        disable=quiet, file=stream, dynamic_ncols=True, leave=True, **scaled, **uncounted)
        progress.counted_format = None  # tqdm's own bar, once a total is known
        return progress
    progress = tqdm(total=total, initial=initial, unit=unit, desc=f"{name}: " if name else "", disable=quiet,
                    file=LogLines(stream), leave=True, mininterval=0,
                    **{"bar_format": _log_format(unit, total is not None), **uncounted}, **scaled)
    progress.counted_format = _log_format(unit, True)
    return progress


def _log_format(unit: str, counted: bool) -> str:
    """A log line's tqdm format: '3 tiles, 00:04' with no total, '3/8 tiles (38%), 00:04' with one."""
    units = unit + "s" if len(unit) > 2 else unit  # '2/4 pictures' ('2/4 picture' read wrong); 'it' and 'B' as they are
    count = "{n_fmt}/{total_fmt} " + units + " ({percentage:.0f}%)" if counted else "{n_fmt} " + units
    return "{desc}" + count + ", {elapsed}{postfix}"


def recount(progress: tqdm, done: int, total: int) -> None:
    """Set a bar to ``done`` of ``total``, and redraw it; one opened with no total counts 'n/total' from now on
    (off a terminal it said '1 tiles' of a known 2)."""
    if getattr(progress, "bar_format", None) and progress.total is None:  # a format chosen without one
        progress.bar_format = getattr(progress, "counted_format", _log_format(progress.unit, True))
    progress.total, progress.n = total, done
    progress.refresh()


def describe(progress: Progress, time_left: bool = True) -> str:
    """'256x170 | content 1.23 style 4.56 tv 0.01 | ~41s left' for a progress bar (a dream's 'objective 3.65', what
    it raises, as its closing line says); ``time_left`` False leaves the estimate out (a run's first iteration, which
    also sets the run up: 131 s were guessed for a run of 6)."""
    groups: dict[str, float] = {}
    for name, value in progress.losses.items():
        group = name.split(".")[0]
        if group == "dream":  # its loss is the objective negated: 'dream -3.65 ... -10.8' read as getting worse
            group, value = "objective", -value
        groups[group] = groups.get(group, 0.0) + value
    terms = " ".join(f"{k} {v:.3g}" for k, v in groups.items())
    left = f" | ~{duration(progress.estimated_left)} left" if time_left else ""
    return f"{progress.size[1]}x{progress.size[0]} | {terms}{left}"


def duration(seconds: float) -> str:
    """'41s', '4m 05s', '2h 05m': a time left, read at a glance (12345s was not)."""
    seconds = max(round(seconds), 0)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m {seconds % 60:02d}s"
    minutes = round(seconds / 60)
    return f"{minutes // 60}h {minutes % 60:02d}m"


class Bar:
    """A bar over all iterations of all scales (log lines off a terminal), updated from Progress records."""

    def __init__(self, quiet: bool = False):
        self.quiet = quiet
        self.bar = None  # made at the first record, named by its stage

    def update(self, progress: Progress) -> None:
        first = self.bar is None  # its time left is a guess from the run's setup: not shown
        if first:
            self.bar = bar(progress.total, "it", self.quiet, name=progress.stage)
        self.bar.total = progress.total  # fewer once a stage stops early
        self.bar.n = progress.iteration
        self.bar.set_description(progress.stage, refresh=False)
        self.bar.set_postfix_str(describe(progress, time_left=not first), refresh=False)
        self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
