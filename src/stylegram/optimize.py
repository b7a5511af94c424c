"""The one optimization loop: image-space descent over scales, yielding Progress records.

Transfer, texture synthesis and deep dream are configurations of this loop (a Problem), not copies of it.
The loop owns the optimizer, the coarse-to-fine schedule, early stopping, checkpoints and NaN checks;
consumers (progress bar, periodic saver, web page) read the Progress records it yields.
"""

from __future__ import annotations

import hashlib
import io
import math
import os
import re
import time
import zipfile
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

from .errors import OptionError, StylegramError, check_choice, check_number, count, warn
from .files import write_bytes
from .lbfgs import LBFGS
from .params import Parameterization, pixels

Terms = Callable[[torch.Tensor], dict[str, torch.Tensor]]
OPTIMIZERS = ("lbfgs", "adam", "sgd-normalized")
PICTURE_OPTIMIZERS = ("lbfgs", "adam")  # a transfer's and a texture's; sgd-normalized is deep dream's
MAX_LR = 1e6  # the image lives in [0, 1]; larger steps only overflow (Adam's float32 did, in a traceback)


class Problem:
    """What the loop needs to know about a task; subclasses implement the first three methods.

    The rest have defaults that suit most tasks: the output is the optimized image, moving to a finer
    scale is a plain resize, the optimizer changes pixels, and the terms draw no random numbers.
    """

    generator: torch.Generator | None = None
    """A generator the terms draw from (e.g. random transforms); the loop seeds it from the run's seed and
    keeps its state in checkpoints, so the same seed gives the same run, resumed or not."""

    def sizes(self) -> list[tuple[int, int]]:
        """Image sizes (H, W) of the scales, coarse to fine."""
        raise NotImplementedError

    def terms_at(self, size: tuple[int, int]) -> Terms:
        """The weighted loss terms for images of this size (targets prepared once, here)."""
        raise NotImplementedError

    def initial_image(self, size: tuple[int, int], generator: torch.Generator) -> torch.Tensor:
        """The starting image (1, 3, H, W) at the first scale."""
        raise NotImplementedError

    def finish(self, image: torch.Tensor) -> torch.Tensor:
        """Turn the optimized image into the output (e.g. put the content's colours back)."""
        return image

    def rescale(self, image: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
        """Carry the result of one scale to the next one's size."""
        return resize(image, size)

    def parameterize(self, image: torch.Tensor, saved: list[torch.Tensor] | None) -> Parameterization:
        """What the optimizer changes, built from a scale's starting image (or ``saved`` raw parameters)."""
        return pixels(image, saved)

    def inputs(self) -> dict[str, torch.Tensor]:
        """The images the run depends on, by name ("content", "style 1"): a resumed run must be given the same."""
        return {}

    def stage_name(self, index: int) -> str:
        """How progress displays name the stage ``index`` of ``sizes()``: 'scale 2 of 3'."""
        return f"scale {index + 1} of {len(self.sizes())}"

    def chosen(self) -> str:
        """What the run chose for itself on the way, for the line that reports it ('' for nothing): a transfer's
        --init auto, which start it took."""
        return ""

    def notes(self, image: torch.Tensor, seed: int, lr: float) -> list[str]:
        """What is measured on the finished ``image`` for the Result's ``notes`` (a dream's gains); none here."""
        return []


@dataclass
class Schedule:
    """How long to run at each scale and when to stop early."""

    iterations: list[int]
    optimizer: str = "lbfgs"  # lbfgs | adam | sgd-normalized
    lr: float | None = None  # None: 1.0 for L-BFGS, 0.02 for Adam, 0.01 for sgd-normalized
    history: int = 100  # L-BFGS memory
    patience: int = 20  # early stop: iterations over which the loss must improve ...
    tolerance: float = 1e-3  # ... by at least this fraction; 0 disables early stopping
    stage_lr: dict[int, float] = field(default_factory=dict)  # stages whose step size is another than lr's

    def __post_init__(self) -> None:
        check_choice("--optimizer", self.optimizer, OPTIMIZERS)
        if any(n < 0 for n in self.iterations):
            raise OptionError(f"--iterations must not be negative, got {self.iterations}")
        if self.history < 1:
            raise OptionError(f"the L-BFGS history must be at least 1, got {self.history}")
        check_number("--tolerance", self.tolerance)
        if self.patience < 1:
            raise OptionError(f"--patience must be at least 1 iteration, got {self.patience}")
        if self.lr is not None and not 0 < self.lr <= MAX_LR:  # also refuses NaN
            raise OptionError(f"--lr must be a positive step size of at most {MAX_LR:g}, got {self.lr}")

    def most_pairs(self) -> int:
        """The most curvature pairs L-BFGS holds at once (memory.estimate's ``history``): its history, fewer where no
        scale runs that many iterations, none for another optimizer."""
        return min(self.history, max(self.iterations, default=0)) if self.optimizer == "lbfgs" else 0


ADAM_LR_SAFE = 0.1  # Adam's --lr above this scatters a picture: measured 2026-12-07 on chelsea/swirls at 128 px,
# 30 iterations: 0.05 and 0.1 fine, 0.2 a saturated white blob over the eye, 0.5 and 1 black and white blobs


def warn_large_adam_step(schedule: Schedule) -> None:
    """Warn of an Adam step size that moves the picture by much of its 0..1 range a step (a classic tool's learning
    rate, for pixels in 0..255, taken as it was: --lr 1 gave black and white blobs and its loss still fell)."""
    if schedule.optimizer == "adam" and schedule.lr is not None and schedule.lr > ADAM_LR_SAFE:
        warn(f"--lr {schedule.lr:g} with --optimizer adam moves every value of the picture by about {schedule.lr:g} a "
             f"step, of its 0..1 range: above {ADAM_LR_SAFE:g} it saturates into blobs; give at most {ADAM_LR_SAFE:g} "
             f"(Adam's default is {DEFAULT_LR['adam']:g}; the classic tools' learning rates were for pixels in 0..255, "
             "so their 10 is 0.04 here)")


def warn_no_steps(iterations: list[int], spec: object, start: str) -> None:
    """Warn where --iterations takes no step at any scale: the output is then ``start`` itself ("the start
    (--init content)"), written as if optimized (a sweep may show it on purpose, so it is not refused)."""
    if iterations and not any(iterations):
        warn(f"--iterations {spec} takes no step, so the output is {start} unchanged; give a positive count to "
             "optimize it")


NOT_TERMS = ("iteration", "scale")  # a history record's keys that are not loss terms


@dataclass
class Progress:
    """One iteration's report; ``image()`` returns a copy of the current image on request."""

    iteration: int  # counted over all scales, from 1
    scale: int  # index of the stage in the problem's sizes(), from 0: a pixel polish is a stage of its own
    stage: str  # the problem's name for that stage, for displays ("scale 2 of 2", "scale 2 of 2, pixel polish")
    size: tuple[int, int]
    step: int  # iteration within this stage (a scale, or its pixel polish), from 1
    losses: dict[str, float]
    elapsed: float
    estimated_left: float
    image: Callable[[], torch.Tensor] = field(repr=False)
    total: int = 0  # the iterations run so far plus those the schedule still plans: a stage stopped early drops
    # out, so a bar's total shrinks to what will run (a 100000-iteration run that settles at 445 no longer ends at
    # 485 of 100000)

    @property
    def loss(self) -> float:
        return sum(self.losses.values())

    def record(self) -> dict:
        """This report as plain numbers (``size`` as [width, height]): what the web page's events and a video frame's
        steps carry."""
        return {"iteration": self.iteration, "total": self.total, "scale": self.scale, "stage": self.stage,
                "step": self.step, "size": [self.size[1], self.size[0]], "losses": dict(self.losses),
                "loss": self.loss, "elapsed": self.elapsed, "estimated_left": self.estimated_left}


class NonFiniteLoss(StylegramError):
    """The loss became NaN or infinite; the last good image is kept in ``image``."""

    def __init__(self, message: str, image: torch.Tensor):
        super().__init__(message)
        self.image = image


@dataclass
class State:
    """Everything needed to continue a run bit-identically: position, image, optimizer and RNG."""

    scale: int = 0
    step: int = 0
    iteration: int = 0
    param: torch.Tensor | None = None  # the carried image (for pixels: the raw, unclamped pixels)
    saved: list[torch.Tensor] | None = None  # raw parameters of a non-pixel parameterization at this scale
    optimizer_state: dict | None = None
    rng: torch.Tensor | None = None
    problem_rng: torch.Tensor | None = None  # state of the problem's own generator, if it has one
    best: float = math.inf
    since_best: int = 0
    elapsed: float = 0.0
    history: list[dict] = field(default_factory=list)
    ends: dict[int, dict[str, float]] = field(default_factory=dict)  # scale -> the terms of the picture it ended with
    inputs: dict[str, str] = field(default_factory=dict)  # digests of the problem's input images (fingerprint)
    start: str = ""  # what --init auto started from (starts.Starts), which a resumed run says again

    def save(self, path: str | os.PathLike, options: dict) -> None:
        """Write a checkpoint atomically (temporary file, then rename)."""
        write_checkpoint(path, {**self.__dict__, "options": options})

    @classmethod
    def load(cls, path: str | os.PathLike) -> tuple[State, dict]:
        """Read a checkpoint; returns the state and the options it was made with."""
        payload = read_checkpoint(path)
        if payload.get("kind") == "transfer in tiles":  # stylegram.tiles.KIND
            raise OptionError(f"checkpoint {path} was written by a run in tiles; resume it with --tile "
                              f"{payload.get('tile')}")
        try:
            options = payload.pop("options")
            payload.pop("torch_rng", None)  # older checkpoints set torch's global generator, which no step draws from
            return cls(**payload), options
        except Exception as err:
            raise OptionError(f"checkpoint {path} could not be read: {_why_unreadable(err)}; "
                              "start without --resume") from None


def write_checkpoint(path: str | os.PathLike, payload: dict) -> None:
    """Write a checkpoint's contents (numbers, tensors, lists and dicts) atomically: temporary file, then rename;
    refused under a picture's or video's name (job.checkpoint('photo.png') overwrote the run's own content) and, by
    the write itself, on a folder."""
    check_checkpoint_name(path)
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    write_bytes(path, buffer.getvalue())


def check_checkpoint_name(path: str | os.PathLike, what: str = "checkpoint") -> None:
    """Refuse a checkpoint named as a picture or video, which writing it would overwrite with a zip archive; ``what``
    names it in the message (the command line: --checkpoint)."""
    check_not_a_picture(path, what, "a checkpoint", "run.ckpt")


def check_not_a_picture(path: str | os.PathLike, what: str, kind: str, example: str) -> None:
    """Refuse a file that is not a picture (``kind``: 'a checkpoint') named as one (a typo of -o's name overwrote a
    picture there); ``what`` names the option, ``example`` a name to give instead."""
    from .images import IMAGE_EXTENSIONS, VIDEO_EXTENSIONS

    suffix = os.path.splitext(str(path))[1].lower()
    if suffix in (*IMAGE_EXTENSIONS, *VIDEO_EXTENSIONS):
        raise OptionError(f"{what} {path} is named as a picture ({suffix}), and {kind} is not one: give a "
                          f"name such as {example}")


def read_checkpoint(path: str | os.PathLike) -> dict:
    """What a checkpoint file holds (numbers, tensors, lists and dicts: it never runs code), or an OptionError saying
    why it cannot be read."""
    try:
        _check_whole(path)
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise OptionError(f"checkpoint {path} does not exist") from None
    except OptionError:
        raise
    except Exception as err:
        raise OptionError(f"checkpoint {path} could not be read: {_why_unreadable(err)}; "
                          "start without --resume") from None
    if not isinstance(payload, dict):
        raise OptionError(f"checkpoint {path} could not be read: it is not a checkpoint that stylegram wrote; start "
                          "without --resume")
    return payload


def _check_whole(path: str | os.PathLike) -> None:
    """Refuse a checkpoint (a zip archive, as torch.save writes) cut short or with a part that fails its checksum,
    which torch.load reads without a word; a file that is no zip archive is left to torch.load to name."""
    try:
        with zipfile.ZipFile(path) as archive:
            damaged = archive.testzip()
    except zipfile.BadZipFile:
        with open(path, "rb") as file:
            begins_as_one = file.read(4) == b"PK\x03\x04"
        if begins_as_one:
            raise OptionError(f"checkpoint {path} could not be read: its end is missing, so it was cut short or "
                              "written over there (its beginning is there); start without --resume") from None
        return
    if damaged is not None:
        raise OptionError(f"checkpoint {path} is damaged: its part {damaged} fails its checksum (a disk or copy "
                          "error); start without --resume")


def _why_unreadable(err: Exception) -> str:
    """One line for a checkpoint that does not load (torch's own message on a refused pickle runs to a page)."""
    if isinstance(err, EOFError):
        return "it is empty or cut short"
    if isinstance(err, IsADirectoryError):
        return "it is a folder"
    if "Unsupported global" in str(err):
        return "it holds pickled Python objects, which stylegram never loads (checkpoints hold only numbers)"
    return "it is not a checkpoint that stylegram wrote"


class NormalizedSGD(torch.optim.Optimizer):
    """Gradient steps of a fixed mean size: p -= lr * g / mean|g| (per tensor), the original deep dream's step."""

    def __init__(self, params: list[torch.Tensor], lr: float = 0.01):
        super().__init__(params, {"lr": lr})

    @torch.no_grad()
    def step(self, closure: Callable[[], torch.Tensor] | None = None) -> torch.Tensor | None:
        with torch.enable_grad():
            loss = closure() if closure is not None else None
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    p.sub_(group["lr"] * p.grad / p.grad.abs().mean().clamp_min(1e-12))
        return loss


def digests(images: dict[str, torch.Tensor]) -> dict[str, str]:
    """A short digest of each image, by name, to tell a resumed run given other images."""
    return {name: hashlib.sha256(image.detach().float().contiguous().numpy()).hexdigest()[:16]  # its buffer, no copy
            for name, image in images.items()}


def fingerprint(problem: Problem) -> dict[str, str]:
    """The digests of the problem's input images."""
    return digests(problem.inputs())


# Inputs that checkpoints record only since a later version (deepdream's objective): one without them goes on.
RECORDED_LATER: set[str] = set()


def check_digests(recorded: dict[str, str], now: dict[str, str]) -> None:
    """Refuse to go on with other images than those a checkpoint ``recorded`` (old checkpoints record none)."""
    changed = [name for name in sorted({*recorded, *now}) if recorded.get(name) != now.get(name)
               and (name in recorded or name not in RECORDED_LATER)]
    if recorded and changed:
        raise OptionError(f"the inputs differ from the run that wrote the checkpoint ({', '.join(changed)}); give the "
                          "same ones, or start without --resume")


def check_image_count(state: State, saved: dict, noun: str, given: int) -> None:
    """Refuse to resume with another number of ``noun`` images ('style', 'example') than the checkpoint (its state,
    and the options ``saved`` with it) recorded, before options are checked against them: one example too few was
    answered 'blend has 2 weights for 1 example'. Not with label maps, which record one per label colour and image."""
    recorded = sum(re.fullmatch(rf"{noun} \d+", name) is not None for name in state.inputs)
    if recorded and recorded != given and saved.get("labels") is None:
        raise OptionError(f"the checkpoint was made from {count(recorded, noun + ' image')} and {given} "
                          f"{'was' if given == 1 else 'were'} given; give the same ones in the same order, or start "
                          "without --resume")


def check_same_inputs(state: State, problem: Problem) -> None:
    """Refuse to resume a run with other images than the ones it started with; the state records them from now."""
    now = fingerprint(problem)
    check_digests(state.inputs, now)
    state.inputs = now


DEFAULT_LR = {"adam": 0.02, "sgd-normalized": 0.01, "lbfgs": 1.0}  # --lr not given


def _make_optimizer(schedule: Schedule, params: list[torch.Tensor], stage: int) -> torch.optim.Optimizer | LBFGS:
    lr = schedule.stage_lr.get(stage, schedule.lr) or DEFAULT_LR[schedule.optimizer]
    if schedule.optimizer == "adam":
        return torch.optim.Adam(params, lr=lr)
    if schedule.optimizer == "sgd-normalized":
        return NormalizedSGD(params, lr=lr)
    return LBFGS(params, lr=lr, history=schedule.history)


def fit_long_side(shape: tuple[int, int], side: int) -> tuple[int, int]:
    """(H, W) with the aspect of ``shape`` = (H, W) and a long side of ``side`` px (each at least 1)."""
    h, w = shape
    return max(1, round(h * side / max(h, w))), max(1, round(w * side / max(h, w)))


MAX_STYLE_ASPECT = 2.0  # a style is sized to the output's long side, at most this many times its short side


def style_reference(size: tuple[int, int]) -> float:
    """The side of an output of ``size`` (H, W) that --style-scale 1 makes a style's long side: the long side, at
    most MAX_STYLE_ASPECT times the short one (a 480x80 panorama's style was 480 px, its strokes taller than the
    picture)."""
    return min(max(size), MAX_STYLE_ASPECT * min(size))


def style_side(size: tuple[int, int], scale: float) -> int:
    """A style's long side in px beside an output of ``size`` (H, W) at --style-scale ``scale``."""
    return max(1, round(style_reference(size) * scale))


def smallest_scale(side: int, need: int) -> float:
    """The smallest scale, in steps of 0.01, that makes ``side`` px at least ``need`` px (as sizes round)."""
    hundredths = max(1, math.floor(100 * (need - 0.5) / side))
    while round(side * hundredths / 100) < need:
        hundredths += 1
    return hundredths / 100


def resize(image: torch.Tensor, size: tuple[int, int], wrap: bool = False) -> torch.Tensor:
    """Resize a (1, 3, H, W) image to ``size`` (antialiased when shrinking), clamped to [0, 1].

    ``wrap``: treat the image as periodic (a tileable texture), so the edges are resampled across the
    wrap-around border; done exactly by resizing a 3x3 tiling by the same factor and keeping its centre.
    """
    if tuple(image.shape[-2:]) == tuple(size):
        return image
    if wrap:
        (h, w), image = size, image.repeat(1, 1, 3, 3)
        return resize(image, (3 * h, 3 * w))[..., h : 2 * h, w : 2 * w]
    return F.interpolate(image, size=size, mode="bicubic", align_corners=False, antialias=True).clamp(0, 1)


def _converged(state: State, loss: float, schedule: Schedule) -> bool:
    """True when the loss has not improved by `tolerance` (relative) for `patience` iterations."""
    if loss < state.best * (1 - schedule.tolerance):
        state.best, state.since_best = loss, 0
        return False
    state.since_best += 1
    return schedule.tolerance > 0 and state.since_best >= schedule.patience


def run(
    problem: Problem,
    schedule: Schedule,
    *,
    seed: int = 0,
    state: State | None = None,
) -> Iterator[Progress]:
    """Minimize the problem's loss over its scales, yielding a Progress after every iteration.

    The image is kept in [0, 1]: the loss is always evaluated on the parameterization's image (for pixels,
    clamp(param, 0, 1)), the very image that is saved. Pass a ``state`` (from a checkpoint) to continue where
    a run stopped; the generator's ``state`` attribute is not available, so callers that checkpoint keep the
    State they pass in.
    """
    sizes = problem.sizes()
    if len(schedule.iterations) != len(sizes):
        raise OptionError(f"{len(schedule.iterations)} iteration counts given for {len(sizes)} scales")
    state = state if state is not None else State()
    own = problem.generator
    if state.rng is None:
        generator = torch.Generator().manual_seed(seed)
        state.param = problem.initial_image(sizes[0], generator).detach().clone()
        state.rng = generator.get_state()
        if own is not None:
            own.manual_seed(int(torch.randint(2**62, (), generator=generator)))
    elif own is not None and state.problem_rng is not None:
        own.set_state(state.problem_rng)
    started = time.perf_counter() - state.elapsed
    pace: float | None = None  # the latest scale's, after its first iteration (_time_left)
    while state.scale < len(sizes):
        size = sizes[state.scale]
        param = problem.parameterize(problem.rescale(state.param, size), state.saved)
        terms = problem.terms_at(size)
        optimizer = _make_optimizer(schedule, param.params(), state.scale)
        if state.optimizer_state is not None:
            optimizer.load_state_dict(state.optimizer_state)
        pace = (yield from _run_scale(state, schedule, terms, param, optimizer, sizes, started, problem, own, pace)) \
            or pace
        if state.step == 0:  # a scale given no iterations still brings the image to its size
            state.param = param.carry()
        state.scale, state.step, state.optimizer_state, state.saved = state.scale + 1, 0, None, None
        state.best, state.since_best = math.inf, 0


# An iteration costs as much as its pixels and this many more: the same work whatever the size (Python, small kernels).
# Measured 2026-12-06 (AVX512-BF16, 2 threads, a 256 px texture): 0.039, 0.097 and 0.328 s an iteration at 64, 128
# and 256 px fit 0.0196 s + 4.7 us a pixel to 1 %, i.e. 4,170 pixels. Costed by pixels alone, the first of its three
# scales foretold 1.6x the time left (a texture-sweep's first cells: 4 min for a sweep of 67 s).
FIXED_PIXELS = 4096


def iteration_cost(size: tuple[int, int]) -> int:
    """What an iteration at ``size`` costs, in pixels: its own and FIXED_PIXELS."""
    return size[0] * size[1] + FIXED_PIXELS


def _pace(state: State, sizes: list[tuple[int, int]], since: tuple[float, int] | None) -> float | None:
    """Seconds per pixel of cost (iteration_cost) of this scale's iterations after its first, ``since`` (elapsed,
    step) after that one; None before there are any."""
    if since is None or state.step <= since[1]:
        return None
    return (state.elapsed - since[0]) / (iteration_cost(sizes[state.scale]) * (state.step - since[1]))


def _time_left(state: State, schedule: Schedule, sizes: list[tuple[int, int]],
               since: tuple[float, int] | None = None, pace: float | None = None,
               began: tuple[float, int] | None = None) -> float:
    """Seconds left if every remaining iteration runs, costing time in proportion to its pixel count (plus
    FIXED_PIXELS).

    ``since``: (elapsed, step) after the first iteration this scale ran here. Once there are more, the pace is taken
    from them: a scale's first iteration also sets it up (new shapes' kernels, its targets), and on a one-scale run
    (a video frame after the first) the whole run's pace taken from it was some 10x too slow. Until then ``pace``,
    an earlier scale's so measured, if there is one: the whole run's, set-ups and targets counted, overstated a
    scale's first estimate. Without one, the pace of the steps since ``began``, (elapsed, step) as this scale's first
    step began: its set-up before it (the targets: 1.3 s of a 96 px texture's first 1.35) left out, where the run's
    first estimate took it for an iteration's (129 s foretold for 5).
    """
    cost = [iteration_cost(size) for size in sizes]
    done = sum(cost[s] * n for s, n in enumerate(schedule.iterations[: state.scale])) + cost[state.scale] * state.step
    left = cost[state.scale] * (schedule.iterations[state.scale] - state.step)
    left += sum(cost[s] * n for s, n in enumerate(schedule.iterations) if s > state.scale)
    here = _pace(state, sizes, since)
    if here is None and pace is None:
        here = _pace(state, sizes, began)
    if here is not None or pace is not None:
        return (here if here is not None else pace) * left
    return state.elapsed / max(done, 1) * left


def _run_scale(
    state: State, schedule: Schedule, terms: Terms, param: Parameterization, optimizer: torch.optim.Optimizer | LBFGS,
    sizes: list[tuple[int, int]], started: float, problem: Problem, own: torch.Generator | None,
    earlier: float | None,
) -> Generator[Progress, None, float | None]:
    """Iterate at one scale until its iteration budget is spent or the loss stops improving; returns its pace after
    its first iteration (_pace), for the next scale's first estimate, as ``earlier`` is this one's."""
    measured: float | None = None
    size = sizes[state.scale]
    last: dict[str, torch.Tensor] = {}
    first: tuple[float, int] | None = None  # (elapsed, step) after the first iteration run here (_time_left)
    began = (time.perf_counter() - started, state.step)  # as its first step begins, its set-up done (_time_left)

    def closure() -> torch.Tensor:
        optimizer.zero_grad(set_to_none=True)
        parts = terms(param.image())
        loss = sum(parts.values())
        if not torch.isfinite(loss):
            # before any step at this size no step size is to blame (style weight 1e40 was told to lower the
            # learning rate, which the web page has not even got)
            fix = "lower the weights: no step had been taken at this size yet" if not last and state.step == 0 else \
                "lower the learning rate or the weights"
            raise NonFiniteLoss(
                f"the loss became {loss.item()} at iteration {state.iteration + 1}; {fix} (the last good image was kept)",
                (state.param if state.param is not None else param.carry()).clamp(0, 1),
            )
        loss.backward()
        last.clear()
        last.update({k: v.detach() for k, v in parts.items()})
        return loss

    while state.step < schedule.iterations[state.scale]:
        # the image before this step: within a scale the one kept after the last step (the parameterization's
        # image can cost an inverse FFT, so it is not recomputed)
        before = state.param if state.step > 0 else param.carry()
        optimizer.step(closure)
        if not all(torch.isfinite(p).all() for p in param.params()):
            raise NonFiniteLoss(
                f"the image became NaN at iteration {state.iteration + 1}; lower the learning rate or the weights",
                before.clamp(0, 1),
            )
        state.step += 1
        state.iteration += 1
        losses = {k: float(v) for k, v in last.items()}
        state.history.append({"iteration": state.iteration, "scale": state.scale, **losses})
        state.param = param.carry()  # for pixels the raw values, so a resumed run continues exactly
        state.saved = param.saved()
        state.problem_rng = own.get_state() if own is not None else None
        state.optimizer_state = optimizer.state_dict()
        state.elapsed = time.perf_counter() - started
        first = first or (state.elapsed, state.step)
        measured = _pace(state, sizes, first) or measured
        done = _converged(state, sum(losses.values()), schedule)
        yield Progress(
            iteration=state.iteration,
            scale=state.scale,
            stage=problem.stage_name(state.scale),
            size=size,
            step=state.step,
            losses=losses,
            elapsed=state.elapsed,
            estimated_left=_time_left(state, schedule, sizes, first, earlier, began),
            # state.param is a new tensor every step (carry()), so this stays the image of this step
            image=lambda image=state.param: problem.finish(image.clamp(0, 1)),
            total=state.iteration + (0 if done else schedule.iterations[state.scale] - state.step)
                  + sum(schedule.iterations[state.scale + 1:]),
        )
        if done:
            break
    if own is None and state.step > 0:  # a dream's loss is drawn at random
        _measure_end(state, optimizer, terms, param)
    return measured


def _measure_end(state: State, optimizer: torch.optim.Optimizer | LBFGS, terms: Terms, param: Parameterization) -> None:
    """Measure the picture a scale ended with (``state.ends``: each history row measures the picture its step began
    from, so none measured this one), one forward pass; with L-BFGS, judge the last step by it, which no later
    evaluation does (LBFGS.settle): one undone puts the picture and its parameters back where it began, measured
    again."""
    measured: dict[str, float] = {}

    def loss_at() -> float:
        measured.update({name: float(value) for name, value in terms(param.image()).items()})
        return sum(measured.values())

    with torch.no_grad():
        if not isinstance(optimizer, LBFGS):
            loss_at()
        elif not optimizer.settle(loss_at):
            state.param, state.saved = param.carry(), param.saved()
            state.optimizer_state = optimizer.state_dict()
            loss_at()
    state.ends[state.scale] = measured
