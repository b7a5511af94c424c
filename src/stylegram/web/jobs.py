"""Web jobs: one worker thread runs them one at a time from a queue and publishes their events.

Each job keeps an append-only list of events (``state`` changes and one ``progress`` record per iteration)
that any number of server-sent-event streams replay and follow, plus only the latest preview image (a
PNG data URL), so a long job does not pile up images. Stopping sets a flag that the worker reads after
every iteration; the Job iterator yields at iteration boundaries, so the image so far is a clean result.
All torch work happens on the worker thread; the event loop only copies events out.
"""

from __future__ import annotations

import asyncio
import base64
import io
import logging
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

from .. import images, labels, optimize, tiles
from ..errors import StylegramError, warnings_to
from ..job import Job, Result
from . import engine
from . import video as web_video
from .uploads import UploadStore

log = logging.getLogger(__name__)

TERMINAL = ("done", "stopped", "cancelled", "failed")
PREVIEW_SIDE = 512  # previews are shrunk to this long side; the download is full size
CANCELLED_AT_SHUTDOWN = "the server shut down"  # a waiting job's message when the server stopped


class QueueFull(StylegramError):
    """The queue holds as many waiting jobs as it may."""


@dataclass
class Event:
    seq: int  # 1, 2, ... in publishing order; the SSE id, so a reconnecting page resumes after it
    kind: str  # "state" or "progress"
    data: dict


@dataclass(eq=False)  # identity: a job is itself, whatever its fields hold
class WebJob:
    """One submitted job: its spec, state, events, latest preview and (when finished) result."""

    spec: engine.Spec
    id: str = field(default_factory=lambda: secrets.token_urlsafe(9))
    state: str = "queued"
    message: str = ""
    iteration: int = 0
    total: int = 0
    created: float = field(default_factory=time.time)
    started: float | None = None
    finished: float | None = None
    result: Result | None = None
    stop_requested: threading.Event = field(default_factory=threading.Event)
    events: list[Event] = field(default_factory=list)
    preview: dict | None = None  # {"version", "iteration", "width", "height", "image"}
    preview_png: bytes | None = None  # the same picture as PNG bytes, for the page's list of earlier results
    labels: list[dict] | None = None  # what its label maps were read as (stylegram.labels.parts), once started
    warnings: list[str] = field(default_factory=list)  # what the library warned of as it ran, in the page's words
    video: Path | None = None  # a video job's output, once written
    frame: tuple[int, np.ndarray] | None = None  # a video job's latest frame written (from 0) and its pixels
    explanation: str | None = None  # its explanation page (engine.explained), once asked for
    comparison: tuple[tuple[str, ...], str] | None = None  # its latest comparison page and the jobs it compared
    numbers: dict | None = None  # its picture's headline numbers (engine.measured, without the patches), once asked for
    _waiters: set = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def terminal(self) -> bool:
        return self.state in TERMINAL

    @property
    def has_result(self) -> bool:
        return self.result is not None or self.video is not None

    @property
    def explainable(self) -> bool:
        """Whether its picture can be measured now: it has ended with a picture, or (a video) with a frame written,
        even when stopped before the video was."""
        return self.terminal and (self.result is not None or (self.spec.is_video and self.frame is not None))

    @property
    def measured_frame(self) -> int | None:
        """Which frame ``picture()`` is: a video job's last written (from 0); None for a picture."""
        return self.frame[0] if self.spec.is_video and self.frame is not None else None

    def picture(self) -> tuple[torch.Tensor, int | None]:
        """What its explanation and comparisons measure (it is ``explainable``): its picture, or a video job's last
        frame written, and ``measured_frame``."""
        if self.spec.is_video:
            return images.to_tensor(self.frame[1]), self.measured_frame
        return self.result.image, None

    def publish(self, kind: str, data: dict) -> None:
        """Append an event and wake every stream waiting on this job."""
        with self._lock:
            self.events.append(Event(len(self.events) + 1, kind, data))
        self.wake()

    def set_preview(self, image: torch.Tensor, iteration: int, size: tuple[int, int] | None = None,
                    forming: bool = False, alpha: torch.Tensor | None = None, caption: str | None = None) -> None:
        """Keep ``image`` as the latest preview (PNG data URL) and wake the streams; ``size``: the (width, height) it
        shows, where ``image`` is a smaller copy; ``forming``: a video frame still being made; ``alpha``: a result's
        transparency (the content's), shown as the download has it; ``caption``: what it is, where not an iteration
        (a tile of a tiled run)."""
        picture = images.to_image(image)
        if alpha is not None:
            picture = images.with_alpha(picture, alpha)
        picture.thumbnail((PREVIEW_SIDE, PREVIEW_SIDE))
        buffer = io.BytesIO()
        picture.save(buffer, "PNG")
        url = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
        with self._lock:
            self.preview_png = buffer.getvalue()
            version = (self.preview or {}).get("version", 0) + 1
            width, height = size or (int(image.shape[-1]), int(image.shape[-2]))
            self.preview = {"version": version, "iteration": iteration, "width": width, "height": height, "image": url,
                            "forming": forming, **({"caption": caption} if caption else {})}
        self.wake()

    def wake(self) -> None:
        with self._lock:
            waiters = list(self._waiters)
        for loop, event in waiters:
            try:
                loop.call_soon_threadsafe(event.set)
            except RuntimeError:  # that stream's loop is gone
                pass

    async def wait(self, seen: int, preview_version: int, timeout: float) -> None:
        """Return when there are events after ``seen`` or a newer preview, or after ``timeout`` seconds."""
        ready = asyncio.Event()
        token = (asyncio.get_running_loop(), ready)
        with self._lock:
            if len(self.events) > seen or (self.preview or {}).get("version", 0) > preview_version:
                return
            self._waiters.add(token)
        try:
            await asyncio.wait_for(ready.wait(), timeout)
        except asyncio.TimeoutError:
            pass
        finally:
            with self._lock:
                self._waiters.discard(token)

    def since(self, seen: int) -> list[Event]:
        with self._lock:
            return self.events[seen:]


