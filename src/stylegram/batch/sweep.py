"""A sweep's combinations side by side on a Dask cluster: planned (checked) here, each picture made by a worker.

The pictures of a sweep do not depend on each other, so a cluster makes as many at once as it has worker threads.
A Gatys run gains little from a second thread at sweep sizes (1.4x at 200 px on two cores), so two single-threaded
workers make a sweep faster than one two-threaded process (benchmarks/sweep_speed.py); more cores gain more. A picture
an earlier sweep left in the cells folder, or one that repeats another combination, is not sent.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

from .. import gatys, images, memory
from ..errors import OptionError, StylegramError
from ..job import Job, Result
from ..sweep_folder import CellFolder
from ..sweeps import Cell, Planned, repeated, values
from . import tasks
from .cluster import distributed
from .runner import finished, one_line, threads_each, window_for
from .steps import Running, StopSignal


STOP_WAIT_SECONDS = 60.0  # after Ctrl-C, how long the running pictures have to hand back what they have made


def run_on_cluster(client, planned: Sequence[Planned], folder: CellFolder | None = None,
                   on_cell: Callable[[Cell], None] | None = None, running: Running | None = None) -> list[Cell]:
    """The planned combinations made on ``client``'s workers, as many at once as it has threads; each picture written
    to ``folder`` as it comes and handed to ``on_cell`` (in the order they end); ``running`` shows how far the
    running ones have got. Returns the cells in the combinations' order. A picture that fails ends the sweep with a
    StylegramError naming it; the pictures made before are in ``folder`` and have been handed to ``on_cell``.
    Ctrl-C asks the running pictures to stop where they are: they are written and handed on as cut short (as a sweep
    in one process keeps the picture it was making), then the KeyboardInterrupt goes on up; a second Ctrl-C gives
    them up."""
    made: dict[int, Cell] = {}
    todo = []
    for number, one in enumerate(planned):
        if one.made is not None:
            made[number] = _handed(Cell(one.changes, one.made, reused=True, number=number), on_cell)
        elif one.same_as is None:
            todo.append(number)
    threads, stop, flight = threads_each(client, len(todo)), StopSignal(client), {}

    def take(k: int, future) -> None:
        number = todo[k]
        if running is not None:
            running.ended(number)
        cell = _answered(planned[number], number, future, folder)
        if cell is not None:
            made[number] = _handed(cell, on_cell)

    try:
        payloads = [_payload(planned[n], threads, running.reporting(n, values(planned[n].changes)) if running
                             else None, stop.name) for n in todo]
        for k, future in finished(client, _make, payloads, window_for(client), flight):
            take(k, future)
    except KeyboardInterrupt:
        _kept_on_stop(stop, flight, take, running)
        raise
    finally:
        stop.close()
    for number, one in enumerate(planned):  # a repeat shows the picture of the combination it repeats
        if one.same_as is not None and one.same_as in made:
            made[number] = _handed(repeated(made[one.same_as], one, number), on_cell)
    return [made[n] for n in sorted(made)]


def _answered(one: Planned, number: int, future, folder: CellFolder | None) -> Cell | None:
    """The cell of a finished task, its picture written to ``folder``; None for one a stop kept from starting."""
    try:
        answer = future.result()
        pixels = answer.checked()
    except Exception as err:
        raise StylegramError(f"{one_line(err)} (in the run with {values(one.changes)})") from None
    if pixels is None:
        return None
    content = (one.inputs or {}).get("content")  # its transparency, which the cells folder's PNG keeps
    alpha = images.load_alpha(content) if isinstance(content, str) else None
    cell = Cell(one.changes, Result(images.to_tensor(pixels), [], one.options, answer.seconds, alpha), answer.stopped,
                number=number)
    if folder is not None:
        folder.keep(cell.slug, one.made_of, cell.result, finished=not answer.stopped)
    return cell


def _kept_on_stop(stop: StopSignal, flight: dict, take: Callable[[int, Any], None], running: Running | None) -> None:
    """After Ctrl-C: ask the tasks in flight to stop, and take the pictures they had got to (those that fail, or do
    not answer within STOP_WAIT_SECONDS, are given up)."""
    stop.set()
    if running is not None:
        running.stopping()
    numbered = {future.key: k for k, future in flight.values()}
    try:
        for future in distributed().as_completed([future for _, future in flight.values()], timeout=STOP_WAIT_SECONDS):
            try:
                take(numbered[future.key], future)
            except StylegramError:
                pass  # a picture that failed as it stopped: the sweep ends anyway
    except TimeoutError:
        pass


def check_side_by_side(planned: Sequence[Planned], workers: int, limit: int | None = None) -> None:
    """Before a local cluster starts: refuse ``workers`` that would make more pictures at once than memory holds
    (``limit`` bytes, default what is free), each worker needing the estimate of the largest; name the most that fit."""
    needs = [_need(one.job) for one in planned if one.job is not None and one.made is None]
    at_once = min(workers, len(needs))
    if at_once < 2:
        return  # one at a time: each was checked when planned
    free = memory.available_memory() if limit is None else limit
    if max(needs) * at_once > free:
        fits = max(1, free // max(needs))
        room = (f"only {memory.gib(free)} GiB is free" if limit is None
                else f"--max-memory allows {memory.gib(free)} GiB")
        raise OptionError(f"{at_once} pictures at once need about {memory.gib(max(needs) * at_once)} GiB "
                          f"({memory.gib(max(needs))} GiB each) but {room}; use --workers {fits}, or a smaller --size")


def _need(job: Job) -> int:
    """The peak bytes of ``job``'s run at its finest scale (memory.estimate), transfer or texture."""
    problem = job.problem
    layers = getattr(problem, "ordered", None) or [*problem.content_layers, *problem.style_layers]
    transfer = isinstance(problem, gatys.TransferProblem)  # measured, as prepare checks it (a texture's not measured)
    factor = problem.memory_factor() if transfer else memory.ACTIVATION_FACTOR
    return memory.estimate(problem.backbone, list(layers), problem.sizes()[-1], getattr(job.options, "history", 100),
                           factor=factor)


def _handed(cell: Cell, on_cell: Callable[[Cell], None] | None) -> Cell:
    if on_cell is not None:
        on_cell(cell)
    return cell


def _payload(one: Planned, threads: int, reporting, stop: str) -> tuple:
    """The task and its arguments that make ``one``'s picture on a worker: inputs by name, every option, and the
    StopSignal it heeds."""
    inputs, options = one.inputs or {}, dataclasses.asdict(one.options)
    if _held(inputs) or _held(options):
        raise OptionError("a sweep on a cluster gives its workers the images and options by name: give the images "
                          "as files or sample:NAME (the workers read them at the same paths), not as arrays")
    if isinstance(one.options, gatys.TransferOptions):
        return tasks.stylize, (inputs["content"], _listed(inputs["styles"]), options, None, threads, reporting, stop)
    return tasks.synthesize, (_listed(inputs["examples"]), options, threads, reporting, stop)


def _make(task: Callable[..., tasks.Stylized], arguments: tuple) -> tasks.Stylized:
    """Run ``task(*arguments)`` on a worker (one function for ``finished`` to send, whichever the task)."""
    return task(*arguments)


def _held(value: Any) -> bool:
    """Whether ``value`` holds an image in memory (a tensor, array or PIL image): a task cannot be sent it by name."""
    if isinstance(value, dict):
        return any(_held(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_held(v) for v in value)
    return not isinstance(value, (str, int, float, bool, type(None)))


def _listed(value: Any) -> list:
    return list(value) if isinstance(value, (list, tuple)) else [value]
