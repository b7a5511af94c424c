"""A run in tiles (stylegram.tiles) with each level's tiles made side by side on a Dask cluster.

The tiles of a level do not depend on each other (each starts from the level below, enlarged), so a cluster makes as
many at once as it has worker threads; the client blends them in their order, so a checkpoint still holds the tiles
done up to one, as a run in one process writes it. What it gains needs more cores than this project's machines have:
on two cores two single-threaded workers made 384 px tiles at most 1.19x faster than one two-threaded process (two
tiles of 40 iterations: 11.4 s side by side, 6.8 s each one after the other), and a whole run (chelsea with swirls at
1024 px in tiles of 384, its first run here; benchmarks/tiles_speed.py --workers 2) took 139.0 s against 142.8 s,
1.03x: the first run, the cluster's start and the workers' model loads are not shared out. A cluster of several
machines makes the tiles about that many times faster. The style images go to the workers once (scattered), and each
tile's crops are copies, so a task carries its tile and not its level.
"""

from __future__ import annotations

import dataclasses
from collections import deque
from collections.abc import Callable, Iterator

import torch

from ..tiles import TileMaker, TileWork
from . import tasks
from .runner import window_for


def made_on(client) -> TileMaker:
    """The TileMaker that sends each tile to ``client``'s workers, one torch thread each and enough at once to keep
    every worker thread busy, and hands the tiles back in their order; a stop ends it at the next tile in order,
    the others given up."""
    def make(works: Iterator[tuple[int, TileWork]], stop: Callable[[], bool] | None
             ) -> Iterator[tuple[int, torch.Tensor]]:
        window, shipped = window_for(client), _Shipped(client)
        queue: deque = deque()
        try:
            while True:
                while len(queue) < window and (following := next(works, None)) is not None:
                    number, work = following
                    queue.append((number, client.submit(tasks.make_tile, dataclasses.replace(work, styles=[]),
                                                        shipped(work.styles), 1, pure=False)))
                if not queue or (stop is not None and stop()):
                    return
                number, future = queue.popleft()
                yield number, future.result()
        finally:
            for _, future in queue:
                future.cancel()
    return make


class _Shipped:
    """The style images on the workers, each sent once (a style at its own size is some megabytes, and every tile of
    a run uses the same ones): futures in their place, which the task gets as the images."""

    def __init__(self, client) -> None:
        self._client, self._sent = client, {}

    def __call__(self, styles: list[torch.Tensor]) -> list:
        for style in styles:
            if id(style) not in self._sent:
                self._sent[id(style)] = (style, self._client.scatter(style, broadcast=True))  # style kept: its id too
        return [self._sent[id(style)][1] for style in styles]
