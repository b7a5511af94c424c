"""A Gatys run's iterations, reported from its Dask worker while it runs (tasks.stylize's ``steps``).

A frame of a Gatys video, or a picture of a batch, is one optimization of seconds to minutes; its task sends
iteration reports as Dask events (Worker.log_event) to STEPS_TOPIC, tagged with its run and number. The client that
waits for a video frame takes them from a queue in its own thread (Steps.follow), so a progress bar or the web page
shows how far the frame has got (the page, the picture so far too), and a stop asked for there cancels the task,
which gives up at its next iteration. A batch's pictures, which run side by side, are shown as their reports arrive
(Running). A sweep's Ctrl-C asks its running pictures to stop where they are and hand back what they have made
(StopSignal): a Dask Event the tasks look at now and then."""

from __future__ import annotations

import functools
import io
import math
import queue
import statistics
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .. import images
from ..job import Job, Result

if TYPE_CHECKING:
    from .tasks import Stylized

StepHook = Callable[[int, dict], None]  # (the Gatys frame being made, from 1; its iteration's Progress.record)
STEPS_TOPIC = "stylegram-steps"  # the Dask event topic of Gatys frames' iterations
REPORT_SECONDS = 0.25  # a frame's task reports an iteration this often at most (and its last): each costs it a little
STEP_POLL_SECONDS = 0.1  # how often the wait for a frame looks whether it is done, should its done call be late
PICTURE_SIDE = 256  # the long side of the pictures a report may carry (JPEG, some 10-20 KB)
STOP_POLL_SECONDS = 0.5  # how often a task asks the scheduler whether its StopSignal is set (one round trip each)


@dataclass(frozen=True)
class Reporting:
    """Where a task reports its iterations (tasks.stylize's ``steps``): the event topic, its tag there, the seconds
    between reports (the last is always sent), and between pictures of the frame so far (None: no pictures)."""

    topic: str
    tag: str
    every: float = 0.0
    pictures: float | None = None


def reported(job: Job, reporting: Reporting | None, stop: str | None = None) -> tuple[Result, bool]:
    """Run a Gatys job on a Dask worker, reporting its iterations (Progress.record, with ``"task"`` the tag and, now
    and then, ``"picture"``: the image so far as JPEG bytes; no reports for None); it ends early when the client
    cancels the task (a stopped run), so the worker is free for the next at once, or when the StopSignal named
    ``stop`` is set. Returns the result and whether that signal cut it short."""
    from distributed import get_worker

    worker = get_worker()
    key, sent, pictured, looked = worker.get_current_task(), -math.inf, -math.inf, time.monotonic()
    for progress in job:
        now = time.monotonic()
        last = progress.iteration == progress.total  # the run's last iteration, an early stop's too
        if reporting is not None and (last or now - sent >= reporting.every):
            record = {**progress.record(), "task": reporting.tag}
            if reporting.pictures is not None and (last or now - pictured >= reporting.pictures):
                record["picture"], pictured = _jpeg(progress.image()), now
            worker.log_event(reporting.topic, record)
            sent = now
        if _cancelled(worker, key):
            break
        if stop is not None and now - looked >= STOP_POLL_SECONDS:
            looked = now
            if not last and StopSignal.asked(stop):
                return job.result(so_far=True), True
    return job.result(so_far=True), False  # a cancelled task's too


def _jpeg(image) -> bytes:
    picture = images.to_image(image)
    picture.thumbnail((PICTURE_SIDE, PICTURE_SIDE))
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def _cancelled(worker, key) -> bool:
    """Whether the client has given up the task ``key`` this worker runs (its answer is no longer wanted)."""
    state = getattr(worker, "state", None)  # the worker's state machine (distributed >= 2022.11)
    if state is None:
        return False
    task = state.tasks.get(key)
    return task is None or task.state == "cancelled"


