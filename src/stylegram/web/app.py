"""The local web page's server: a small FastAPI app over the upload store and the one-worker job queue.

    POST   /api/uploads?name=FILE      body: the image or video file's bytes -> {id, name, width, height, kind, ...}
    GET    /api/uploads/{id}/frame.png a video's (or animation's) first frame, what its masks and label maps are
                                       painted on; a picture as PNG, for a browser that cannot show its format
                                       (TIFF, HEIC)
    DELETE /api/uploads/{id}
    POST   /api/jobs                   JSON {method, content, styles, style_masks, size, ...} -> the job, queued
    GET    /api/jobs/{id}/events       server-sent events: state, progress (every iteration), preview
    POST   /api/jobs/{id}/stop         cancel if waiting; stop after the current iteration if running
    GET    /api/jobs/{id}/result.png   the image (the image so far for a stopped job)
    GET    /api/jobs/{id}/result.mp4   a video job's video (the content may be a video: stylegram.web.video); an
                                       animation's is result.gif, .webp or .apng
    GET    /api/jobs/{id}/preview.png  the latest preview (at most 512 px; a video's latest frame)
    GET    /api/jobs/{id}/params.json  every option, the inputs' names and digests, the CLI command
    GET    /api/jobs/{id}/inputs.zip   the files that command reads, under the names it gives them (painted masks
                                       and label maps too), with the parameters file
    GET    /api/jobs/{id}/explain.html why its picture looks as it does (stylegram.analysis.explain); a video
                                       job's latest frame written, against that frame of the video
    GET    /api/jobs/{id}/measured.json the explanation's headline numbers (moved, layers, kept, chance; a video
                                       job's frame, from 1)
    GET    /api/jobs/{id}/compare.html its picture beside the others made from the same pictures
                                       (stylegram.analysis.compare)
    GET    /api/samples                the sample pictures installed: [{name, kind}], kind photo, style or texture
    GET    /api/samples/{name}         one of them, which the page then uploads as if it were dropped
    GET    /api/status, /api/config, /api/jobs, /api/jobs/{id}; GET / is the page, /static/ its files

Every error is JSON {"detail": "one line that says what is wrong and what to do"} with a 4xx status.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import threading
import time
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

import torch
from fastapi import FastAPI, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response, StreamingResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field, field_validator
from starlette.exceptions import HTTPException as StarletteHTTPException

from .. import __version__, downloads, images, labels, samples, tiles
from ..gatys import COLORS, INITS
from ..statistics import STATISTICS
from ..errors import OptionError, StylegramError, count, did_you_mean, warnings_to
from . import engine
from . import video as web_video
from .jobs import CANCELLED_AT_SHUTDOWN, TERMINAL, QueueFull, Runner, WebJob
from .uploads import UploadError, UploadStore, display_name

STATIC = Path(__file__).parent / "static"
MAX_ITERATIONS = 2000  # per scale
KEEPALIVE = 15.0  # seconds between SSE comments while nothing happens
# The page and its scripts come from this server only; previews are data: URLs, a video's thumbnail a blob: URL.
SECURITY_HEADERS = [
    (b"content-security-policy", b"default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "
                                 b"connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
]


class JobRequest(BaseModel):
    """A job as the page submits it; unset settings keep the library's defaults.

    The choices of method, colors, init and statistic are the library's own lists, so the page cannot offer a
    stale one.
    """

    model_config = ConfigDict(extra="forbid")

    method: Literal[engine.METHODS] = "gatys"
    content: str | None = Field(None, description="upload id of the content image (not for texture)")
    styles: list[str] = Field(..., min_length=1, description="upload ids of the style images / example textures")
    size: int | None = Field(None, ge=16, description="long side of the output in px (texture: its width, a square "
                                                      "without height; with a doodle, the long side of its shape)")
    height: int | None = Field(None, ge=16, description="texture: the output's height in px (default: the size's)")
    tileable: bool | None = Field(None, description="texture: an output that tiles without a seam")
    content_weight: float | None = Field(None, ge=0)
    style_weight: float | None = Field(None, ge=0)
    tv_weight: float | None = Field(None, ge=0)
    colors: Literal[COLORS] | None = None
    init: Literal[INITS] | None = Field(
        None, description="where the optimization starts (gatys); image files are not offered to the page"
    )
    statistic: Literal[tuple(STATISTICS)] | None = Field(None, description="what 'the same style' means (gatys, texture)")
    seed: int | None = Field(None, ge=0, le=2**63 - 1)
    iterations: str | None = Field(None, pattern=r"^\s*(auto|\d+(\s*,\s*\d+)*)\s*$",
                                   description="a count per scale, coarse to fine, like 20,90, or auto")
    min_size: int | None = Field(None, ge=16)
    alpha: float | None = Field(None, ge=0, le=1)
    style_blend: str | None = Field(None, pattern=r"^\s*[\d.]+(\s*,\s*[\d.]+)*\s*$",
                                    description="one weight per style, like 0.7,0.3")
    style_scale: float | None = Field(None, gt=0, description="style image size relative to the output's long side "
                                                              "(at most twice its short side)")
    style_layers: str | None = Field(
        None, max_length=1000, pattern=r"^[\w\s.:,/]+$",
        description="a list of layers like relu1_1,relu2_1,relu3_1:0.5, or one per style split by / "
                    "(relu1_1,relu2_1/relu3_1,relu4_1: each style its own layers); gatys and texture")
    upscale: bool | None = None
    tile: int | None = Field(None, ge=tiles.MIN_TILE, description="gatys: made in tiles of this many px, for a size "
                             "larger than the memory holds at once (the command line's --tile)")
    temporal: float | None = Field(None, ge=0, lt=1, description="video: each frame blended with the previous output "
                                   "moved along the optical flow, 0 = off (default: 0.3 for adain and wct, 0 for gatys)")
    temporal_weight: float | None = Field(None, ge=0, description="gatys video: each frame held near the previous "
                                          "output moved along the flow while it is optimized (default: 10)")
    style_masks: list[str | None] | None = Field(
        None, description="upload ids of one mask per style image, in their order (null: that style has none); "
                          "white where a style paints; gatys, adain and wct"
    )
    style_regions: list[str | None] | None = Field(
        None, description="upload ids of one region per style image, each of its style's shape, in their order (null: "
                          "that style has none); white over the part whose style it lends; gatys, adain and wct"
    )
    labels: list[str | None] | None = Field(
        None, description="upload ids of label maps, the content's first, then one per style image (null: that image "
                          "has none), each of its image's shape in a few flat colours: each colour of the content's "
                          "map is painted by the parts of the style images with that colour; gatys, adain and wct"
    )

    @field_validator("iterations", mode="before")
    @classmethod
    def _count(cls, value: object) -> object:
        """One count sent as a number (``"iterations": 90``) is the text "90", as the page sends it."""
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


class Service:
    """Everything the routes share: limits, uploads, models and the job runner."""

    def __init__(self, *, max_upload_bytes: int, max_pixels: int, max_size: int, max_styles: int, max_queue: int,
                 preview_every: int, preview_seconds: float, fetch_addresses: bool = True):
        self.max_size, self.max_styles = max_size, max_styles
        self.fetch_addresses = fetch_addresses
        self.closing = threading.Event()
        self.cut_short: WebJob | None = None  # the job that was running when the server was told to stop
        self.store = UploadStore(max_upload_bytes, max_pixels)
        self.models = engine.Models()
        self.runner = Runner(self.store, self.models, max_queue=max_queue, preview_every=preview_every,
                             preview_seconds=preview_seconds)

    def limits(self) -> dict:
        return {"upload_bytes": self.store.max_bytes, "max_pixels": self.store.max_pixels, "max_size": self.max_size,
                "max_styles": self.max_styles, "max_queue": self.runner.max_queue, "max_iterations": MAX_ITERATIONS}

    def job(self, job_id: str) -> WebJob:
        job = self.runner.jobs.get(job_id)
        if job is None:
            raise HTTPException(404, f"there is no job '{job_id}' (only the last {self.runner.keep} finished jobs are "
                                     "kept, and none survive a restart); start it again")
        return job

    def job_with_inputs(self, job_id: str, then: str) -> WebJob:
        """The job, refused (410) when one of its uploads is no longer on the server; ``then``: what that means for
        the request."""
        job = self.job(job_id)
        missing = engine.gone(job.spec)
        if missing is not None:
            raise HTTPException(410, f"{missing.name}, an input of job '{job_id}', is no longer on the server (removed "
                                     f"from the page, or the oldest of too many uploads); {then}")
        return job

    def upload(self, upload_id: str | None, role: str):
        upload = self.store.get(upload_id) if upload_id else None
        if upload is None:
            raise HTTPException(404, f"the {role} upload '{upload_id}' does not exist (uploads are kept only while the "
                                     "server runs, and the oldest unused ones are dropped); upload the image again")
        return upload

    def check_request(self, req: JobRequest) -> None:
        if req.size is not None and req.size > self.max_size:
            raise UploadError(f"size {req.size} px is over this server's limit of {self.max_size} px; choose a "
                              f"smaller size (or start the server with stylegram serve --max-size {req.size})", 422)
        if len(req.styles) > self.max_styles:
            raise UploadError(f"{len(req.styles)} style images are more than this server's limit of "
                              f"{self.max_styles}; remove some", 422)
        counts = [int(n) for n in (req.iterations or "0").split(",") if n.strip().isdigit()]
        if max(counts, default=0) > MAX_ITERATIONS:
            raise UploadError(f"iterations {req.iterations.strip()}: at most {MAX_ITERATIONS} per scale on this page; "
                              "use the stylegram command for longer runs", 422)

    def begin_shutdown(self) -> None:
        """End every event stream and ask the running job to stop (the server is about to close)."""
        self.closing.set()
        self.cut_short = self.runner.begin_close()
        for job in list(self.runner.jobs.values()):
            job.wake()

    def shutdown_report(self, folder: Path) -> list[str]:
        """After close(): what stopping the server did to its jobs, as lines for the terminal; the picture so far of
        the job it cut short is written into ``folder`` (a Ctrl-C said nothing, and that picture was lost)."""
        said = []
        job = self.cut_short
        if job is not None:
            where = f"job {job.id} ({job.spec.method}{', a video' if job.spec.is_video else ''})"
            if job.state != "stopped":  # still in an iteration when the server closed (or it ended another way)
                said.append(f"{where} was running and ended with the server ({job.state}); nothing of it was kept")
            elif job.spec.is_video or job.result is None:
                why = "a video is written only whole" if job.spec.is_video else "it had no picture yet"
                said.append(f"{where} was running and stopped with the server ({job.message}); {why}, so nothing of "
                            "it was kept")
            else:
                said.append(f"{where} was running and stopped with the server ({job.message}); "
                            + _kept_picture(job, folder))
        cancelled = [j for j in self.runner.jobs.values() if j.message == CANCELLED_AT_SHUTDOWN]
        if cancelled:
            said.append(f"{count(len(cancelled), 'waiting job')} cancelled: start the server again "
                        "(stylegram serve) and start them again from the page")
        return said

    def close(self) -> None:
        self.closing.set()
        self.runner.close()
        self.store.close()


def create_app(
    *,
    max_upload_bytes: int = 32_000_000,
    max_pixels: int = 50_000_000,
    max_size: int = 1024,
    max_styles: int = 8,
    max_queue: int = 20,
    preview_every: int = 10,
    preview_seconds: float = 1.0,
    allowed_hosts: list[str] | None = None,
    fetch_addresses: bool = True,
) -> FastAPI:
    """The web app. ``allowed_hosts``: Host names it answers to (None: any), a guard against DNS rebinding.
    ``fetch_addresses``: whether /api/remote fetches a picture's web address for the page (a picture dragged from
    another tab); off for a server other machines reach, which would otherwise fetch any address for them.

    Previews are sent at the first iteration, every ``preview_every`` iterations and at least every
    ``preview_seconds`` seconds, and with the final image.
    """
    service = Service(max_upload_bytes=max_upload_bytes, max_pixels=max_pixels, max_size=max_size,
                      max_styles=max_styles, max_queue=max_queue, preview_every=preview_every,
                      preview_seconds=preview_seconds, fetch_addresses=fetch_addresses)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        yield
        await run_in_threadpool(service.close)

    app = FastAPI(title="stylegram", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.service = service
    app.add_middleware(LocalGuard, hosts=allowed_hosts)
    _add_error_handlers(app)
    _add_routes(app, service)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app


_BOUNDS = {"greater_than_equal": ("ge", "{} or more"), "greater_than": ("gt", "more than {}"),
           "less_than_equal": ("le", "{} or less"), "less_than": ("lt", "less than {}")}


def _bound(error: dict) -> str | None:
    """'must be 16 or more, got 0' for a number out of its field's range (pydantic: 'Input should be greater than or
    equal to 16'); None for other errors."""
    if error.get("type") not in _BOUNDS:
        return None
    key, words = _BOUNDS[error["type"]]
    return f"must be {words.format(error.get('ctx', {}).get(key))}, got {error.get('input')!r}"


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, err: RequestValidationError) -> JSONResponse:
        parts = []
        for e in err.errors():
            where = ".".join(str(p) for p in e.get("loc", ())[1:]) or "request"
            field = JobRequest.model_fields.get(where)
            if e.get("type") == "string_pattern_mismatch" and field is not None:  # not the pattern: what it stands for
                parts.append(f"{where}: {e.get('input')!r} is not {field.description}")
            elif e.get("type") == "json_invalid":  # was '0: JSON decode error'
                parts.append(f"the request body is not JSON ({e.get('ctx', {}).get('error', 'invalid')}); "
                             "send a JSON object such as {\"content\": ID, \"styles\": [ID]}")
            elif e.get("type") == "extra_forbidden":  # was only 'Extra inputs are not permitted'
                hint = did_you_mean(where, JobRequest.model_fields) or "; GET /api/config lists the settings"
                parts.append(f"{where} is not a setting{hint}")
            else:
                parts.append(f"{where}: {_bound(e) or e.get('msg', 'invalid')}")
        return JSONResponse({"detail": "; ".join(parts)}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, err: StarletteHTTPException) -> JSONResponse:
        detail = err.detail
        if err.status_code == 404 and detail == "Not Found":  # starlette's word for a route that does not exist
            detail = (f"there is no {request.url.path} on this server; the page is at / and its API under /api/ "
                      "(GET /api/config, /api/status, /api/jobs)")
        elif err.status_code == 405 and detail == "Method Not Allowed":
            detail = f"{request.method} is not allowed on {request.url.path}"
        return JSONResponse({"detail": detail}, status_code=err.status_code, headers=getattr(err, "headers", None))

    @app.exception_handler(UploadError)
    async def upload_error(request: Request, err: UploadError) -> JSONResponse:
        return JSONResponse({"detail": err.flagged}, status_code=err.status)

    @app.exception_handler(QueueFull)
    async def queue_full(request: Request, err: QueueFull) -> JSONResponse:
        return JSONResponse({"detail": err.flagged}, status_code=429)

    @app.exception_handler(StylegramError)
    async def option_error(request: Request, err: StylegramError) -> JSONResponse:
        return JSONResponse({"detail": engine.page_message(err.flagged)}, status_code=400)


