"""A Job: one run of the optimization loop as an iterable, with its result and checkpoints."""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from PIL import Image

from . import images, optimize
from .errors import in_python_words, warn


class Interrupted(KeyboardInterrupt):
    """Ctrl-C during Job.run (and so transfer(), texture(), dream()); ``job`` holds the work so far."""

    def __init__(self, job: Job) -> None:
        super().__init__(f"stopped after iteration {job.state.iteration}, the work kept in this exception's job: in a "
                         "notebook sys.last_value.job.result(so_far=True) is the picture so far (a checkpoint of it "
                         "may hold an optimizer stopped mid-step: iterate a prepared job to stop between iterations)")
        self.job = job


@dataclass
class Result:
    """The output image (1, 3, H, W) in [0, 1], the loss history and the options that made it; ``alpha``: the
    content's transparency scaled to the image (1, 1, H, W), which a PNG, TIFF or WebP output keeps, or None."""

    image: torch.Tensor
    history: list[dict]
    options: Any
    seconds: float = 0.0
    alpha: torch.Tensor | None = None
    sizes: list[tuple[int, int]] | None = None  # (H, W) of each stage of the run, where known (diverged)
    notes: list[str] = field(default_factory=list)  # what was measured on the picture: a dream's gains, in words
    tiles: int = 0  # a tiled run's (stylegram.tiles): the tiles refined after the first, whole run of ``history``
    end: dict[str, float] | None = None  # the terms of the picture itself, measured after the last step, where known

    @property
    def final_losses(self) -> dict[str, float]:
        """The loss terms of the picture: measured on it where known (``end``), else its last iteration's (which
        measure the picture that iteration began from); none for a one-pass method."""
        if self.end is not None:
            return dict(self.end)
        last = self.history[-1] if self.history else {}
        return {name: value for name, value in last.items() if name not in optimize.NOT_TERMS}

    def __post_init__(self) -> None:
        """The alpha at the picture's size, as a file gets it (it was the content's: r.image * r.alpha failed)."""
        if self.alpha is not None and tuple(self.alpha.shape[-2:]) != tuple(self.image.shape[-2:]):
            self.alpha = images.resize_tensor(self.alpha.float(), tuple(self.image.shape[-2:]), mode="bilinear")

    def save(self, path: str | os.PathLike, quality: int = 95) -> Path:
        """Write the image atomically; the format follows the extension (with the content's transparency if it
        stores one); ``quality``: a JPEG's or WebP's, 1 to 100."""
        return images.save_image(self.image, path, quality=quality, alpha=self.alpha)

    def to_pil(self) -> Image.Image:
        """The picture as an 8-bit PIL image: RGB, or RGBA with the content's transparency."""
        picture = images.to_image(self.image)
        return picture if self.alpha is None else images.with_alpha(picture, self.alpha)

    def _repr_png_(self) -> bytes:
        """The picture, as a notebook shows a result."""
        buffer = io.BytesIO()
        self.to_pil().save(buffer, format="PNG")
        return buffer.getvalue()

    def __repr__(self) -> str:
        """'Result(transfer, 256x171 px, 110 iterations in 12.3 s, loss 1.234)': the run, not the pixels."""
        height, width = self.image.shape[-2:]
        kind = getattr(self.options, "kind", "") or type(self.options).__name__
        if getattr(self.options, "method", "gatys") != "gatys":  # its one setting, the style's strength, with it
            kind += f" by {self.options.method}, alpha {self.options.alpha:g}"
        if not self.history:  # a one-pass method's, or a picture read back without its run (a sweep's cells)
            return f"Result({kind}, {width}x{height} px, {self.seconds:.1f} s)"
        count = self.history[-1]["iteration"]
        if self.tiles:  # the loss is the first run's, at its size: not this picture's
            return (f"Result({kind}, {width}x{height} px, {count} iteration{'s' * (count != 1)} at the tile size, "
                    f"then {self.tiles} tile{'s' * (self.tiles != 1)} refined, in {self.seconds:.1f} s)")
        return (f"Result({kind}, {width}x{height} px, {count} iteration{'s' * (count != 1)} in {self.seconds:.1f} s, "
                f"loss {sum(self.final_losses.values()):.4g})")

    def diverged(self) -> str:
        """What to say, in keyword words (lr, not --lr), when the run diverged (``divergence``); '' otherwise."""
        return in_python_words(self.divergence())

    def divergence(self) -> str:
        """What the command line says when the last size's last ENDING losses all stand DIVERGED times above the lowest it reached
        (its steps too large: the picture is noise, though finite); '' otherwise. Losses of different sizes are not
        compared: a finer scale's can start far higher (a texture's pool4 term at 128 px was 40 times its 64 px one).
        The stages of one size count together: the pixel polish's first loss was taken for the start, and Adam at
        --lr 10, 7 to 215, was called '2 times higher'; at --lr 0.3 it fell to 6.1, blew up to 71 as the polish
        began and ended at 11, noise under twice its start, unwarned."""
        final = [r for r in self.history if self._size_of(r) == self._size_of(self.history[-1])] if self.history else []
        if len(final) < 2:
            return ""
        losses = [loss_of(r) for r in final]
        # the last few, not the last alone: L-BFGS records the loss of a step it then undoes (200 -> 512 as a 96 px
        # run's last iteration, its picture back near 200), while a diverged run stays high
        lowest, ended = min(losses), min(losses[-ENDING:])
        if 0 < lowest * DIVERGED < ended:
            return (f"the loss ended {ended / lowest:.1f} times above the lowest it reached ({lowest:.3g}, then "
                    f"{losses[-1]:.3g} at the end): the optimization diverged and the picture is likely noise; lower "
                    "--lr, or leave it at its default")
        if 0 < losses[0] <= lowest * 1.001 and max(losses) > DIVERGED * lowest:  # L-BFGS undid every step (the same
            # point measured again can differ in the last digits), the last too
            return (f"no step lowered the loss from where this size began ({lowest:.3g}): each went up (to "
                    f"{max(losses):.3g}) and was undone, so the picture is its start; lower --lr, or leave it at its "
                    "default")
        return ""

    def _size_of(self, record: dict) -> object:
        """The size of a history record's stage, or the stage itself where the sizes are not known."""
        stage = record.get("scale")
        return self.sizes[stage] if self.sizes is not None and stage is not None and stage < len(self.sizes) else stage