class StopSignal:
    """Asks a group of tasks to stop where they are and hand back what they have made (a sweep's Ctrl-C): a Dask Event
    of a name of its own, which the client sets and the tasks look at (``asked``) before they start and every
    STOP_POLL_SECONDS while they run; its name is what the tasks are sent."""

    def __init__(self, client) -> None:
        from distributed import Event

        self.name = f"stylegram-stop-{uuid.uuid4().hex}"
        self._event = Event(self.name, client=client)

    def set(self) -> None:
        """Ask the tasks to stop."""
        self._event.set()

    def close(self) -> None:
        """Forget the event on the scheduler (it holds an event until cleared)."""
        self._event.clear()

    @staticmethod
    def asked(name: str | None) -> bool:
        """On a worker: whether the signal ``name`` has been set (None: no stop can be asked)."""
        if name is None:
            return False
        from distributed import Event

        return Event(name).is_set()


class Steps:
    """The reports of one run's tasks, from the Dask event topic STEPS_TOPIC (tasks.stylize's ``steps``), and the
    queue they arrive in; the reports are handed on in the thread that waits for the task.

    Every run shares the one topic, told apart by their tasks' tags: the scheduler keeps a topic's latest events
    only (distributed.admin.low-level-log-length, 1000), so a long-running server's runs do not pile up there. A
    client has one handler per topic, so runs on the same client at once share it (_LISTENING).
    """

    def __init__(self, client, pictures: float | None = None, shown: Callable[[dict], None] | None = None) -> None:
        """``pictures``: the seconds between pictures of the frame so far in the reports (None: none); ``shown``:
        called with each report on the client's event loop as it arrives, for a display that cannot wait (the
        progress bar of pictures that run side by side), instead of queueing it for ``follow``."""
        self._run, self._client, self._arrived = uuid.uuid4().hex, client, queue.SimpleQueue()
        self._pictures, self._shown = pictures, shown
        with _LISTENING_LOCK:
            first = not _LISTENING[client.id]
            _LISTENING[client.id].append(self)
        if first:
            client.subscribe_topic(STEPS_TOPIC, functools.partial(_hand_on, client.id))

    def arrive(self, record: dict) -> None:
        """Queue a report if it is of one of this run's tasks."""
        if not str(record.get("task", "")).startswith(f"{self._run}/"):
            return
        if self._shown is not None:
            self._shown(record)
        else:
            self._arrived.put(record)

    def __enter__(self) -> Steps:
        return self

    def __exit__(self, *exc) -> None:
        with _LISTENING_LOCK:
            _LISTENING[self._client.id].remove(self)
            last = not _LISTENING[self._client.id]
        if last:
            self._client.unsubscribe_topic(STEPS_TOPIC)

    def tag(self, number: int) -> str:
        """The tag of this run's task ``number``."""
        return f"{self._run}/{number}"

    def for_task(self, number: int) -> Reporting:
        """tasks.stylize's ``steps`` for this run's task ``number``."""
        return Reporting(STEPS_TOPIC, self.tag(number), REPORT_SECONDS, self._pictures)

    def follow(self, future, number: int, on_step: StepHook) -> Stylized:
        """Task ``number``'s answer, calling ``on_step`` with its reports while it runs (those of earlier tasks,
        arriving late, are dropped); a BaseException from ``on_step`` cancels the task and goes on up."""
        tag = self.tag(number)
        future.add_done_callback(lambda _: self._arrived.put({"done": tag}))  # after its reports: wakes the wait
        try:
            while True:
                try:
                    record = self._arrived.get(timeout=STEP_POLL_SECONDS)
                except queue.Empty:  # Ctrl-C is seen here too
                    if future.done():
                        return future.result()
                    continue
                if record.get("done") == tag:
                    return future.result()
                if record.get("task") == tag:
                    on_step(number, record)
        except BaseException:
            future.cancel()
            raise


_LISTENING: defaultdict[str, list[Steps]] = defaultdict(list)  # a client's id: its runs' open Steps
_LISTENING_LOCK = threading.Lock()


def _hand_on(client_id: str, event: tuple[float, dict]) -> None:
    """A STEPS_TOPIC event, to the open Steps of the client that received it (on the client's event loop)."""
    with _LISTENING_LOCK:
        listening = list(_LISTENING[client_id])
    for steps in listening:
        steps.arrive(event[1])