def _add_routes(app: FastAPI, service: Service) -> None:
    """Every route of the API and the page, by what it serves."""
    for add in (_page_routes, _upload_routes, _job_routes, _result_routes, _analysis_routes):
        add(app, service)


def _page_routes(app: FastAPI, service: Service) -> None:
    """The page and what it asks first: the server's limits and its status."""
    runner = service.runner

    @app.get("/", include_in_schema=False)
    async def page() -> FileResponse:
        return FileResponse(STATIC / "index.html", headers={"cache-control": "no-cache"})

    @app.get("/api/config")
    async def config() -> dict:
        return {"version": __version__, "methods": list(engine.METHODS), "fields": engine.FIELDS,
                "video_fields": engine.VIDEO_FIELDS, "defaults": engine.defaults(),
                "video_defaults": engine.video_defaults(), "limits": service.limits(),
                "image_types": list(images.IMAGE_EXTENSIONS), "video_types": list(images.VIDEO_EXTENSIONS),
                "reads_heic": images.HEIF, "colour_names": labels.COLOUR_NAMES}

    @app.get("/api/samples")
    async def sample_list() -> list[dict]:
        return [{"name": name, "kind": samples.kind(name)} for name in samples.available()]

    @app.get("/api/samples/{name}")
    async def sample(name: str) -> FileResponse:
        if name not in samples.available():
            raise UploadError(f"no sample picture named {display_name(name)!r} here; GET /api/samples lists them", 404)
        return FileResponse(samples.path(name), headers={"cache-control": "max-age=86400"})

    @app.get("/api/remote")
    def remote(url: str) -> FileResponse:  # a plain def: the download runs in a thread
        """The picture at a web address, fetched by the server (the page may not read another site's pictures):
        what a picture dragged from another tab, or an address pasted, brings."""
        if not service.fetch_addresses:
            raise UploadError("this server listens beyond this machine, so it fetches no web addresses for its "
                              "visitors; save the picture and drop the file", 403)
        if not downloads.is_url(url):
            raise UploadError(f"{url[:200]!r} is not a web address (http:// or https://)", 422)
        path = downloads.fetch(url)
        size = path.stat().st_size
        if size > service.store.max_bytes:
            raise service.store.too_large(path.name, size)
        return FileResponse(path, filename=path.name)

    @app.get("/api/status")
    async def status() -> dict:
        running = runner.running
        return {"version": __version__, "time": time.time(),
                "running": runner.snapshot(running) if running else None,
                "queue": [job.id for job in list(runner.queue)], "jobs": len(runner.jobs)}