DIVERGED = 1.5  # last losses this many times the lowest of their scale: the run went the wrong way
ENDING = 3  # how many last losses must all be that high


def loss_of(record: dict) -> float:
    """A history record's loss: the sum of its terms."""
    return sum(value for name, value in record.items() if name not in optimize.NOT_TERMS)


@dataclass
class Job:
    """Iterate it for Progress records, then take ``result()``; ``checkpoint()`` at any iteration boundary."""

    problem: optimize.Problem
    schedule: optimize.Schedule
    options: Any  # a dataclass of options with a ``seed``
    state: optimize.State = field(default_factory=optimize.State)
    alpha: torch.Tensor | None = None  # the content's transparency, for the Result
    _notes: tuple[int, list[str]] | None = field(default=None, init=False, repr=False)  # (iteration, notes())

    def __post_init__(self) -> None:
        optimize.check_same_inputs(self.state, self.problem)

    def __repr__(self) -> str:
        """'Job(transfer, 2 scales to 256x171 px, at iteration 30 of 110)': the run, not its tensors."""
        sizes = list(dict.fromkeys(self.problem.sizes()))  # a pixel polish is a stage at its scale's size
        height, width = sizes[-1]
        total = sum(self.schedule.iterations)
        kind = getattr(self.options, "kind", "") or type(self.options).__name__
        return (f"Job({kind}, {len(sizes)} scale{'s' * (len(sizes) != 1)} to {width}x{height} px, at iteration "
                f"{self.state.iteration} of {total})")

    def __iter__(self) -> Iterator[optimize.Progress]:
        return optimize.run(self.problem, self.schedule, seed=self.options.seed, state=self.state)

    def run(self, progress: bool = False) -> Result:
        """Iterate to the end and return the result; ``progress``: the command line's bar on stderr (stage,
        iteration, loss terms, time left; in a notebook too)."""
        from .bars import Bar

        shown = Bar(quiet=not progress)  # as the command line's --quiet does
        try:
            for record in self:
                shown.update(record)
        except KeyboardInterrupt as err:  # texture() lost the work of a Ctrl-C'ed run: the exception now holds it
            if type(err) is not KeyboardInterrupt:  # already one (a job within a job), or SIGTERM's (errors.Terminated)
                raise
            raise Interrupted(self) from err
        finally:
            shown.close()
        result = self.result()
        if warning := result.divergence():  # as the command line warns of it (it iterates, not run())
            warn(warning)
        return result

    def until(self, stop: Callable[[], bool], on_progress: Callable[[optimize.Progress], object] | None = None
              ) -> tuple[Result, bool]:
        """Iterate, handing each iteration to ``on_progress``, until the end or until ``stop()`` says so (asked
        before the first iteration and after each): the result, the picture so far where stopped, and whether
        ``stop`` cut it short. The web page's jobs and a sweep's pictures run so."""
        if stop():
            return self.result(so_far=True), True
        for progress in self:
            if on_progress is not None:
                on_progress(progress)
            if stop():
                return self.result(so_far=True), True
        return self.result(), False

    @property
    def finished(self) -> bool:
        """Whether every scale has run (to its count, or stopped early as the loss settled)."""
        return self.state.scale >= len(self.problem.sizes())

    def result(self, so_far: bool = False) -> Result:
        """The current image, finished (e.g. colours restored), with the history so far; of a job not run to its end
        (not iterated yet, stopped, resumed) with a warning, unless ``so_far`` says that picture is the one wanted."""
        if not (so_far or self.finished):  # prepare_texture(...).result() was its noise start, without a word
            warn(f"this job is at iteration {self.state.iteration} of {sum(self.schedule.iterations)}, so its result "
                 "is the picture so far: call job.run() (or iterate the job) to finish it, or job.result(so_far=True) "
                 "to take it as it is")
        result = Result(self._image(), list(self.state.history), self.options,  # a snapshot: a run going on added
                        self.state.elapsed, self.alpha, self.problem.sizes(),  # to its history
                        end=self.state.ends.get(len(self.problem.sizes()) - 1) if self.finished else None)
        if self.finished:  # a dream iterated to its end, then result(), had no notes: run() alone measured them
            result.notes = [in_python_words(note) for note in self.notes()]
        return result

    def notes(self) -> list[str]:
        """What is measured on the picture as it stands, in the command line's words: a dream's gains (its objective
        on the start and on the dream); none for a transfer or a texture. Measured once per iteration reached."""
        if self._notes is None or self._notes[0] != self.state.iteration:
            self._notes = (self.state.iteration, self.problem.notes(self._image(), self.options.seed,
                                                                     self.schedule.lr))
        return self._notes[1]

    def _image(self) -> torch.Tensor:
        """The picture as it stands, finished (e.g. colours restored); the start before any iteration."""
        image = self.state.param
        if image is None:
            image = self.problem.initial_image(self.problem.sizes()[0], torch.Generator().manual_seed(self.options.seed))
        return self.problem.finish(image.clamp(0, 1))

    def checkpoint(self, path: str | os.PathLike) -> None:
        """Save everything needed to resume bit-identically."""
        self.state.save(path, self.options.saved())