class FramePace:
    """How long a Gatys video's frames take, to tell the time left in it from an iteration's report.

    The first frame runs the whole schedule and says nothing of the others' pace; the frames after it are alike
    (half the finest scale's iterations). The second is judged from its own pace; from the third on, from the median
    of the frames made after the first: a frame's own estimate, early on and on a busy CPU, swung the video's between
    24 s and 1 min 46 s from one frame to the next.
    """

    def __init__(self) -> None:
        self.first_done = False  # its time tells nothing of the others'
        self.later: list[float] = []  # seconds each frame after it took

    def done(self, seconds: float) -> None:
        """A frame was made in ``seconds``."""
        if self.first_done:
            self.later.append(seconds)
        self.first_done = True

    def left(self, record: dict, number: int, frames: int) -> float | None:
        """Seconds left in the video at an iteration (Progress.record) of frame ``number`` (from 1) of ``frames``;
        None while the first frame runs, and at the second's first iteration."""
        if not self.first_done:
            return None
        after = max(frames - number, 0)
        if self.later:
            typical = statistics.median(self.later)
            now = max(typical - record["elapsed"], 0.0) if record["iteration"] == 1 else record["estimated_left"]
            return now + after * typical
        if record["iteration"] == 1:  # a run's first iteration also sets it up: its pace is not yet known (the first
            return None  # frame's time for each, as said before, was twice theirs: it runs the whole schedule)
        return record["estimated_left"] + after * (record["elapsed"] + record["estimated_left"])

    def after_frame(self, done: int, frames: int) -> float | None:
        """Seconds left once frame ``done`` of ``frames`` is written: the rest at the median pace of the frames made
        after the first; None until one is. The first frame's time holds the workers' start (and, for Gatys, the whole
        schedule): the page said 'about 1 min 17 s left' after an AdaIN video's first frame, and it ended a second
        later."""
        if done >= frames:
            return 0.0
        return statistics.median(self.later) * (frames - done) if self.later else None


class Running:
    """How far each Gatys picture that runs has got, shown beside a progress bar's count of pictures done (Steps'
    reports, taken on the client's event loop as they arrive); nothing when not ``on`` (a quiet run, or one pass)."""

    def __init__(self, client, progress, on: bool) -> None:
        self._progress = progress
        self._shares: dict[str, float] = {}  # a running picture's tag: the share of its iterations done
        self._labels: dict[str, str] = {}  # a picture's tag: what it is called beside its share
        self._ended: set[str] = set()
        self._stopping = False
        self._lock = threading.Lock()
        self._steps = Steps(client, shown=self.shown) if on else None

    def __enter__(self) -> Running:
        return self

    def __exit__(self, *exc) -> None:
        if self._steps is not None:
            self._steps.__exit__(*exc)

    def reporting(self, k: int, label: str = "") -> Reporting | None:
        """tasks.stylize's ``steps`` for picture ``k``, shown with ``label`` (a sweep's values) beside its share."""
        if self._steps is None:
            return None
        self._labels[self._steps.tag(k)] = label
        return self._steps.for_task(k)

    def shown(self, record: dict) -> None:
        """A running picture's report: its share done, shown."""
        with self._lock:
            if record["task"] not in self._ended:  # a finished picture's last report may come after its answer
                self._shares[record["task"]] = record["iteration"] / record["total"]
            self._show()

    def ended(self, k: int) -> None:
        """Picture ``k`` is done (or failed): no longer shown as running."""
        if self._steps is not None:
            with self._lock:
                tag = self._steps.tag(k)
                self._ended.add(tag)
                self._shares.pop(tag, None)
                self._show()

    def stopping(self) -> None:
        """A stop was asked (StopSignal): say so beside the running pictures until they have handed theirs back."""
        with self._lock:
            self._stopping = True
            self._show()

    def _show(self) -> None:
        shares = ", ".join(" ".join(filter(None, [self._labels.get(tag), f"{share:.0%}"]))
                           for tag, share in self._shares.items())
        if self._stopping:
            head = "stopping, keeping the pictures as they stand (Ctrl-C again: give them up)"
            self._progress.set_postfix_str(f"{head}: {shares}" if shares else head)
        else:
            self._progress.set_postfix_str(f"running: {shares}" if shares else "")