def _upload_routes(app: FastAPI, service: Service) -> None:
    """The uploads: store, describe, show a video's first frame, delete."""
    runner = service.runner

    @app.post("/api/uploads", status_code=201)
    async def upload(request: Request, name: str = "image") -> dict:
        shown = display_name(name)
        if request.headers.get("content-type", "").startswith("multipart/"):  # read as bytes, it 'is not an image'
            raise UploadError(f"{shown}: send the image file's bytes as the request body, not a form "
                              "(curl --data-binary @FILE, not -F)", 415)
        length = request.headers.get("content-length", "")
        if length.isdigit() and int(length) > service.store.max_bytes:
            raise service.store.too_large(shown, int(length))
        received = await service.store.receive(request.stream(), shown)
        checked = await run_in_threadpool(service.store.check, received)
        await run_in_threadpool(service.store.prune, runner.in_use())
        return checked.describe()

    @app.get("/api/uploads/{upload_id}")
    async def upload_info(upload_id: str) -> dict:
        return service.upload(upload_id, "requested").describe()

    @app.get("/api/uploads/{upload_id}/frame.png")
    def as_png(upload_id: str) -> Response:  # a plain def: it decodes in a thread
        upload = service.upload(upload_id, "requested")
        alpha = None if upload.moves else service.store.alpha(upload)  # a picture keeps its transparency
        return Response(_png(service.store.decode(upload), alpha), media_type="image/png")

    @app.delete("/api/uploads/{upload_id}", status_code=204)
    async def delete_upload(upload_id: str) -> Response:
        if upload_id in runner.in_use():
            raise HTTPException(409, f"upload '{upload_id}' is used by a waiting or running job; stop that job first")
        if not service.store.delete(upload_id):
            service.upload(upload_id, "requested")  # raises: no such upload
        return Response(status_code=204)


