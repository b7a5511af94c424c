"""Consumers of the optimization loop's Progress records: progress bar, periodic saves, loss log, Ctrl-C."""

from __future__ import annotations

import csv
import io
import os
import signal
import sys
from contextlib import contextmanager
from pathlib import Path

import torch

from ..errors import Terminated, interrupted_status
from ..files import write_bytes
from ..images import save_image
from ..optimize import NOT_TERMS, Problem, Progress, State


def numbered_path(folder: Path, iteration: int, suffix: str = ".png") -> Path:
    """The file of a periodic save: FOLDER/iter_000050.png."""
    return folder / f"iter_{iteration:06d}{suffix}"


def write_log(state: State, path: str | os.PathLike, problem: Problem) -> None:
    """Write the loss history as CSV, atomically: iteration, the stage as progress displays name it ('scale 2 of 2,
    pixel polish'), its width and height, one column per term, total. Each row measures the picture its iteration
    began from; after a stage's last, a row of the stage's name and ', end' measures the picture it ended with (the
    last such row: the picture written), at the same iteration."""
    history = state.history
    columns = sorted({k for row in history for k in row} - set(NOT_TERMS))
    sizes = problem.sizes()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["iteration", "stage", "width", "height", *columns, "total"])

    def write(iteration: int, scale: int, losses: dict, stage: str) -> None:
        values = [losses.get(c, "") for c in columns]
        height, width = sizes[scale]
        writer.writerow([iteration, stage, width, height, *values, sum(v for v in values if v != "")])

    for n, row in enumerate(history):
        scale = row["scale"]
        write(row["iteration"], scale, row, problem.stage_name(scale))
        if scale in state.ends and (n + 1 == len(history) or history[n + 1]["scale"] != scale):
            write(row["iteration"], scale, state.ends[scale], f"{problem.stage_name(scale)}, end")
    write_bytes(Path(path), buffer.getvalue().encode())


class StopFlag:
    """Set by the first Ctrl-C so the loop can stop cleanly between iterations; a second Ctrl-C aborts."""

    def __init__(self) -> None:
        self.requested = False
        self.signum: int | None = None  # the signal that asked: SIGINT (Ctrl-C) or SIGTERM

    @property
    def status(self) -> int:
        """The exit status of a run it stopped: 130 after Ctrl-C, 143 after SIGTERM."""
        return interrupted_status(self.signum)

    def _handler(self, signum, frame) -> None:
        if self.requested:
            raise Terminated if signum == signal.SIGTERM else KeyboardInterrupt
        self.requested, self.signum = True, signum
        term = signum == signal.SIGTERM  # its message said "Ctrl-C again", though no Ctrl-C had been given
        why, again = ("terminated (SIGTERM): ", "a second SIGTERM or Ctrl-C") if term else ("", "Ctrl-C again")
        print(f"\nstylegram: {why}stopping after this iteration ({again} to abort at once)", file=sys.stderr)


@contextmanager
def handling(handler, *signals: int):
    """``handler`` for ``signals`` for the duration of the block (main thread only; elsewhere nothing changes)."""
    try:
        previous = {sig: signal.signal(sig, handler) for sig in signals}
    except ValueError:  # not in the main thread: leave the signals alone
        yield
        return
    try:
        yield
    finally:
        for sig, old in previous.items():
            if old is not None:  # None: a handler set from C, which Python cannot put back
                signal.signal(sig, old)


@contextmanager
def stop_on_interrupt():
    """Install the Ctrl-C handler for the duration of a run (main thread only); SIGTERM asks the same clean stop."""
    flag = StopFlag()
    with handling(flag._handler, signal.SIGINT, signal.SIGTERM):
        yield flag


def save_snapshot(progress: Progress, folder: Path, alpha: torch.Tensor | None = None) -> Path:
    """Save the current image as a numbered file in ``folder`` (with the content's transparency ``alpha``)."""
    return save_image(progress.image(), numbered_path(folder, progress.iteration), alpha=alpha)
