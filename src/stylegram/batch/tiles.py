"""A run in tiles (stylegram.tiles) with each level's tiles made side by side on a Dask cluster.

The tiles of a level do not depend on each other (each starts from the level below, enlarged), so a cluster makes as
many at once as it has worker threads; the client blends them in their order, so a checkpoint still holds the tiles
done up to one, as a run in one process writes it. What it gains needs more cores than this project's machines have:
on two cores two single-threaded workers made 384 px tiles at most 1.19x faster than one two-threaded process (two
tiles of 40 iterations: 11.4 s side by side, 6.8 s each one after the other), and a whole run (chelsea with swirls at
1024 px in tiles of 384, its first run here) took 147.1 s with `--workers 2` against 143.4 s without: the workers'
start and model loads ate it. A cluster of several machines makes the tiles about that many times faster.
"""

from __future__ import annotations

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
        window = window_for(client)
        queue: deque = deque()
        try:
            while True:
                while len(queue) < window and (following := next(works, None)) is not None:
                    number, work = following
                    queue.append((number, client.submit(tasks.make_tile, work, 1, pure=False)))
                if not queue or (stop is not None and stop()):
                    return
                number, future = queue.popleft()
                yield number, future.result()
        finally:
            for _, future in queue:
                future.cancel()
    return make