def _job_routes(app: FastAPI, service: Service) -> None:
    """The jobs: submit, list, describe, stop, follow their events."""
    runner = service.runner

    @app.post("/api/jobs", status_code=201)
    def submit(req: JobRequest) -> dict:  # a plain def: FastAPI runs it in a thread (it decodes images)
        service.check_request(req)
        content = service.upload(req.content, "content") if req.content else None
        styles = [service.upload(s, "style" if req.method != "texture" else "example") for s in req.styles]
        masks = [service.upload(m, "mask") if m else None for m in req.style_masks or []]
        regions = [service.upload(r, "region") if r else None for r in req.style_regions or []]
        labels = [service.upload(m, "label map") if m else None for m in req.labels or []]
        settings = req.model_dump(exclude={"method", "content", "styles", "style_masks", "style_regions", "labels"},
                                  exclude_none=True)
        if "iterations" in settings:  # the pattern allows spaces around the counts
            settings["iterations"] = settings["iterations"].replace(" ", "")
        spec = engine.make_spec(req.method, settings, content, styles, masks, regions, labels)
        with warnings_to(lambda message: None):  # the job's own start warns again, where its page hears it
            engine.start(spec, service.store, service.models)  # option errors now, as a 400 (a video: on its first frame)
        return runner.snapshot(runner.submit(WebJob(spec)))

    @app.get("/api/jobs")
    async def jobs() -> list[dict]:
        return [runner.snapshot(job) for job in list(runner.jobs.values())]

    @app.get("/api/jobs/{job_id}")
    async def job_info(job_id: str) -> dict:
        return runner.snapshot(service.job(job_id))

    @app.post("/api/jobs/{job_id}/stop")
    async def stop(job_id: str) -> dict:
        job = service.job(job_id)
        runner.stop(job)
        return runner.snapshot(job)

    @app.get("/api/jobs/{job_id}/events")
    async def events(job_id: str, request: Request) -> StreamingResponse:
        job = service.job(job_id)
        last = request.headers.get("last-event-id", "")
        seen = int(last) if last.isdigit() else 0
        return StreamingResponse(_stream(job, seen, service.closing), media_type="text/event-stream",
                                 headers={"cache-control": "no-cache", "x-accel-buffering": "no"})


