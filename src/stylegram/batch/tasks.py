"""What runs on the workers: one stylization or one chunk of matrices per task, models cached per process.

Each worker process loads a model the first time a task needs it and keeps it (functools.lru_cache at
module level), so a model loads once per worker, not once per image. Every task returns how many times
its process has loaded each model, which lets the client check that. Tasks run on one torch thread by default:
the parallelism is the cluster's (one task per worker thread), and more threads per task only fight over cores;
the client asks for more when fewer tasks than workers run at once.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import socket
import time
import warnings
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from .. import gatys, images, synthesis, tiles
from ..analysis import matrices
from ..backbones import Backbone, load_backbone
from ..errors import StylegramError
from .cluster import usable_cores
from .steps import Reporting, StopSignal, reported


@dataclass(frozen=True)
class Stylized:
    """A task's answer: the output pixels (H x W x 3 uint8) or the user error that prevented them, the
    worker that made it and its model loads. User errors (a corrupt file, a bad option) come back as
    answers rather than exceptions: they are expected, and the workers need not log them as crashes.
    """

    pixels: np.ndarray | None  # None for an error, or a stop asked before the run began
    worker: str  # the worker process that made it: 'host:pid' (pids alone repeat across machines)
    loads: dict[str, int]
    error: str | None = None
    seconds: float = 0.0  # the run's own time on the worker
    stopped: bool = False  # a StopSignal cut the run short (pixels: the picture as it stood) or kept it from starting
    style: float | None = None  # a Gatys run's style loss at its last iteration (a video's frames are compared by it)

    def checked(self) -> np.ndarray:
        """The pixels, or the error raised again as a StylegramError."""
        if self.error is not None:
            raise StylegramError(self.error)
        return self.pixels


_BACKBONE_LOADS: Counter[str] = Counter()


def worker_name() -> str:
    """This worker process as 'host:pid': two machines of a cluster may run processes of one pid."""
    return f"{socket.gethostname()}:{os.getpid()}"


@functools.lru_cache(maxsize=2)
def backbone(name: str, weights: str, options: tuple[tuple[str, str], ...] = ()) -> Backbone:
    """A backbone for Gatys transfer or matrices, built once per worker process."""
    _BACKBONE_LOADS[f"{name}:{weights}:{dict(options)}"] += 1
    return load_backbone(name, weights, **dict(options))


def model_loads() -> dict[str, int]:
    """How many times this process has loaded each model it holds (1 each when the caches work)."""
    loads = dict(_BACKBONE_LOADS)
    feed_forward = gatys.feed_forward_model.cache_info().misses
    if feed_forward:
        loads["feed-forward"] = feed_forward
    return loads


@functools.lru_cache(maxsize=8)
def _style(spec: str, stamp: tuple[int, int] | None) -> torch.Tensor:
    return images.load_input(spec, f"style image {spec}")


def style(spec: str) -> torch.Tensor:
    """A style image, decoded once per worker while the file is unchanged (keyed on mtime and size)."""
    path = Path(spec)
    info = path.stat() if path.is_file() else None
    return _style(spec, (info.st_mtime_ns, info.st_size) if info else None)


def stylize(
    content: str | np.ndarray, styles: Sequence[str], options: dict, init: np.ndarray | None = None, threads: int = 1,
    steps: Reporting | None = None, stop: str | None = None,
) -> Stylized:
    """Stylize a file path or an H x W x 3 uint8 frame with gatys.transfer; ``init`` warm-starts Gatys.

    ``threads``: torch's threads for it, at most this worker's cores (the client counts a cluster's slots, which
    on another machine may be more than its cores); 0: every core this worker may use (for work that runs one
    task at a time, such as a Gatys video's frames, each starting from the one before).
    ``steps``: where and how often a Gatys run reports its iterations as it runs (steps.Reporting), so the client
    can show how far a long frame has got. ``stop``: the name of a StopSignal that ends a Gatys run where it is,
    its picture kept (``stopped``), or keeps it from starting.
    """
    return _answered(lambda: _stylize(content, styles, options, init, steps, stop), threads, stop)


def synthesize(examples: Sequence[str], options: dict, threads: int = 1, steps: Reporting | None = None,
               stop: str | None = None) -> Stylized:
    """A texture from example files (or sample:NAME) with synthesis.prepare_texture; ``threads``, ``steps`` and
    ``stop`` as for ``stylize``."""
    def made() -> tuple[np.ndarray, bool, float | None]:
        opts = synthesis.TextureOptions().replace(**options)
        model = backbone(opts.backbone, opts.weights, (("pooling", opts.pooling),))  # copied there for padding
        return _pixels(*_run(synthesis.prepare_texture(list(examples), opts, model=model), steps, stop))

    return _answered(made, threads, stop)


def _answered(make: Callable[[], tuple[np.ndarray, bool, float | None]], threads: int,
              stop: str | None = None) -> Stylized:
    """``make()``'s pixels on ``threads`` torch threads (0: every usable core), timed, and whether the StopSignal
    ``stop`` cut them short; the user error that stopped it; nothing if that signal was set before it began."""
    if StopSignal.asked(stop):
        return Stylized(None, worker_name(), model_loads(), stopped=True)
    _use_threads(threads)
    start = time.perf_counter()
    try:
        pixels, stopped, style_loss = make()
    except StylegramError as err:
        return Stylized(None, worker_name(), model_loads(), err.flagged)
    return Stylized(pixels, worker_name(), model_loads(), seconds=time.perf_counter() - start, stopped=stopped,
                    style=style_loss)


def _use_threads(threads: int) -> None:
    """Torch's threads for a task: ``threads``, at most this worker's cores (0: all of them)."""
    cores = usable_cores()
    torch.set_num_threads(min(threads, cores) if threads else cores)


def _transfer_model(opts: gatys.TransferOptions) -> Backbone:
    """This worker's network for a Gatys run of ``opts`` (backbone, weights, pooling, padding), built once."""
    return backbone(opts.backbone, opts.weights, tuple(sorted(gatys.backbone_options(opts).items())))


def _run(job, steps: Reporting | None, stop: str | None) -> tuple[gatys.Result, bool]:
    """A job's result, reported and stoppable where asked (steps.reported), and whether a stop cut it short."""
    if steps is not None or stop is not None:
        return reported(job, steps, stop)
    for _ in job:
        pass
    return job.result(), False


def make_tile(work: tiles.TileWork, styles: list[torch.Tensor], threads: int = 1) -> torch.Tensor:
    """One tile of a run in tiles (stylegram.batch.tiles), its ``styles`` sent apart (once for all its tiles), on
    ``threads`` torch threads, with this worker's model."""
    if work.options is None:  # a tile with nothing to do keeps its start
        return work.start
    _use_threads(threads)
    return dataclasses.replace(work, styles=list(styles)).make(_transfer_model(work.options))


def _tile_reports(steps: Reporting | None) -> Callable[[tiles.TileStep], None] | None:
    """A tiled run's steps reported as a run's iterations are (steps.reported): tiles done of all, after its first,
    whole run."""
    if steps is None:
        return None
    from distributed import get_worker

    worker = get_worker()
    return lambda where: worker.log_event(steps.topic, {"task": steps.tag, "iteration": where.done,
                                                         "total": where.count})


def _pixels(result, stopped: bool) -> tuple[np.ndarray, bool, float | None]:
    """A result's 8-bit pixels, whether it was stopped, and its last iteration's style loss (None without one)."""
    terms = [value for name, value in result.final_losses.items() if name.startswith("style")]
    return np.asarray(images.to_image(result.image)), stopped, (sum(terms) if terms else None)


def _stylize(content: str | np.ndarray, styles: Sequence[str], options: dict, init: np.ndarray | None,
             steps: Reporting | None = None, stop: str | None = None) -> tuple[np.ndarray, bool, float | None]:
    options = dict(options)
    source = images.load_input(content, "content", images.STRAIGHT, at_least=gatys.read_side(options.get("size"))) \
        if isinstance(content, str) else _tensor(content)  # a phone's JPEG decoded at a quarter of its size, say
    tile = options.pop("tile", None)  # a picture made in tiles (stylegram.tiles)
    if options.get("size"):
        options["size"] = bounded_side(options["size"], options.get("upscale", False), max(source.shape[-2:]))
    if options.get("method", "gatys") == "gatys":
        options["model"] = _transfer_model(gatys.TransferOptions().replace(**options))
        if init is not None:
            options["init"] = _tensor(init)
    else:
        gatys.feed_forward_model()  # loaded here so that model_loads() counts it
    if tile is not None:
        with warnings.catch_warnings():  # said once for the batch, before the work (stylize._warn_made_whole)
            warnings.simplefilter("ignore", tiles.MadeWhole)
            return _pixels(tiles.transfer_tiled(source, [style(s) for s in styles], tile=tile,
                                                on_step=_tile_reports(steps), **options), False)
    if options.get("method", "gatys") == "gatys":
        return _pixels(*_run(gatys.prepare(source, [style(s) for s in styles], **options), steps, stop))
    return _pixels(gatys.transfer(source, [style(s) for s in styles], **options), False)


def bounded_side(size: int, upscale: bool, own: int) -> int:
    """A batch picture's long side for --size: a bound, so that a picture smaller than it stays as it is, unless
    --upscale (a single transfer refuses such a --size instead)."""
    return size if upscale else min(size, own)


def _tensor(pixels: np.ndarray) -> torch.Tensor:
    return images.to_tensor(np.ascontiguousarray(pixels))


def matrix_chunk(
    chunk: Sequence[torch.Tensor], layers: Sequence[str], spec: tuple, kind: str, batch_size: int
) -> tuple[dict[str, torch.Tensor], int, dict[str, int]]:
    """Per-image matrices of one chunk of images (see analysis.matrices.compute), with the worker's name and model loads."""
    torch.set_num_threads(1)
    out = matrices.compute(list(chunk), layers, backbone(*spec), kind, batch_size=batch_size)
    return out, worker_name(), model_loads()