class Runner:
    """The queue and the one worker thread that runs its jobs in order (a CPU does one job well at a time)."""

    def __init__(self, store: UploadStore, models: engine.Models, *, max_queue: int = 20, keep: int = 20,
                 preview_every: int = 10, preview_seconds: float = 1.0):
        self.store, self.models = store, models
        self.max_queue, self.keep = max_queue, keep
        self.preview_every, self.preview_seconds = preview_every, preview_seconds
        self.jobs: dict[str, WebJob] = {}
        self.queue: deque[WebJob] = deque()
        self.running: WebJob | None = None
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closing = False
        self.videos = web_video.VideoCluster()  # started at the first video, closed by _work

    # ------------------------------------------------------------------------------- the queue

    def submit(self, job: WebJob) -> WebJob:
        """Queue a job (starting the worker if needed) and tell it where it stands."""
        with self._cond:
            if self._closing:
                raise QueueFull("the server is shutting down; start it again")
            if len(self.queue) >= self.max_queue:
                raise QueueFull(f"the queue is full ({self.max_queue} jobs waiting); wait for one to finish or stop one")
            self.jobs[job.id] = job
            self.queue.append(job)
            # announced before the worker can take it, so every job's first event says 'queued'
            job.publish("state", self._state_event(job))
            if self._thread is None:
                self._thread = threading.Thread(target=self._work, name="stylegram-web-worker", daemon=True)
                self._thread.start()
            self._cond.notify()
        return job

    def ahead(self, job: WebJob) -> int:
        """How many jobs run before this one (the running one included); 0 when it is not waiting."""
        with self._cond:
            if job not in self.queue:
                return 0
            return self.queue.index(job) + (self.running is not None)

    def stop(self, job: WebJob) -> None:
        """Cancel a waiting job, or ask the running one to stop after its current iteration."""
        with self._cond:
            waiting = job in self.queue
            if waiting:
                self.queue.remove(job)
        if waiting:
            self._finish(job, "cancelled", "stopped before it started")
            self._announce_positions()
        elif not job.terminal:
            job.stop_requested.set()

    def in_use(self) -> set[str]:
        """Ids of the uploads that waiting or running jobs still need."""
        with self._cond:
            jobs = [*self.queue, *([self.running] if self.running else [])]
        return {u.id for job in jobs for u in job.spec.uploads}

    def begin_close(self) -> WebJob | None:
        """Take no more jobs (the next in the queue started as the running one stopped) and ask the running one to
        stop; returns it, if any. No lock is taken: a signal handler calls this."""
        self._closing = True  # read by the worker before it takes a job, under the lock
        running = self.running
        if running:
            running.stop_requested.set()
        return running

    def close(self) -> None:
        """Stop the running job, cancel the waiting ones and end the worker."""
        self.begin_close()
        with self._cond:
            waiting, self.queue = list(self.queue), deque()
            self._cond.notify_all()
        for job in waiting:
            self._finish(job, "cancelled", CANCELLED_AT_SHUTDOWN)
        if self._thread:
            self._thread.join(timeout=10)

    def snapshot(self, job: WebJob) -> dict:
        """The job as the API reports it."""
        base = f"/api/jobs/{job.id}"
        spec = job.spec
        return {
            "id": job.id, "method": spec.method, "kind": "video" if spec.is_video else "image", "state": job.state,
            "message": job.message,
            "ahead": self.ahead(job), "iteration": job.iteration, "total": job.total,
            "has_result": job.has_result, "explainable": job.explainable, "created": job.created,
            "started": job.started,
            "finished": job.finished,
            "inputs": {"content": spec.content.name if spec.content else None, "styles": [u.name for u in spec.styles],
                       **({"masks": [u.name for u in spec.masks]} if spec.masks else {}),
                       **({"regions": [u.name for u in spec.regions]} if spec.regions else {}),
                       **({"labels": [u.name for u in spec.labels]} if spec.labels else {})},
            "settings": engine.settings_text(spec), "labels_read": job.labels, "warnings": job.warnings,
            "urls": {"self": base, "events": f"{base}/events", "stop": f"{base}/stop",
                     "result": f"{base}/result.{web_video.result_kind(spec)[0] if spec.is_video else 'png'}",
                     "params": f"{base}/params.json", "inputs": f"{base}/inputs.zip",
                     "explain": f"{base}/explain.html", "measured": f"{base}/measured.json",
                     **({"compare": f"{base}/compare.html"} if len(self.comparable(job)) > 1 else {}),
                     "preview": f"{base}/preview.png"},
        }

    def comparable(self, job: WebJob) -> list[WebJob]:
        """The finished jobs with a picture that compares with ``job``'s (engine.comparable; video jobs stopped at the
        same frame), itself among them (if finished), oldest first; not those with an upload gone from the server,
        whose inputs cannot be read (one such job failed the page of every later job made from its pictures), nor
        failed ones, whose picture is the last good one before the loss blew up (compared as 'style weight 1e40')."""
        if not job.explainable or job.state == "failed":
            return []
        with self._cond:
            jobs = list(self.jobs.values())
        return sorted((j for j in jobs if j.explainable and j.state != "failed" and engine.comparable(job.spec, j.spec)
                       and j.measured_frame == job.measured_frame and engine.gone(j.spec) is None),
                      key=lambda j: j.created)

    def _state_event(self, job: WebJob) -> dict:
        return {"state": job.state, "message": job.message, "ahead": self.ahead(job), "iteration": job.iteration,
                "total": job.total, "has_result": job.has_result, "explainable": job.explainable,
                "labels_read": job.labels, "warnings": job.warnings,
                **({"seconds": job.finished - job.started} if job.finished and job.started else {})}

    def _announce_positions(self) -> None:
        with self._cond:
            waiting = list(self.queue)
        for job in waiting:
            job.publish("state", self._state_event(job))

    def _finish(self, job: WebJob, state: str, message: str = "") -> None:
        job.state, job.message, job.finished = state, message, time.time()
        job.publish("state", self._state_event(job))
        with self._cond:
            self._forget_old()

    def _forget_old(self) -> None:
        """Keep at most ``keep`` finished jobs (and their results); called with the lock held, as each job ends."""
        finished = sorted((j for j in self.jobs.values() if j.terminal), key=lambda j: j.finished or 0)
        for job in finished[: max(len(finished) - self.keep, 0)]:
            if job.video is not None:  # first: a job no longer listed has no file left
                web_video.remove(job.video.parent)
            del self.jobs[job.id]

    # ------------------------------------------------------------------------------- the worker

    def _work(self) -> None:
        try:
            while self._next():
                pass
        finally:  # in this thread, which started it: a Dask client is closed where it was made
            self.videos.close()

    def _next(self) -> bool:
        """Run the next job once there is one; False when the runner is closing."""
        with self._cond:
            while not self.queue and not self._closing:
                self._cond.wait()
            if self._closing:
                return False
            job = self.running = self.queue.popleft()
        self._announce_positions()
        state, message = self._run(job)
        with self._cond:
            self.running = None
        self._finish(job, state, message)  # after the worker is free, so /api/status agrees with the page
        self.store.prune(self.in_use())
        self._announce_positions()
        return True

    def _run(self, job: WebJob) -> tuple[str, str]:
        """Run one job to its end; returns its final state and message; the library's warnings kept on the job."""
        job.state, job.started = "running", time.time()
        job.publish("state", self._state_event(job))

        def heard(message: str) -> None:
            job.warnings.append(engine.page_message(engine.with_upload_names(job.spec, message)))
            job.publish("state", self._state_event(job))

        with warnings_to(heard):
            return self._run_heard(job)

    def _run_heard(self, job: WebJob) -> tuple[str, str]:
        work: Job | None = None
        try:
            if job.spec.is_video:
                return self._run_video(job)
            made = engine.start(job.spec, self.store, self.models)
            if isinstance(made, engine.Tiled):
                job.result, stopped = self._run_tiled(job, made)
                job.set_preview(job.result.image, job.iteration, alpha=job.result.alpha,
                                caption=f"in tiles of {made.tile} px")
                return ("stopped", stopped) if stopped else ("done", "")
            if isinstance(made, Job):
                work = made
                job.total = sum(work.schedule.iterations)
                self._read_labels(job, work.problem.labels)  # publishes the total too
                job.result, stopped = work.until(job.stop_requested.is_set, self._previews(job))
            else:
                if made.labels is not None:  # shown as for an optimization
                    self._read_labels(job, made.labels)
                job.result, stopped = made(), False
            job.set_preview(job.result.image, job.iteration, alpha=job.result.alpha)
            if stopped:
                return "stopped", f"stopped after {job.iteration} iteration{'s' * (job.iteration != 1)}"
            return "done", engine.page_message(work.problem.chosen()) if work is not None else ""
        except optimize.NonFiniteLoss as err:
            if work is None:  # a tiled run's tile: no Job here to take the last good image from
                return "failed", engine.page_message(err.flagged)
            job.result = Result(work.problem.finish(err.image), work.state.history, work.options, work.state.elapsed,
                                work.alpha)
            job.set_preview(job.result.image, job.iteration, alpha=job.result.alpha)  # the last good image, shown too
            return "failed", engine.page_message(err.flagged)
        except StylegramError as err:
            return "failed", engine.page_message(err.flagged)
        except Exception as err:  # a bug: keep the server up and say where to look
            log.exception("web job %s failed", job.id)
            return "failed", f"internal error ({type(err).__name__}: {err}); see the server's log"

    def _previews(self, job: WebJob) -> Callable[[optimize.Progress], None]:
        """What publishes an iteration of ``job`` and, now and then, its picture as the preview."""
        last_preview = 0.0

        def publish(progress: optimize.Progress) -> None:
            nonlocal last_preview
            job.iteration = progress.iteration
            job.publish("progress", progress.record())
            now = time.monotonic()
            every = self.preview_every and progress.iteration % self.preview_every == 0
            if progress.iteration == 1 or every or now - last_preview >= self.preview_seconds:
                job.set_preview(progress.image(), progress.iteration)
                last_preview = now
        return publish

    def _read_labels(self, job: WebJob, split: labels.Split | None) -> None:
        """What the job's label maps were read as (None: it has none), published for the page before any work."""
        job.labels = labels.parts(split) if split is not None else None
        job.publish("state", self._state_event(job))

    def _run_tiled(self, job: WebJob, tiled: engine.Tiled) -> tuple[Result, str]:
        """A run in tiles: the whole picture's iterations published as a plain run's, then a progress event per tile
        (``tile`` of ``tiles`` of ``level``, ``done`` of ``count`` in all), each with the picture so far as the
        preview; (result, where it stopped early, or '')."""
        iterations, stands = self._previews(job), "before its first iteration"

        def first(progress: optimize.Progress) -> None:
            nonlocal stands
            job.total = progress.total  # the whole picture's run: the page's "iteration n of total"
            stands = f"after iteration {progress.iteration} of the whole picture at {tiled.tile} px"
            iterations(progress)

        def step(where: tiles.TileStep) -> None:
            nonlocal stands
            stands = (f"after tile {where.tile} of {where.tiles} at {where.size[1]}×{where.size[0]} (level "
                      f"{where.level} of {where.levels}); the tiles not made keep the level below, enlarged")
            job.publish("progress", {"tile": where.tile, "tiles": where.tiles, "level": where.level,
                                     "levels": where.levels, "done": where.done, "count": where.count,
                                     "size": [where.size[1], where.size[0]], "elapsed": where.seconds,
                                     "estimated_left": where.estimated_left})

        def heard(state: tiles.TiledState) -> None:
            if state.first is None:  # the whole picture done, or a tile: the picture as it stands
                caption = f"tile {state.tiles_done}, level {state.level + 1}" if state.total is not None else None
                job.set_preview(state.picture(), job.iteration, caption=caption)

        result = tiled.run(first, step, heard, job.stop_requested.is_set, lambda split: self._read_labels(job, split))
        job.total = 0  # its iterations are not all it did: the page says "Done." rather than "after n iterations"
        return result, f"stopped {stands}" if job.stop_requested.is_set() else ""

    def _run_video(self, job: WebJob) -> tuple[str, str]:
        """Run a video job (stylegram.web.video); its progress counts frames (and a Gatys frame's iterations), its
        preview is the latest frame. Its errors are _run's to report."""
        from ..batch.steps import FramePace

        folder, last_preview = self.store.folder / f"video-{job.id}", 0.0
        job.total = job.spec.content.frames
        job.publish("state", self._state_event(job))  # "n frames planned" while the workers start
        pace, written_at = FramePace(), time.monotonic()  # how long the frames took; when the latest was written

        def stop_if_asked() -> None:
            if job.stop_requested.is_set():
                raise web_video.Stopped

        def on_frame(done: int, total: int | None, frame: np.ndarray) -> None:
            nonlocal last_preview, written_at
            job.iteration, job.total, job.frame = done, total or job.total, (done - 1, frame)
            pace.done(time.monotonic() - written_at)
            written_at = time.monotonic()
            job.publish("progress", {"frame": done, "total": job.total, "elapsed": time.time() - job.started,
                                     "estimated_left": pace.after_frame(done, job.total)})
            if done in (1, job.total) or time.monotonic() - last_preview >= self.preview_seconds:  # the last: the result
                job.set_preview(images.to_tensor(frame), done)
                last_preview = time.monotonic()
            stop_if_asked()

        def on_step(number: int, record: dict) -> None:  # an iteration of Gatys frame ``number``, from 1
            picture = record.pop("picture", None)
            job.publish("progress", {"frame": number - 1, "total": job.total, "elapsed": time.time() - job.started,
                                     "estimated_left": pace.left(record, number, job.total),
                                     "step": record})
            if picture is not None:  # the frame so far, a smaller copy
                job.set_preview(images.to_tensor(Image.open(io.BytesIO(picture)).convert("RGB")), number,
                                tuple(record["size"]), forming=True)
            stop_if_asked()

        try:
            job.video, steadiness = web_video.run(job.spec, folder, self.videos, on_frame, on_step,
                                                  self.preview_seconds)
            return "done", engine.page_message(steadiness)  # the figure to tune "Frame blend" by
        except web_video.Stopped:
            return "stopped", f"stopped after {job.iteration} of {job.total} frames; a video is written only whole"
        finally:
            if job.video is None:  # stopped or failed: the frames it kept go too
                web_video.remove(folder)

    def params(self, job: WebJob) -> dict[str, Any]:
        """A job's parameters file; ``seconds_in_all`` is the job's whole time, as the page shows it (a picture's
        ``seconds`` is its run's alone: 1.263 beside the page's '1.8 s in all' read as a contradiction)."""
        in_all = round((job.finished or time.time()) - (job.started or time.time()), 3)
        if job.spec.is_video:
            return web_video.params(job.spec, job.state, job.iteration, in_all, job.video)
        return {**engine.params(job.spec, job.result, job.state), "seconds_in_all": in_all}