def _result_routes(app: FastAPI, service: Service) -> None:
    """The what a job made: its picture or video, its latest preview, its parameters."""
    runner = service.runner

    @app.get("/api/jobs/{job_id}/result.png")
    def result(job_id: str) -> Response:
        job = service.job(job_id)
        if job.spec.is_video:  # it said "done without an image (); start it again" of a video that was done
            extension = web_video.result_kind(job.spec)[0]
            raise HTTPException(404, f"job '{job_id}' makes a video, not an image; its result is "
                                     f"{job_id}/result.{extension}")
        if job.result is None and job.terminal:
            raise HTTPException(409, f"job '{job_id}' {job.state} without an image ({job.message}); start it again")
        if job.result is None:
            raise HTTPException(409, f"job '{job_id}' is {job.state} and has no image yet; wait for it to finish "
                                     "(or stop it to keep the image so far)")
        return Response(_png(job.result.image, job.result.alpha), media_type="image/png",
                        headers={"content-disposition": f'attachment; filename="{download_name(job, ".png")}"'})

    @app.get("/api/jobs/{job_id}/result.{kind}")
    def result_video(job_id: str, kind: str) -> Response:
        job = service.job(job_id)
        if not job.spec.is_video:
            raise HTTPException(404, f"job '{job_id}' made an image, not a video; its result is {job_id}/result.png")
        extension, media_type = web_video.result_kind(job.spec)
        if kind != extension:
            raise HTTPException(404, f"job '{job_id}' makes {job_id}/result.{extension}, not result.{kind}")
        if job.video is None:
            raise HTTPException(409, f"job '{job_id}' is {job.state} and has no video"
                                     f"{f' ({job.message})' if job.message else ''}; a video is written only whole, "
                                     "when its last frame is done")
        return FileResponse(job.video, media_type=media_type,
                            filename=download_name(job, job.video.suffix))

    @app.get("/api/jobs/{job_id}/preview.png")
    def preview(job_id: str) -> Response:
        job = service.job(job_id)
        if job.preview_png is None:
            raise HTTPException(409, f"job '{job_id}' is {job.state} and has no picture yet")
        return Response(job.preview_png, media_type="image/png", headers={"cache-control": "no-cache"})

    @app.get("/api/jobs/{job_id}/params.json")
    async def params(job_id: str) -> Response:
        job = service.job(job_id)
        body = json.dumps(runner.params(job), indent=2)
        return Response(body, media_type="application/json",
                        headers={"content-disposition": f'attachment; filename="{download_name(job, "_params.json")}"'})

    @app.get("/api/jobs/{job_id}/inputs.zip")
    def inputs(job_id: str) -> Response:  # a plain def: it reads the files in a thread
        job = service.job_with_inputs(job_id, "its parameters file still names it")
        try:
            archive = engine.inputs_zip(job.spec, runner.params(job), download_name(job, "_params.json"))
        except OptionError as err:
            raise HTTPException(409, str(err)) from None
        return Response(archive, media_type="application/zip",
                        headers={"content-disposition": f'attachment; filename="{download_name(job, "_inputs.zip")}"'})


