"""Run many independent tasks on a Dask cluster: a bounded window in flight, results as they finish.

The client keeps at most ``window`` tasks submitted, so a long list of inputs (or a video's frames) never
sits in the scheduler's memory at once. A worker that dies is the scheduler's business: its tasks run
again elsewhere (up to distributed's allowed-failures); a task that still fails is one failed item,
reported with a one-line message, and the others go on.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

from ..errors import StylegramError
from .cluster import distributed


@dataclass(frozen=True)
class Failure:
    """An item that did not complete and the one-line reason."""

    name: str
    message: str

    def __str__(self) -> str:
        """'failed: NAME: why', the name left out where the message already names the item."""
        return f"failed: {self.message}" if self.name in self.message else f"failed: {self.name}: {self.message}"


@dataclass
class Report:
    """What a batch run did: items written, skipped (already there) and failed, and per-worker model loads."""

    done: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[Failure] = field(default_factory=list)
    loads: dict[str, dict[str, int]] = field(default_factory=dict)  # worker 'host:pid' -> {model: times loaded}
    flicker: dict[str, float] = field(default_factory=dict)  # video name -> flicker of its output
    warp_error: dict[str, float] = field(default_factory=dict)  # video name -> its change beyond the motion
    detail: dict[str, float] = field(default_factory=dict)  # video name -> detail the --temporal blend kept (Detail)
    seconds: float = 0.0
    outputs: dict[str, Path] = field(default_factory=dict)  # input name (done or skipped) -> the output file there
    out_dir: Path | None = None  # where the outputs go, said by summary()

    @property
    def ok(self) -> bool:
        return not self.failed

    def count_loads(self, worker: str, loads: dict[str, int]) -> None:
        """Record a worker's model loads as reported by one of its tasks (counts only grow)."""
        mine = self.loads.setdefault(worker, {})
        for model, times in loads.items():
            mine[model] = max(times, mine.get(model, 0))

    def steadiness(self, name: str) -> str:
        """Video ``name``'s steadiness in words, the change beyond the motion first: the plain frame change ratio
        (flicker) moved only from 1.37 to 1.11 between no --temporal and 0.9 on a pan, where the change beyond the
        motion went from 10.6 to 1.7 grey levels (stylized texture moving with the picture counts in the ratio too);
        then what a --temporal blend cost in detail."""
        flicker, beyond = self.flicker.get(name, math.nan), self.warp_error.get(name, math.nan)
        if not math.isfinite(flicker):
            return "flicker not measured (the input has fewer than two frames, or frames that do not change)"
        said = f"flicker {flicker:.2f} (output frame change / input frame change, moving texture included)"
        if math.isfinite(beyond):
            said = (f"{beyond:.1f} grey levels of change beyond the motion (what flickers: 0 when the picture only "
                    f"moves with its content), {said}")
        kept = self.detail.get(name, math.nan)
        if math.isfinite(kept) and kept < 0.995:  # a blend ran (not --temporal 0, nor one frame): what it cost
            said += (f"; detail kept {kept:.2f} of each frame stylized alone (the blend steadies by blurring: a lower "
                     "--temporal keeps more)")
        return said

    def summary(self) -> str:
        """'12 done, 3 skipped, 1 failed in 42.0 s (3.5 s per output), outputs in styled' and one line per failure
        (the folder where there is one, and an output in it: one never made was named)."""
        head = f"{len(self.done)} done, {len(self.skipped)} skipped, {len(self.failed)} failed in {self.seconds:.1f} s"
        if len(self.done) > 1:  # what a longer batch will take, side by side workers included
            head += f" ({self.seconds / len(self.done):.1f} s per output)"
        if self.out_dir is not None and self.outputs:
            head += f", outputs in {self.out_dir}"
        return "\n".join([head, *map(str, self.failed)])

    def __repr__(self) -> str:
        """'Report(12 done, 3 skipped, 1 failed in 42.0 s, outputs in styled)': not every list and worker pid."""
        return f"Report({self.summary().splitlines()[0]})"


def one_line(err: BaseException) -> str:
    """A failure's message on one line: stylegram's own as it is, anything else prefixed by its type."""
    if type(err).__name__ == "KilledWorker":
        return "the workers running it died repeatedly (out of memory or killed); see the worker logs"
    text = err.flagged if isinstance(err, StylegramError) else f"{type(err).__name__}: {err}"
    return " ".join(text.split()) or type(err).__name__


def finished(client, fn: Callable, payloads: Iterable[tuple], window: int,
             flight: dict[str, tuple[int, object]] | None = None) -> Iterator[tuple[int, object]]:
    """Submit fn(*payload) for each payload, at most ``window`` at a time; yield (index, future) as each ends.

    The future may hold a result or an error; call ``.result()`` to get the one or raise the other. ``flight``: a dict
    that holds the submitted futures not yet yielded (key: (index, future)), for a caller that stops early (Ctrl-C)
    and still wants the answers of those.
    """
    if window < 1:
        raise ValueError(f"window must be at least 1, not {window}")
    dd = distributed()
    todo = enumerate(payloads)
    running, flight = dd.as_completed(), {} if flight is None else flight

    def submit(i: int, payload: tuple) -> None:
        future = client.submit(fn, *payload, pure=False)
        flight[future.key] = (i, future)
        running.add(future)

    for i, payload in islice(todo, window):
        submit(i, payload)
    for future in running:
        following = next(todo, None)
        if following is not None:
            submit(*following)
        yield flight.pop(future.key)


def threads_each(client, count: int) -> int:
    """Torch threads for each of ``count`` tasks that run at once: the cluster's slots (one per core) shared among
    them, so that a batch of fewer pictures than workers still uses every core; 1 when the tasks fill the slots."""
    return max(1, _slots(client) // max(count, 1))


def window_for(client) -> int:
    """Tasks to keep in flight: enough that no worker thread waits for the next one."""
    return 2 * _slots(client) + 2


def _slots(client) -> int:
    """The cluster's worker threads, one task each (at least 1)."""
    return sum(client.nthreads().values()) or 1