def _analysis_routes(app: FastAPI, service: Service) -> None:
    """The why a job's picture looks as it does, and how it compares with others (stylegram.analysis pages)."""
    runner = service.runner

    @app.get(engine.REPORT_CSS, include_in_schema=False)
    def report_css() -> Response:
        from ..analysis.report import STYLE

        return Response(STYLE, media_type="text/css")

    def _explainable(job_id: str) -> tuple[WebJob, torch.Tensor, int | None]:
        """The job, its picture and (a video job's) the frame it is, if it can be measured now (else a 409 that says
        why not)."""
        job = service.job(job_id)
        if not job.explainable:
            noun, later = ("frame", "the last frame made") if job.spec.is_video else ("picture", "the picture so far")
            wait = "" if job.terminal else f" yet; wait for it to finish (or stop it to explain {later})"
            raise HTTPException(409, f"job '{job_id}' is {job.state} and has no {noun} to explain{wait}")
        return job, *job.picture()

    def _measurable(job_id: str) -> None:
        """Refuse (410) to measure a job one of whose inputs is gone; it said 'no such file; check the path', of a
        path the page's user never gave. A page made before stays served."""
        service.job_with_inputs(job_id, "its picture cannot be measured against it")

    @app.get("/api/jobs/{job_id}/explain.html")
    def explain(job_id: str) -> Response:
        job, picture, frame = _explainable(job_id)
        if job.explanation is None:
            _measurable(job_id)
            job.explanation = engine.explained(job.spec, picture, service.store, service.models, frame, job.total)
        return Response(job.explanation, media_type="text/html")

    @app.get("/api/jobs/{job_id}/measured.json")
    def measured(job_id: str) -> dict:
        job, picture, frame = _explainable(job_id)
        if job.numbers is None:
            _measurable(job_id)
            numbers = engine.measured(job.spec, picture, service.store, service.models, False, frame).numbers()
            job.numbers = numbers if frame is None else {**numbers, "frame": frame + 1}
        return job.numbers

    @app.get("/api/jobs/{job_id}/compare.html")
    def compare(job_id: str) -> Response:
        job = service.job(job_id)
        jobs = runner.comparable(job)
        if len(jobs) < 2:
            raise HTTPException(404, f"job '{job_id}' has no other finished picture made from the same pictures to "
                                     "compare with: make another with other settings, then compare")
        ids = tuple(j.id for j in jobs)
        if job.comparison is None or job.comparison[0] != ids:
            stopped = [j.message.split(";")[0] if j.state == "stopped" else "" for j in jobs]  # named as asked
            job.comparison = ids, engine.compared([j.spec for j in jobs], [j.picture()[0] for j in jobs],
                                                  service.store, service.models, job.measured_frame, stopped)
        return Response(job.comparison[1], media_type="text/html")


def _kept_picture(job: WebJob, folder: Path) -> str:
    """Write a stopped job's picture so far into ``folder``; where it went, or why it could not be written."""
    try:
        path = images.save_image(job.result.image, folder / download_name(job, "_stopped.png"), alpha=job.result.alpha)
    except (OSError, StylegramError) as err:  # a read-only folder: said, not a traceback at the server's end
        return f"its picture so far could not be written to {folder} ({getattr(err, 'strerror', None) or err})"
    return f"its picture so far is in {path}"


def download_name(job: WebJob, suffix: str) -> str:
    """What a result downloads as: its pictures, method and job, e.g. chelsea_swirls_gatys_Xk3a9q.png (was
    stylegram-gatys-Xk3a9q_Lp2z.png, which said nothing of what is in it)."""
    spec = job.spec
    named = ([spec.content] if spec.content else []) + list(spec.styles[:2])
    stems = [re.sub(r"[^A-Za-z0-9]+", "-", Path(upload.name).stem).strip("-")[:24] or "image" for upload in named]
    more = [f"{len(spec.styles) - 2}more"] if len(spec.styles) > 2 else []
    return "_".join([*stems, *more, spec.method, job.id[:6]]) + suffix


def _png(image, alpha=None) -> bytes:
    """A (1, 3, H, W) image in [0, 1] as PNG bytes, with the transparency ``alpha`` (1, 1, h, w) if given."""
    buffer = io.BytesIO()
    picture = images.to_image(image)
    (picture if alpha is None else images.with_alpha(picture, alpha)).save(buffer, "PNG")
    return buffer.getvalue()


async def _stream(job: WebJob, seen: int, closing: threading.Event):
    """Server-sent events: replay the job's events after ``seen``, then follow it until it ends (or the server)."""
    sent_preview = 0
    seen = min(seen, len(job.events))
    if job.terminal:  # a page resuming after the last event gets the final state again, and knows to stop
        seen = min(seen, len(job.events) - 1)
    yield "retry: 2000\n\n"
    while not closing.is_set():
        ended = False
        preview = job.preview  # before the events: the page stops listening at the final state, and a job's last
        if preview and preview["version"] > sent_preview:  # picture (a one-pass job's only one) is set before it
            sent_preview = preview["version"]
            yield f"event: preview\ndata: {json.dumps(preview)}\n\n"
        for event in job.since(seen):
            yield f"id: {event.seq}\nevent: {event.kind}\ndata: {json.dumps(event.data)}\n\n"
            seen = event.seq
            ended = event.kind == "state" and event.data["state"] in TERMINAL
        if ended:
            return
        await job.wait(seen, sent_preview, KEEPALIVE)
        if not job.since(seen) and (job.preview or {}).get("version", 0) <= sent_preview:
            yield ": keep-alive\n\n"


class LocalGuard:
    """ASGI middleware: answer only to the allowed Host names, refuse cross-site writes, add security headers.

    The Host check stops DNS rebinding (a web site whose name resolves to 127.0.0.1); the Origin check stops
    another site's page from uploading or starting jobs through the browser. Tools like curl send no Origin.
    """

    def __init__(self, app, hosts: list[str] | None = None):
        self.app, self.hosts = app, None if hosts is None else {h.lower() for h in hosts}

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        host = headers.get("host", "")
        if self.hosts is not None and _hostname(host) not in self.hosts:
            return await _refuse(send, 400, f"this server answers only to {', '.join(sorted(self.hosts))}, not "
                                            f"'{host}'; open it by that address")
        origin = headers.get("origin")
        if scope["method"] not in ("GET", "HEAD", "OPTIONS") and origin is not None and urlsplit(origin).netloc != host:
            return await _refuse(send, 403, f"cross-site request from {origin} refused; use the page this server serves")

        async def send_with_headers(message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _hostname(host: str) -> str:
    """'127.0.0.1:8000' -> '127.0.0.1', '[::1]:8000' -> '::1'."""
    match = re.fullmatch(r"\[([^\]]*)\](?::\d+)?|([^:]*)(?::\d+)?", host.strip().lower())
    return (match[1] or match[2] or "") if match else host


async def _refuse(send, status: int, message: str) -> None:
    body = json.dumps({"detail": message}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})

