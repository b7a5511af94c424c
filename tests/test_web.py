"""The web page's API through an ASGI test client, and a real server on 127.0.0.1 for liveness and the CLI."""

from __future__ import annotations

import asyncio
import io
import json
import os
import re
import shlex
import socket
import subprocess
import sys
import threading
import time
import types
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

pytest.importorskip("fastapi", reason="the web extra is not installed: pip install -e '.[web]'")
httpx = pytest.importorskip("httpx", reason="httpx is not installed")

with warnings.catch_warnings():  # starlette's test client warns that it would prefer another httpx
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient  # noqa: E402

from stylegram import cli, gatys, images, synthesis, tiles  # noqa: E402
from stylegram.errors import OptionError  # noqa: E402
from stylegram.job import Result  # noqa: E402
from stylegram.statistics import STATISTICS  # noqa: E402
from stylegram.web import create_app, engine, running  # noqa: E402
from stylegram.web.app import STATIC, JobRequest, _stream  # noqa: E402
from stylegram.web.uploads import UploadStore  # noqa: E402

TINY = {"size": 64, "min_size": 64, "iterations": "3"}  # one scale, three iterations


def png(width: int, height: int, seed: int = 0) -> bytes:
    """A small picture with some structure (a gradient plus noise) as PNG bytes."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    base = np.stack([x / width, y / height, (x + y) / (width + height)], -1)
    pixels = np.clip(base * 200 + rng.normal(0, 25, (height, width, 3)), 0, 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "PNG")
    return buffer.getvalue()


def sse(text: str) -> list[dict]:
    """Parse a server-sent-event stream into [{"id", "event", "data"}]."""
    events = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        fields, data = {}, []
        for line in block.split("\n"):
            if not line or line.startswith(":"):
                continue
            key, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if key == "data":
                data.append(value)
            else:
                fields[key] = value
        if data:
            events.append({"id": int(fields["id"]) if "id" in fields else None,
                           "event": fields.get("event", "message"), "data": json.loads("\n".join(data))})
    return events


@pytest.fixture
def client():
    app = create_app(max_upload_bytes=100_000, max_pixels=40_000, max_size=256, preview_every=1)
    with TestClient(app) as test_client:
        yield test_client


def upload(client, data: bytes, name: str = "picture.png"):
    return client.post("/api/uploads", params={"name": name}, content=data)


def uploaded(client, data: bytes, name: str = "picture.png") -> str:
    response = upload(client, data, name)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def start(client, **body) -> dict:
    response = client.post("/api/jobs", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def wait_for(client, job_id: str, condition, timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"/api/jobs/{job_id}").json()
        if condition(job):
            return job
        time.sleep(0.02)
    raise AssertionError(f"job {job_id} never reached the condition: {job}")


# --------------------------------------------------------------------------------------- page


def test_page_and_its_files_come_from_the_server_only(client):
    page = client.get("/")
    assert page.status_code == 200 and "<title>stylegram</title>" in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    for name in re.findall(r'(?:src|href)="/static/([^"]+)"', page.text):  # every file the page names is served
        assert client.get(f"/static/{name}").status_code == 200, name
    assert {"app.js", "painter.js", "style.css"} <= set(re.findall(r'(?:src|href)="/static/([^"]+)"', page.text))
    for path in STATIC.iterdir():  # nothing fetched from outside: no external src/href/url()/import
        text = path.read_text()
        assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//|url\(\s*["']?(https?:)?//|@import""", text), path


def test_config_reports_methods_defaults_and_limits(client):
    config = client.get("/api/config").json()
    assert config["methods"] == ["gatys", "adain", "wct", "texture"]
    assert config["defaults"]["gatys"]["style_weight"] == gatys.TransferOptions().style_weight
    assert config["defaults"]["gatys"]["init"] == "auto" and "init" not in config["fields"]["adain"]
    assert config["limits"]["upload_bytes"] == 100_000 and config["limits"]["max_size"] == 256
    assert config["reads_heic"] == images.HEIF and ".heic" in config["image_types"]


def test_a_jobs_inputs_download_as_a_zip_whose_command_runs_there(client, monkeypatch, tmp_path):
    """A painted mask or label map existed only on the page, and the parameters file's command named it."""
    import zipfile

    from stylegram import samples

    content = uploaded(client, png(80, 60), "cat.png")
    style = upload(client, png(64, 64, 1), "my swirls.png").json()
    other = uploaded(client, png(64, 64, 2), "other.png")
    left, right = uploaded(client, mask_png(80, 60, True), "left.png"), uploaded(client, mask_png(80, 60, False),
                                                                                   "right.png")
    monkeypatch.setattr(samples, "by_digest", lambda: {style["sha256"]: "swirls"})  # as if the page's sample
    job = start(client, content=content, styles=[style["id"], other], style_masks=[left, right], **TINY)
    sse(client.get(job["urls"]["events"]).text)
    got = client.get(job["urls"]["inputs"])
    assert got.status_code == 200 and got.headers["content-type"] == "application/zip"
    assert got.headers["content-disposition"].endswith(f'_gatys_{job["id"][:6]}_inputs.zip"')
    archive = zipfile.ZipFile(io.BytesIO(got.content))
    params_name = f"cat_my-swirls_other_gatys_{job['id'][:6]}_params.json"
    assert sorted(archive.namelist()) == sorted([params_name, "cat.png", "other.png", "left.png", "right.png"])
    assert archive.read("left.png") == mask_png(80, 60, True)  # the bytes as uploaded; the sample's left to its name
    assert {name: archive.getinfo(name).external_attr >> 16 & 0o777 for name in (params_name, "left.png")} == \
        {params_name: 0o644, "left.png": 0o644}  # the parameters file was 0600
    command = json.loads(archive.read(params_name))["command"]
    assert command.startswith("stylegram transfer cat.png sample:swirls other.png -o result.png")
    archive.extractall(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert cli.main(shlex.split(command)[1:] + ["--quiet"]) == 0  # the command runs there as it is
    made = np.asarray(Image.open(tmp_path / "result.png"))
    assert made.shape == (48, 64, 3) and made.std() > 5

    twin = uploaded(client, png(64, 64, 3), "other.png")  # another file under a name the job has
    clash = start(client, content=content, styles=[other, twin], size=64, method="adain")
    sse(client.get(clash["urls"]["events"]).text)
    refused = client.get(clash["urls"]["inputs"])
    assert refused.status_code == 409 and "two different inputs of this job are both named other.png" in \
        refused.json()["detail"]
    assert client.delete(f"/api/uploads/{left}").status_code == 204  # removed from the page once the job was done
    gone = client.get(job["urls"]["inputs"])
    assert gone.status_code == 410 and gone.json()["detail"].startswith(f"left.png, an input of job '{job['id']}', "
                                                                        "is no longer on the server")
    explained = client.get(job["urls"]["explain"])  # it said 'left.png: no such file; check the path'
    assert explained.status_code == 410 and explained.json()["detail"].endswith(
        "is no longer on the server (removed from the page, or the oldest of too many uploads); its picture cannot "
        "be measured against it")
    again = uploaded(client, mask_png(80, 60, True), "left.png")  # the same mask once more: later jobs compare, and
    later = [start(client, content=content, styles=[style["id"], other], style_masks=[again, right],
                   **{**TINY, "seed": seed}) for seed in (1, 2)]  # the job whose mask went is left out, not failing
    for made in later:
        sse(client.get(made["urls"]["events"]).text)
    page = client.get(client.get(later[1]["urls"]["self"]).json()["urls"]["compare"])
    assert page.status_code == 200 and re.findall(r"<tr><td>(\d: [^<]+)</td><td><strong>", page.text) == \
        ["1: seed 1", "2: seed 2"]


def test_the_sample_pictures_are_listed_and_served_for_the_page_to_upload(client, monkeypatch):
    from stylegram import samples

    listed = client.get("/api/samples").json()
    assert {"name": "swirls", "kind": "style"} in listed and {"name": "chelsea", "kind": "photo"} in listed
    assert [s["name"] for s in listed] == samples.available()
    served = client.get("/api/samples/swirls")
    assert served.status_code == 200 and served.headers["content-type"] == "image/png"
    assert served.content == samples.path("swirls").read_bytes()
    missing = client.get("/api/samples/nosuch")
    assert missing.status_code == 404
    assert missing.json()["detail"] == "no sample picture named 'nosuch' here; GET /api/samples lists them"
    monkeypatch.setattr(samples, "available", lambda: list(samples.OWN))  # without scikit-image
    assert [s["name"] for s in client.get("/api/samples").json()] == ["swirls", "mosaic"]
    assert client.get("/api/samples/chelsea").status_code == 404


@pytest.fixture
def roomy_client():
    with TestClient(create_app()) as test_client:  # the default upload limit, above the site's 340 kB picture
        yield test_client


def test_a_picture_by_its_web_address_is_fetched_for_the_page(roomy_client, site):
    """A picture dragged from another tab brings its address, which the page may not read itself."""
    client = roomy_client
    served = client.get("/api/remote", params={"url": f"{site.url}/swirls.png"})
    assert served.status_code == 200 and served.content == site.png
    assert served.headers["content-type"] == "image/png" and 'filename="swirls.png"' in served.headers["content-disposition"]
    page = client.get("/api/remote", params={"url": f"{site.url}/page.html"})
    assert page.status_code == 400 and "is a web page (text/html), not a picture" in page.json()["detail"]
    assert client.get("/api/remote", params={"url": "file:///etc/passwd"}).json()["detail"] == (
        "'file:///etc/passwd' is not a web address (http:// or https://)")


def test_a_server_other_machines_reach_fetches_no_addresses_for_them(site):
    app = create_app(fetch_addresses=False)  # stylegram serve --host 0.0.0.0
    with TestClient(app) as client:
        refused = client.get("/api/remote", params={"url": f"{site.url}/swirls.png"})
    assert refused.status_code == 403 and "fetches no web addresses" in refused.json()["detail"]
    assert site.requests == []


def test_a_fetched_picture_over_the_upload_limit_is_refused(client, site):
    refused = client.get("/api/remote", params={"url": f"{site.url}/swirls.png"})  # 340 kB, over its 100 kB
    assert refused.status_code == 413 and "over this server's upload limit" in refused.json()["detail"]


# ------------------------------------------------------------------------------------ uploads


def test_upload_is_decoded_and_stored_under_a_server_chosen_name(client):
    response = upload(client, png(40, 30), name="../../etc/evil name.png")
    assert response.status_code == 201
    body = response.json()
    assert (body["name"], body["width"], body["height"]) == ("evil name.png", 40, 30)
    folder = client.app.state.service.store.folder
    assert [p.name for p in folder.iterdir()] == [f"{body['id']}.upload"]
    assert client.get(f"/api/uploads/{body['id']}").json()["sha256"] == body["sha256"]
    # a comma would split the name in the command line's --style-masks: it is shown as _
    assert upload(client, png(40, 30), name="sky,left.png").json()["name"] == "sky_left.png"


def test_a_picture_is_served_as_png_for_browsers_that_cannot_show_its_format(client):
    """A TIFF (or HEIC) upload, which browsers do not display, comes back as PNG for the page's thumbnail and
    painters: the same pixels, its transparency kept."""
    pixels = np.zeros((30, 40, 4), np.uint8)
    pixels[..., 0] = np.arange(40, dtype=np.uint8)[None, :] * 6
    pixels[..., 3] = 255
    pixels[:, :10, 3] = 0  # a transparent strip
    buffer = io.BytesIO()
    Image.fromarray(pixels, "RGBA").save(buffer, "TIFF")
    served = client.get(f"/api/uploads/{uploaded(client, buffer.getvalue(), 'scan.tif')}/frame.png")
    assert served.status_code == 200 and served.headers["content-type"] == "image/png"
    shown = np.asarray(Image.open(io.BytesIO(served.content)))
    assert shown.shape == (30, 40, 4) and (shown[:, :10, 3] == 0).all() and (shown[:, 10:, 3] == 255).all()
    assert np.array_equal(shown[:, 10:, :3], pixels[:, 10:, :3])


def test_a_large_jpeg_content_is_decoded_at_the_scale_the_job_needs(monkeypatch):
    """A phone's photo as the content of a one-pass job is decoded by the JPEG decoder at a reduced scale that still
    covers the job's size (256 px here), as batch reads it, and so is it when the picture is measured;
    the result is as large as from a full decode."""
    from PIL import JpegImagePlugin

    buffer = io.BytesIO()
    Image.fromarray((np.random.default_rng(0).random((768, 1024, 3)) * 255).astype(np.uint8)).save(buffer, "JPEG")
    drafted, real = [], JpegImagePlugin.JpegImageFile.draft
    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "draft",
                        lambda self, mode, size: drafted.append(size) or real(self, mode, size))
    with TestClient(create_app()) as client:
        content = uploaded(client, buffer.getvalue(), "photo.jpg")
        job = start(client, method="adain", content=content, styles=[uploaded(client, png(64, 64), "style.png")],
                    size=256)
        assert wait_for(client, job["id"], lambda j: j["state"] in ("done", "failed"))["state"] == "done"
        assert Image.open(io.BytesIO(client.get(job["urls"]["result"]).content)).size == (256, 192)
        assert (256, 192) in drafted
        drafted.clear()
        assert "moved" in client.get(job["urls"]["measured"]).json()
    assert drafted == [(256, 192)]  # its numbers measured from the content as the job read it, not a full decode


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_oversize_upload_is_413_with_a_message(client, chunked):
    data = b"\x89PNG" + bytes(150_000)
    content = iter([data[i : i + 16_384] for i in range(0, len(data), 16_384)]) if chunked else data
    response = client.post("/api/uploads", params={"name": "huge.png"}, content=content)
    assert response.status_code == 413
    expected = "is larger than" if chunked else "is 0.2 MB, over"  # a chunked body's size is known only in part
    assert response.json()["detail"].startswith(f"huge.png {expected} this server's upload limit of 0.1 MB; use a "
                                                "smaller file (or start the server with ")
    assert list(client.app.state.service.store.folder.iterdir()) == []  # nothing kept


def test_non_image_upload_is_422_with_the_loaders_message(client):
    response = upload(client, b"hello, I am not a picture\n", name="notes.txt")
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert detail.startswith("notes.txt is not an image") and "PNG, JPEG" in detail
    assert str(client.app.state.service.store.folder) not in detail  # messages name the upload, not the file
    form = client.post("/api/uploads", params={"name": "cat.png"}, files={"file": ("cat.png", png(8, 8), "image/png")})
    assert form.status_code == 415 and "not a form (curl --data-binary @FILE, not -F)" in form.json()["detail"]


def test_too_many_pixels_and_empty_uploads_are_refused(client):
    flat = io.BytesIO()
    Image.new("RGB", (250, 200), (90, 120, 200)).save(flat, "PNG")  # few bytes, many pixels
    response = upload(client, flat.getvalue(), name="big.png")
    assert response.status_code == 422
    assert "big.png is 250x200 = 50,000 pixels, over the limit of 40,000" in response.json()["detail"]
    assert "raise the limit: start the server with stylegram serve --max-pixels 50000" in response.json()["detail"]
    empty = upload(client, b"", name="empty.png")
    assert empty.status_code == 400 and "empty.png is empty" in empty.json()["detail"]


# --------------------------------------------------------------------------------------- jobs


def test_job_on_a_missing_upload_is_404_with_a_message(client):
    style = uploaded(client, png(64, 64, 1))
    response = client.post("/api/jobs", json={"content": "no-such-id", "styles": [style], **TINY})
    assert response.status_code == 404
    assert "content upload 'no-such-id' does not exist" in response.json()["detail"]
    assert "upload the image again" in response.json()["detail"]


def test_bad_settings_are_clear_4xx(client):
    content, style = uploaded(client, png(80, 60)), uploaded(client, png(64, 64, 1))
    cases = [
        ({"size": 999}, 422, "size 999 px is over this server's limit of 256 px"),
        ({"colors": "purple"}, 422, "colors: Input should be 'style', 'match', 'original' or 'luminance'"),
        ({"init": "/etc/passwd"}, 422, "init: Input should be 'content', 'recolor', 'noise', 'gray', 'adain' or 'auto'"),
        ({"sharpness": 3}, 422, "sharpness is not a setting; GET /api/config lists the settings"),
        ({"sise": 96}, 422, "sise is not a setting; did you mean size?"),
        ({"size": 0}, 422, "size: must be 16 or more, got 0"),
        ({"alpha": 1.5}, 422, "alpha: must be 1.0 or less, got 1.5"),
        ({"iterations": "x"}, 422, "iterations: 'x' is not a count per scale"),
        ({"iterations": True}, 422, "iterations: Input should be a valid string"),
        ({"iterations": "3,x"}, 422, "iterations: '3,x' is not a count per scale, coarse to fine, like 20,90, or auto"),
        ({"style_blend": "0.7 0.3"}, 422, "style_blend: '0.7 0.3' is not one weight per style, like 0.7,0.3"),
        ({"style_blend": "0.5,0.5"}, 400, "style blend has 2 weights for 1 style;"),  # the library's own checks
        # the library names its flags; the page names its settings ("--size" on the command line)
        ({"size": 128}, 400, '"Size" 128 is larger than the content image (80 px on its long side)'),
        ({"size": 128}, 400, 'tick "allow a size larger than the content" to enlarge it'),  # a box, not "pass"
        ({"alpha": 0.5}, 400, "alpha is not a setting of the gatys method (it has size, content_weight,"),
        ({"content_weight": 0, "style_weight": 0, "tv_weight": 0}, 400, "all 0, so there is nothing to optimize"),
    ]
    for settings, status, message in cases:
        response = client.post("/api/jobs", json={"content": content, "styles": [style], **settings})
        assert response.status_code == status, (settings, response.text)
        assert message in response.json()["detail"], (settings, response.text)
    assert JobRequest(styles=["a"], iterations=90).iterations == "90"  # a count sent as a number, as the CLI's
    response = client.post("/api/jobs", json={"styles": [style]})
    assert response.status_code == 400 and "needs a content image" in response.json()["detail"]
    response = client.post("/api/jobs", content=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 422 and response.json()["detail"].startswith("the request body is not JSON (")
    response = client.post("/api/jobs", json={"method": "texture", "content": content, "styles": [style]})
    assert response.status_code == 400 and "texture synthesis has no content image" in response.json()["detail"]
    # settings a method does not read are refused, as on the command line, rather than dropped unseen
    response = client.post("/api/jobs", json={"method": "adain", "content": content, "styles": [style],
                                              "iterations": "3", "init": "noise"})
    assert response.status_code == 400
    assert response.json()["detail"].startswith("init, iterations are not settings of the adain method (it has size,")
    thin = uploaded(client, png(60, 10))
    for method in ("adain", "wct", "gatys"):  # the one-pass methods are checked at submit too, not when they run
        response = client.post("/api/jobs", json={"method": method, "content": thin, "styles": [style]})
        detail = response.json()["detail"]
        assert response.status_code == 400 and "the content image" in detail and "60x10 px" in detail, method


def test_job_streams_progress_in_order_and_its_result_downloads(client, tmp_path):
    content_png, style_png = png(80, 60), png(64, 64, 1)
    content, style = uploaded(client, content_png, "cat.png"), uploaded(client, style_png, "swirls.png")
    job = start(client, content=content, styles=[style], **TINY)
    # the single worker may pick the job up before the response is written: queued or already running
    assert job["state"] in ("queued", "running") and job["inputs"] == {"content": "cat.png", "styles": ["swirls.png"]}

    stream = client.get(job["urls"]["events"])
    assert stream.headers["content-type"].startswith("text/event-stream")
    events = sse(stream.text)
    ids = [e["id"] for e in events if e["id"] is not None]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    progress = [e["data"] for e in events if e["event"] == "progress"]
    assert [p["iteration"] for p in progress] == [1, 2, 3]
    assert all(p["total"] == 3 and p["size"] == [64, 48] and "style.relu1_1" in p["losses"] for p in progress)
    assert [p["stage"] for p in progress] == ["scale 1 of 1"] * 2 + ["scale 1 of 1, pixel polish"]  # 3 // 2 polished
    assert [p["elapsed"] for p in progress] == sorted(p["elapsed"] for p in progress)
    states = [e["data"]["state"] for e in events if e["event"] == "state"]
    assert states[0] == "queued" and "running" in states and states[-1] == "done"
    # The last state says the job's whole time, which the page shows under the picture and on the job's card alike.
    listed = client.get("/api/jobs").json()[-1]
    last = [e["data"] for e in events if e["event"] == "state"][-1]
    assert last["seconds"] == listed["finished"] - listed["started"] >= progress[-1]["elapsed"]
    params = client.get(job["urls"]["params"]).json()  # its own time, and the page's beside it
    assert params["seconds_in_all"] == round(last["seconds"], 3) >= params["seconds"] > 0
    said = [e["data"]["message"] for e in events if e["event"] == "state"][-1]
    assert re.fullmatch(r'"Start from" auto chose the content in (the style\'s palette|its own colours) as the start',
                        said), said  # the page says which start auto took, as the command line's 'wrote' line does
    previews = [e["data"] for e in events if e["event"] == "preview"]
    assert len(previews) >= 2 and all(p["image"].startswith("data:image/png;base64,") for p in previews)

    result = client.get(job["urls"]["result"])
    assert result.status_code == 200 and result.headers["content-type"] == "image/png"
    named = f'attachment; filename="cat_swirls_gatys_{job["id"][:6]}'  # what is in it, not an opaque id
    assert result.headers["content-disposition"] == f'{named}.png"'
    image = np.asarray(Image.open(io.BytesIO(result.content)))
    assert image.shape == (48, 64, 3)
    assert client.get(job["urls"]["params"]).headers["content-disposition"] == f'{named}_params.json"'
    params = client.get(job["urls"]["params"]).json()
    assert params["state"] == "done" and params["iterations"] == 3
    assert params["options"]["size"] == 64 and params["options"]["iterations"] == "3"
    assert params["inputs"]["content"]["name"] == "cat.png"
    assert params["command"] == "stylegram transfer cat.png swirls.png -o result.png --size 64 --iterations 3 --min-size 64"

    # The parameters make the same image with the library from the same files.
    (tmp_path / "cat.png").write_bytes(content_png)
    (tmp_path / "swirls.png").write_bytes(style_png)
    again = gatys.transfer(str(tmp_path / "cat.png"), [str(tmp_path / "swirls.png")], **TINY)
    assert np.array_equal(np.asarray(images.to_image(again.image)), image)

    # A page that reconnects (EventSource sends Last-Event-ID) gets only what it has not seen.
    resumed = sse(client.get(job["urls"]["events"], headers={"Last-Event-ID": str(ids[-2])}).text)
    assert [e["id"] for e in resumed if e["id"] is not None] == [ids[-1]]
    # One that reconnects after the last event (or with an id from nowhere) gets the final state again, and the
    # stream ends: it used to send keep-alives forever.
    finished = client.app.state.service.runner.jobs[job["id"]]
    for last in (ids[-1], 999):
        chunks = asyncio.run(asyncio.wait_for(collect(_stream(finished, last, threading.Event())), 10))
        replay = sse("".join(chunks))
        assert [(e["id"], e["data"]["state"]) for e in replay if e["event"] == "state"] == [(ids[-1], "done")]


async def collect(stream) -> list[str]:
    return [chunk async for chunk in stream]


def test_parameters_record_the_iterations_that_ran_not_auto():
    """--iterations auto depends on the CPU, so the parameters file and its command give the counts it chose."""
    store = UploadStore(100_000, 40_000)
    content = store.check(asyncio.run(store.receive(chunks(png(80, 60)), "cat.png")))
    spec = engine.make_spec("gatys", {"size": 64}, content, [content])
    assert spec.options.iterations == "auto"
    ran = Result(torch.zeros(1, 3, 48, 64), [], spec.options.replace(iterations="20,90"), 1.0)
    params = engine.params(spec, ran, "done")
    assert params["options"]["iterations"] == "20,90" and "--iterations 20,90" in params["command"]
    assert engine.params(spec, None, "queued")["options"]["iterations"] == "auto"  # nothing ran yet
    store.close()


async def chunks(data: bytes):
    yield data


def test_finished_jobs_beyond_the_limit_are_forgotten_as_they_end(client):
    runner = client.app.state.service.runner
    runner.keep = 1
    content, style = uploaded(client, png(80, 60)), uploaded(client, png(64, 64, 1))
    long = {"content": content, "styles": [style], "size": 64, "min_size": 64, "iterations": "500"}
    first, second = start(client, **long), start(client, **long)
    client.post(second["urls"]["stop"])  # cancelled while it waits
    wait_for(client, first["id"], lambda j: j["state"] == "running")
    client.post(first["urls"]["stop"])
    deadline = time.monotonic() + 30
    while list(runner.jobs) != [first["id"]]:  # the cancelled one goes when the stopped one ends, not at a submit
        assert time.monotonic() < deadline, list(runner.jobs)
        time.sleep(0.02)
    assert runner.jobs[first["id"]].state == "stopped"


def test_a_results_settings_are_its_options_away_from_the_defaults_in_short():
    options = gatys.TransferOptions(method="adain", alpha=0.5)
    assert engine.settings_text(engine.Spec("adain", options, None, [])) == "alpha 0.5"  # the method is named beside
    many = gatys.TransferOptions(size=200, iterations="400", seed=3, upscale=True, tv_weight=1.0, pooling="avg")
    assert engine.settings_text(engine.Spec("gatys", many, None, [], tile=128)) == (
        "size 200, tv-weight 1.0, iterations 400, pooling avg and 3 more")  # in the order of the fields
    assert engine.settings_text(engine.Spec("gatys", gatys.TransferOptions(), None, [])) == ""


def test_a_sample_chosen_on_the_page_is_named_as_the_command_line_takes_it():
    """The page uploads a sample as a file (gravel.png), and the parameters' command named that file, which the
    command line would not find where the parameters were downloaded."""
    from stylegram import samples

    with TestClient(create_app(preview_every=1)) as client:
        example = uploaded(client, samples.path("gravel").read_bytes(), "gravel.png")
        job = start(client, method="texture", styles=[example], **TINY)
        events = sse(client.get(job["urls"]["events"]).text)
        assert [e["data"]["state"] for e in events if e["event"] == "state"][-1] == "done"
        command = client.get(job["urls"]["params"]).json()["command"]
    assert command.startswith("stylegram texture sample:gravel -o result.png")
    assert engine.as_given(engine.Upload("x", "gravel.png", Path("x"), sha256="0" * 64)) == "gravel.png"  # edited


def test_gatys_job_starts_where_the_page_says(client, tmp_path):
    content_png, style_png = png(80, 60), png(64, 64, 1)
    content, style = uploaded(client, content_png, "cat.png"), uploaded(client, style_png, "swirls.png")
    job = start(client, content=content, styles=[style], init="recolor", **TINY)
    events = sse(client.get(job["urls"]["events"]).text)
    assert [e["data"]["state"] for e in events if e["event"] == "state"][-1] == "done"
    params = client.get(job["urls"]["params"]).json()
    assert params["options"]["init"] == "recolor" and "--init recolor" in params["command"]
    image = np.asarray(Image.open(io.BytesIO(client.get(job["urls"]["result"]).content)))
    (tmp_path / "cat.png").write_bytes(content_png)
    (tmp_path / "swirls.png").write_bytes(style_png)
    for init, same in [("recolor", True), ("content", False)]:
        again = gatys.transfer(str(tmp_path / "cat.png"), [str(tmp_path / "swirls.png")], init=init, **TINY)
        assert np.array_equal(np.asarray(images.to_image(again.image)), image) is same, init


def mask_png(width: int, height: int, left: bool, clear: bool = False) -> bytes:
    """A mask: white on the left (or right) half, black (or, with ``clear``, transparent) elsewhere."""
    pixels = np.zeros((height, width, 4), np.uint8)
    half = slice(0, width // 2) if left else slice(width // 2, width)
    pixels[:, half] = 255
    if not clear:
        pixels[..., 3] = 255
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "PNG")
    return buffer.getvalue()


def black_png(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("L", (width, height)).save(buffer, "PNG")
    return buffer.getvalue()


def test_masks_put_each_style_in_its_region_as_the_command_line_does(client, tmp_path):
    files = {"cat.png": png(80, 60), "a.png": png(64, 64, 1), "b.png": png(64, 64, 2),
             "left.png": mask_png(80, 60, True, clear=True), "right.png": mask_png(80, 60, False)}
    ids = {name: uploaded(client, data, name) for name, data in files.items()}
    job = start(client, content=ids["cat.png"], styles=[ids["a.png"], ids["b.png"]],
                style_masks=[ids["left.png"], ids["right.png"]], **TINY)
    assert job["inputs"]["masks"] == ["left.png", "right.png"]
    events = sse(client.get(job["urls"]["events"]).text)
    progress = [e["data"] for e in events if e["event"] == "progress"]
    assert {"style.relu3_1.1", "style.relu3_1.2"} <= set(progress[-1]["losses"])
    params = client.get(job["urls"]["params"]).json()
    assert params["options"]["style_masks"] == "left.png,right.png"
    assert [m["name"] for m in params["inputs"]["masks"]] == ["left.png", "right.png"]
    assert params["command"] == ("stylegram transfer cat.png a.png b.png -o result.png --size 64 "
                                 "--style-masks left.png,right.png --iterations 3 --min-size 64")
    image = np.asarray(Image.open(io.BytesIO(client.get(job["urls"]["result"]).content)))
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    path = lambda name: str(tmp_path / name)  # noqa: E731
    again = gatys.transfer(path("cat.png"), [path("a.png"), path("b.png")],
                           style_masks=f"{path('left.png')},{path('right.png')}", **TINY)
    assert np.array_equal(np.asarray(images.to_image(again.image)), image)  # the clear half counted as black
    unmasked = gatys.transfer(path("cat.png"), [path("a.png"), path("b.png")], **TINY)
    assert not np.array_equal(np.asarray(images.to_image(unmasked.image)), image)

    adain = start(client, method="adain", content=ids["cat.png"], styles=[ids["a.png"], ids["b.png"]],
                  style_masks=[ids["left.png"], ids["right.png"]], size=64)
    assert [e["data"]["state"] for e in sse(client.get(adain["urls"]["events"]).text) if e["event"] == "state"][-1] == "done"
    blended = client.post("/api/jobs", json={"method": "adain", "content": ids["cat.png"], "style_blend": "0.7,0.3",
                                             "styles": [ids["a.png"], ids["b.png"]], "size": 64,
                                             "style_masks": [ids["left.png"], ids["right.png"]]})
    assert blended.status_code == 400 and '"Style blend" with "Masks" applies to "Method" gatys only' in \
        blended.json()["detail"]  # was '... applies to --method gatys only', a flag the page does not have


@pytest.mark.parametrize("masks, words", [
    (["left.png", None], "style image b.png has no mask; give every style image a mask (where it paints), or remove"),
    (["left.png"], "1 masks for 2 style images; give one mask per style image"),
    (["black.png", "right.png"], "style mask 1 is black everywhere, so style 1 would paint nothing"),
    (["square.png", "right.png"], "style mask 1 is 60x60 px and the content 80x60: a mask needs the content's aspect"),
])
def test_masks_the_page_gets_wrong_are_a_400_that_says_what_to_do(client, masks, words):
    files = {"cat.png": png(80, 60), "a.png": png(64, 64, 1), "b.png": png(64, 64, 2),
             "left.png": mask_png(80, 60, True), "right.png": mask_png(80, 60, False),
             "black.png": black_png(80, 60), "square.png": mask_png(60, 60, True)}
    ids = {name: uploaded(client, data, name) for name, data in files.items()}
    response = client.post("/api/jobs", json={"content": ids["cat.png"], "styles": [ids["a.png"], ids["b.png"]],
                                              "style_masks": [ids[m] if m else None for m in masks], **TINY})
    assert response.status_code == 400 and words in response.json()["detail"], response.text


def two_part_png(size: int = 64) -> bytes:
    """One style picture, red stripes above and blue below."""
    pixels = np.zeros((size, size, 3), np.uint8)
    pixels[: size // 2, :, 0], pixels[size // 2:, :, 2] = 160, 160
    pixels[: size // 2, ::8, 0], pixels[size // 2:, ::6, 2] = 255, 255
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "PNG")
    return buffer.getvalue()


def half_png(size: int, top: bool) -> bytes:
    """A region: white over the top (or bottom) half of a square."""
    pixels = np.zeros((size, size), np.uint8)
    pixels[slice(0, size // 2) if top else slice(size // 2, size)] = 255
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "PNG")
    return buffer.getvalue()


def test_regions_lend_each_mask_a_part_of_one_style_as_the_command_line_does(client, tmp_path):
    """Semantic transfer from the page: one style picture given twice, its top painting the left of the photo and
    its bottom the right."""
    files = {"cat.png": png(96, 64), "both.png": two_part_png(), "left.png": mask_png(96, 64, True),
             "right.png": mask_png(96, 64, False), "top.png": half_png(64, True), "bottom.png": half_png(64, False)}
    ids = {name: uploaded(client, data, name) for name, data in files.items()}
    body = dict(content=ids["cat.png"], styles=[ids["both.png"]] * 2, style_masks=[ids["left.png"], ids["right.png"]],
                style_regions=[ids["top.png"], ids["bottom.png"]], size=96, min_size=96, iterations="30", init="recolor")
    job = start(client, **body)
    assert job["inputs"]["regions"] == ["top.png", "bottom.png"]
    assert [e["data"]["state"] for e in sse(client.get(job["urls"]["events"]).text) if e["event"] == "state"][-1] == "done"
    params = client.get(job["urls"]["params"]).json()
    assert params["options"]["style_regions"] == "top.png,bottom.png"
    assert [r["name"] for r in params["inputs"]["regions"]] == ["top.png", "bottom.png"]
    assert "--style-masks left.png,right.png --style-regions top.png,bottom.png" in params["command"]
    image = np.asarray(Image.open(io.BytesIO(client.get(job["urls"]["result"]).content)), float)
    left, right = image[:, :40], image[:, 56:]
    assert (left[..., 0] - left[..., 2]).mean() > 40 and (right[..., 2] - right[..., 0]).mean() > 40
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    path = lambda *names: ",".join(str(tmp_path / n) for n in names)  # noqa: E731
    again = gatys.transfer(path("cat.png"), [path("both.png")] * 2, style_masks=path("left.png", "right.png"),
                           style_regions=path("top.png", "bottom.png"),
                           **{k: v for k, v in body.items() if k not in ("content", "styles", "style_masks", "style_regions")})
    assert np.array_equal(np.asarray(images.to_image(again.image)), image.astype(np.uint8))
    wct = start(client, **{**body, "method": "wct", "iterations": None, "min_size": None, "init": None})
    assert [e["data"]["state"] for e in sse(client.get(wct["urls"]["events"]).text) if e["event"] == "state"][-1] == "done"
    for regions, status, words in [
        (["top.png", None], 400, "style image both.png has no region; give every style image a region (the part of it "
                                 "whose style it lends), or remove the regions"),
        (["top.png", "left.png"], 400, "style region 2 is 96x64 px and style image 2 64x64: a region needs its style "
                                       "image's aspect"),
    ]:
        response = client.post("/api/jobs", json={**body, "style_regions": [ids[r] if r else None for r in regions]})
        assert response.status_code == status and words in response.json()["detail"], response.text
    response = client.post("/api/jobs", json={"method": "texture", "styles": [ids["both.png"]],
                                              "style_regions": [ids["top.png"]]})
    assert response.status_code == 400 and "texture synthesis takes each example whole" in response.json()["detail"]


def label_png(width: int, height: int, split: str) -> bytes:
    """A label map: sky blue and grass green halves, left|right (split "x") or top|bottom ("y")."""
    pixels = np.zeros((height, width, 3), np.uint8)
    first = np.s_[:, : width // 2] if split == "x" else np.s_[: height // 2]
    pixels[...] = (40, 160, 60)
    pixels[first] = (135, 206, 235)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "PNG")
    return buffer.getvalue()


def test_label_maps_from_the_page_paint_like_colours_alike(client, monkeypatch):
    files = {"cat.png": png(96, 64), "both.png": two_part_png(), "cat_map.png": label_png(96, 64, "x"),
             "both_map.png": label_png(64, 64, "y"), "left.png": mask_png(96, 64, True)}
    ids = {name: uploaded(client, data, name) for name, data in files.items()}
    body = dict(content=ids["cat.png"], styles=[ids["both.png"]], labels=[ids["cat_map.png"], ids["both_map.png"]],
                size=96, min_size=96, iterations="30", init="recolor")
    job = start(client, **body)
    assert job["inputs"]["labels"] == ["cat_map.png", "both_map.png"] and job["labels_read"] is None  # not yet read
    states = [e["data"] for e in sse(client.get(job["urls"]["events"]).text) if e["event"] == "state"]
    assert states[-1]["state"] == "done"
    halves = [{"image": 1, "share": 0.5}]  # each colour: half the content, from half the style image
    read = [{"colour": "#87ceeb", "name": "sky blue (#87ceeb)", "share": 0.5, "sources": halves},
            {"colour": "#28a03c", "name": "green (#28a03c)", "share": 0.5, "sources": halves}]
    assert sorted(states[-1]["labels_read"], key=lambda p: p["colour"], reverse=True) == read
    parts = client.get(job["urls"]["measured"]).json()["parts"]  # the line under the picture names the file too
    assert sorted(parts) == ["label green (#28a03c) from both.png", "label sky blue (#87ceeb) from both.png"]
    assert client.get(job["urls"]["self"]).json()["labels_read"] == states[-1]["labels_read"]
    big = {"content": uploaded(client, png(192, 128)), "labels": [uploaded(client, label_png(192, 128, "x")),
                                                                ids["both_map.png"]]}
    monkeypatch.setattr(tiles, "TILE_ITERATIONS", 2)  # (40: 8 s for what is read before any tile)
    tiled = start(client, **{**body, **big, "size": 192, "min_size": 128, "tile": 128, "iterations": "3"})
    tiled_states = [e["data"] for e in sse(client.get(tiled["urls"]["events"]).text) if e["event"] == "state"]
    assert tiled_states[-1]["labels_read"] == states[-1]["labels_read"]  # read over the whole content, as one run
    one_pass = start(client, **{k: v for k, v in body.items() if k not in ("min_size", "iterations", "init")},
                     method="adain")
    one_states = [e["data"] for e in sse(client.get(one_pass["urls"]["events"]).text) if e["event"] == "state"]
    assert one_states[-1]["state"] == "done" and one_states[-1]["labels_read"] == states[-1]["labels_read"]  # was None
    params = client.get(job["urls"]["params"]).json()
    assert "--labels cat_map.png,both_map.png" in params["command"] and len(params["inputs"]["labels"]) == 2
    image = np.asarray(Image.open(io.BytesIO(client.get(job["urls"]["result"]).content)), float)
    left, right = image[:, :40], image[:, 56:]  # the sky (left) from the style's top (red), grass from its bottom
    assert (left[..., 0] - left[..., 2]).mean() > 40 and (right[..., 2] - right[..., 0]).mean() > 40
    for labels, extra, words in [
        (["cat_map.png", None], {}, "style image both.png has no label map; give the content and every style image a "
                                    "label map (flat colours, one per kind of thing), or remove the label maps"),
        ([None, "both_map.png"], {}, "the content cat.png has no label map"),
        (["cat_map.png", "both_map.png"], {"style_masks": [ids["left.png"]]},
         '"Label maps" makes the masks and regions from the label maps; give "Label maps", or "Masks" and "Regions"'),
    ]:
        response = client.post("/api/jobs", json={**body, **extra, "labels": [ids[m] if m else None for m in labels]})
        assert response.status_code == 400 and words in response.json()["detail"], response.text


def test_a_doodle_grows_a_texture_of_its_shape_from_the_parts_of_the_examples(client):
    """Texture with label maps (neural doodle): the doodle's sky (left) grows the example's top (red)."""
    files = {"both.png": two_part_png(), "both_map.png": label_png(64, 64, "y"), "doodle.png": label_png(120, 80, "x")}
    ids = {name: uploaded(client, data, name) for name, data in files.items()}
    body = dict(method="texture", styles=[ids["both.png"]], labels=[ids["doodle.png"], ids["both_map.png"]], size=96,
                min_size=48, iterations="20,20")
    job = start(client, **body)
    assert [e["data"]["state"] for e in sse(client.get(job["urls"]["events"]).text) if e["event"] == "state"][-1] == "done"
    params = client.get(job["urls"]["params"]).json()
    assert params["options"]["size"] == "96x64" and params["output"] == {"width": 96, "height": 64}
    assert "--labels doodle.png,both_map.png" in params["command"] and "--size 96x64" in params["command"]
    image = np.asarray(Image.open(io.BytesIO(client.get(job["urls"]["result"]).content)), float)
    left, right = image[:, :40], image[:, 56:]
    assert (left[..., 0] - left[..., 2]).mean() > 40 and (right[..., 2] - right[..., 0]).mean() > 40
    response = client.post("/api/jobs", json={**body, "labels": [None, ids["both_map.png"]]})
    assert response.status_code == 400 and "the output has no label map; give the output and every example a label" \
        in response.json()["detail"], response.text


def test_a_textures_height_and_tileable_reach_the_run_and_its_command_line(client, tmp_path):
    """Texture's Size is its width, Height its height (--size WxH), and tileable --tileable: the page's picture is
    the library's with those options."""
    example_png = png(64, 64, 1)
    example = uploaded(client, example_png, "bark.png")
    job = start(client, method="texture", styles=[example], size=64, height=32, tileable=True, iterations="3", seed=1)
    assert [e["data"]["state"] for e in sse(client.get(job["urls"]["events"]).text) if e["event"] == "state"][-1] == "done"
    params = client.get(job["urls"]["params"]).json()
    assert params["output"] == {"width": 64, "height": 32}
    assert "--size 64x32" in params["command"] and "--tileable" in params["command"]
    image = np.asarray(Image.open(io.BytesIO(client.get(job["urls"]["result"]).content)))
    (tmp_path / "bark.png").write_bytes(example_png)
    for tileable in (True, False):
        again = synthesis.texture(str(tmp_path / "bark.png"), size="64x32", tileable=tileable, iterations="3", seed=1)
        assert np.array_equal(np.asarray(images.to_image(again.image)), image) is tileable
    square = start(client, method="texture", styles=[example], size=48, iterations="1")
    assert [e["data"]["state"] for e in sse(client.get(square["urls"]["events"]).text) if e["event"] == "state"][-1] == "done"
    assert client.get(square["urls"]["params"]).json()["output"] == {"width": 48, "height": 48}  # no height: a square
    response = client.post("/api/jobs", json={"styles": [example], "content": example, "height": 32})
    assert response.status_code == 400 and "height is not a setting of the gatys method" in response.json()["detail"]
    doodle, example_map = uploaded(client, label_png(120, 80, "x"), "doodle.png"), uploaded(client, label_png(64, 64, "y"))
    response = client.post("/api/jobs", json={"method": "texture", "styles": [example], "height": 32,
                                              "labels": [doodle, example_map]})
    assert response.status_code == 400 and "a doodle gives the texture its shape" in response.json()["detail"]


def test_style_scale_reaches_the_run_and_its_command_line(client, tmp_path):
    content_png, style_png = png(80, 60), png(96, 96, 1)
    content, style = uploaded(client, content_png, "cat.png"), uploaded(client, style_png, "swirls.png")
    job = start(client, content=content, styles=[style], style_scale=0.7, **TINY)
    assert [e["data"]["state"] for e in sse(client.get(job["urls"]["events"]).text) if e["event"] == "state"][-1] == "done"
    params = client.get(job["urls"]["params"]).json()
    assert params["options"]["style_scale"] == 0.7 and "--style-scale 0.7" in params["command"]
    image = np.asarray(Image.open(io.BytesIO(client.get(job["urls"]["result"]).content)))
    (tmp_path / "cat.png").write_bytes(content_png)
    (tmp_path / "swirls.png").write_bytes(style_png)
    for scale, same in [(0.7, True), (1.0, False)]:
        again = gatys.transfer(str(tmp_path / "cat.png"), [str(tmp_path / "swirls.png")], style_scale=scale, **TINY)
        assert np.array_equal(np.asarray(images.to_image(again.image)), image) is same, scale
    texture = start(client, method="texture", styles=[style], style_scale=0.5, size=48, iterations="2")  # its
    # example's scale, which the page did not offer (a small example's message named --example-scale)
    sse(client.get(texture["urls"]["events"]).text)
    assert "--example-scale 0.5" in client.get(texture["urls"]["params"]).json()["command"]
    speck = client.post("/api/jobs", json={"method": "texture", "styles": [uploaded(client, png(12, 12, 1))]})
    assert speck.status_code == 400 and speck.json()["detail"].endswith(
        'use a larger example, "Example scale" 1.30 or more, or shallower "Layers"')
    response = client.post("/api/jobs", json={"content": content, "styles": [style], "style_scale": 0})
    assert response.status_code == 422 and "style_scale" in response.json()["detail"]


def test_what_the_library_warns_of_reaches_the_job_in_the_pages_words(client):
    """A 12 px style for a 64 px picture is enlarged 5x: the command line warns of it, and so does the job (it went
    only to the server's log, and the page finished as if all were well)."""
    content, style = uploaded(client, png(80, 60)), uploaded(client, png(12, 12, 1), "speck.png")
    job = start(client, method="adain", content=content, styles=[style], size=64)
    done = wait_for(client, job["id"], lambda j: j["state"] in ("done", "failed"))
    assert done["state"] == "done" and done["warnings"] == [
        'style image 1 is 12x12 px and is enlarged 5x to 64x64 (the output\'s long side times "Style scale"), so its '
        'strokes come out as blur: give a larger style image, or a smaller "Style scale" or "Size"']
    states = [e["data"] for e in sse(client.get(job["urls"]["events"]).text) if e["event"] == "state"]
    assert states[-1]["warnings"] == done["warnings"]  # the page hears it as the job goes
    again = start(client, method="adain", content=content, styles=[uploaded(client, png(64, 64, 1))], size=64)
    assert wait_for(client, again["id"], lambda j: j["state"] == "done")["warnings"] == []
    buffer = io.BytesIO()
    frames = [Image.new("RGB", (64, 64), colour) for colour in ("red", "blue")]
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:], duration=100)
    animated = start(client, method="adain", content=content, size=64,
                     styles=[uploaded(client, buffer.getvalue(), "dance.gif")])
    said = wait_for(client, animated["id"], lambda j: j["state"] == "done")["warnings"]  # its first frame, unsaid
    assert len(said) == 1 and said[0].startswith("style image 1 (dance.gif) is animated, and only its first frame"), said


def test_a_library_message_calls_each_upload_by_the_name_it_came_with(tmp_path):
    """A video job's warning named 'style image 1 (h6Gp2zKgPYIfw9m2.gif)', the file the server stored it as."""
    from stylegram.web.uploads import Upload

    stored = Upload("h6Gp2zKgPYIfw9m2", "dance.gif", tmp_path / "h6Gp2zKgPYIfw9m2.gif")
    spec = engine.Spec(method="adain", content=None, styles=[stored], options=None)
    said = engine.with_upload_names(spec, f"style image 1 ({stored.path.name}) is animated; see {stored.path}")
    assert said == "style image 1 (dance.gif) is animated; see dance.gif"


def test_statistic_is_offered_as_the_library_names_them_and_reaches_the_run(client):
    select = re.search(r'<select id="statistic".*?</select>', (STATIC / "index.html").read_text(), re.S)[0]
    offered = re.findall(r'<option value="([^"]+)"', select)
    assert sorted(offered) == sorted(STATISTICS)  # every statistic the library has, and no stale one
    content, style = uploaded(client, png(80, 60)), uploaded(client, png(64, 64, 1))
    job = start(client, content=content, styles=[style], statistic="histogram", **TINY)
    progress = [e["data"] for e in sse(client.get(job["urls"]["events"]).text) if e["event"] == "progress"]
    assert progress and all(any(k.startswith("style.histogram.") for k in p["losses"]) for p in progress)
    params = client.get(job["urls"]["params"]).json()
    assert params["options"]["statistic"] == "histogram" and "--statistic histogram" in params["command"]
    texture = start(client, method="texture", styles=[style], statistic="w2", size=64, iterations="2")
    progress = [e["data"] for e in sse(client.get(texture["urls"]["events"]).text) if e["event"] == "progress"]
    assert progress and any(k.startswith("texture.w2.") for k in progress[0]["losses"]), progress[0]["losses"]
    response = client.post("/api/jobs", json={"content": content, "styles": [style], "statistic": "nope"})
    assert response.status_code == 422 and "statistic" in response.json()["detail"]


def test_style_layers_give_each_style_its_own_layers_and_reach_the_command_line(client):
    content, fine, coarse = uploaded(client, png(80, 60)), uploaded(client, png(64, 64, 1)), uploaded(client, png(64, 64, 2))
    job = start(client, content=content, styles=[fine, coarse], style_layers="relu1_1/relu2_1,relu3_1", **TINY)
    progress = [e["data"] for e in sse(client.get(job["urls"]["events"]).text) if e["event"] == "progress"]
    assert progress and {k for k in progress[-1]["losses"] if k.startswith("style.")} == {
        "style.relu1_1", "style.relu2_1", "style.relu3_1"}
    params = client.get(job["urls"]["params"]).json()
    assert params["options"]["style_layers"] == "relu1_1/relu2_1,relu3_1"
    assert "--style-layers relu1_1/relu2_1,relu3_1" in params["command"]
    texture = start(client, method="texture", styles=[fine], style_layers="conv1_1,pool1", size=64, iterations="2")
    progress = [e["data"] for e in sse(client.get(texture["urls"]["events"]).text) if e["event"] == "progress"]
    assert progress and set(progress[0]["losses"]) == {"texture.conv1_1", "texture.pool1"}
    assert "--layers conv1_1,pool1" in client.get(texture["urls"]["params"]).json()["command"]
    two = client.post("/api/jobs", json={"method": "texture", "styles": [fine, coarse], "style_layers": "pool1/a/b"})
    assert two.status_code == 400 and two.json()["detail"].startswith('"Layers" gives 3 groups split by')  # the
    # texture form's name for its layers (it said "Style layers")
    cases = [  # the library's messages, with the page's name for the setting
        ("relu1_1/relu2_1/relu3_1", 400, '"Style layers" gives 3 groups split by \'/\' for 2 styles'),
        ("relu9_1", 400, "layer 'relu9_1' does not exist in vgg19; did you mean relu5_1? (vgg19's layers, shallow "
                         "to deep: conv1_1, relu1_1, conv1_2, relu1_2, pool1, conv2_1, "),  # not a command to run
        ("relu1_1;rm -rf", 422, "style_layers: 'relu1_1;rm -rf' is not a list of layers like relu1_1,relu2_1"),
    ]
    for layers, status, words in cases:
        response = client.post("/api/jobs", json={"content": content, "styles": [fine, coarse], "style_layers": layers})
        assert response.status_code == status and words in response.json()["detail"], (layers, response.text)
    response = client.post("/api/jobs", json={"method": "adain", "content": content, "styles": [fine],
                                              "style_layers": "relu1_1"})
    assert response.status_code == 400 and "style_layers is not a setting of the adain method" in response.json()["detail"]


def test_a_run_in_tiles_shows_each_tile_and_makes_what_the_library_makes(client, tmp_path, monkeypatch):
    monkeypatch.setattr(tiles, "TILE_ITERATIONS", 10)  # the page's run and the library's alike (40: 26 s)
    content_png, style_png = png(192, 128), png(96, 96, 1)
    content, style = uploaded(client, content_png, "cat.png"), uploaded(client, style_png, "swirls.png")
    job = start(client, content=content, styles=[style], size=192, tile=128, iterations="3", min_size=128)
    events = sse(client.get(job["urls"]["events"]).text)
    assert [e["data"]["state"] for e in events if e["event"] == "state"][-1] == "done"
    progress = [e["data"] for e in events if e["event"] == "progress"]
    whole = [p for p in progress if "iteration" in p]
    assert [p["iteration"] for p in whole] == [1, 2, 3] and whole[0]["size"] == [128, 85]  # the whole picture first
    assert [(p["level"], p["tile"], p["tiles"], p["done"], p["count"]) for p in progress[len(whole):]] == [
        (1, 1, 2, 1, 2), (1, 2, 2, 2, 2)]
    captions = [e["data"].get("caption") for e in events if e["event"] == "preview"]
    assert "tile 1, level 1" in captions and "tile 2, level 1" in captions
    image = np.asarray(Image.open(io.BytesIO(client.get(job["urls"]["result"]).content)))
    params = client.get(job["urls"]["params"]).json()
    assert params["tile"] == 128 and "--tile 128" in params["command"]
    (tmp_path / "cat.png").write_bytes(content_png)
    (tmp_path / "swirls.png").write_bytes(style_png)
    same = tiles.transfer_tiled(str(tmp_path / "cat.png"), [str(tmp_path / "swirls.png")], size=192, tile=128,
                                iterations="3", min_size=128)
    assert image.shape == (128, 192, 3) and np.array_equal(np.asarray(images.to_image(same.image)), image)
    for body, status, words in [({"tile": 64}, 422, "tile"),
                                ({"tile": 128, "method": "adain"}, 400, "tile is not a setting of the adain method")]:
        response = client.post("/api/jobs", json={"content": content, "styles": [style], **body})
        assert response.status_code == status and words in response.json()["detail"], response.text


def test_a_run_in_tiles_stopped_keeps_the_tiles_made(client, monkeypatch):
    run = engine.Tiled.run

    def stopped_after_a_tile(self, on_first, on_step, on_state, stop, on_labels=None):
        def step(where):
            on_step(where)
            stop.__self__.set()  # the job's stop_requested, as the Stop button sets it, once the first tile is made
        return run(self, on_first, step, on_state, stop, on_labels)

    monkeypatch.setattr(engine.Tiled, "run", stopped_after_a_tile)
    monkeypatch.setattr(tiles, "TILE_ITERATIONS", 4)
    content, style = uploaded(client, png(192, 128)), uploaded(client, png(96, 96, 1))
    job = start(client, content=content, styles=[style], size=192, tile=128, iterations="3", min_size=128)
    events = sse(client.get(job["urls"]["events"]).text)
    final = [e["data"] for e in events if e["event"] == "state"][-1]
    assert final["state"] == "stopped" and final["has_result"]
    assert final["message"].startswith("stopped after tile 1 of 2 at 192×128 (level 1 of 1)")
    image = np.asarray(Image.open(io.BytesIO(client.get(job["urls"]["result"]).content)))
    assert image.shape == (128, 192, 3) and image.std() > 5


def test_a_result_is_explained_by_its_own_page(client):
    content, style, other = uploaded(client, png(80, 60)), uploaded(client, png(64, 64, 1)), uploaded(client, png(64, 64, 2))
    job = start(client, content=content, styles=[style], **TINY)
    assert job["urls"]["explain"] == f"/api/jobs/{job['id']}/explain.html"
    sse(client.get(job["urls"]["events"]).text)  # to its end
    page = client.get(job["urls"]["explain"])
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "of the way to the style" in page.text and page.text.count("<img") == 8  # pictures, 5 Gram layers, maps, matches
    assert '<link rel="stylesheet" href="/report.css">' in page.text and "<style>" not in page.text  # the policy's way
    numbers = client.get(job["urls"]["measured"]).json()  # the page's headline numbers, for the result's caption
    assert list(numbers["layers"]) == ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"]
    assert numbers["moved"] == pytest.approx(sum(numbers["layers"].values()) / 5) and -1 <= numbers["kept"] <= 1
    assert f"<strong>{100 * numbers['moved']:.0f}%</strong> of the way" in page.text and numbers["coherence"] == []
    assert client.get("/report.css").text.startswith("\nbody {")
    two = start(client, content=content, styles=[style, other], style_blend="0.7,0.3", **TINY)
    sse(client.get(two["urls"]["events"]).text)
    page = client.get(two["urls"]["explain"]).text  # measured against the blend, patches per style
    assert "the styles' blend" in page and "style 2 (30%): coherence" in page and page.count("<img") == 9
    texture = start(client, method="texture", styles=[style], size=64, min_size=64, iterations="3")
    sse(client.get(texture["urls"]["events"]).text)
    page = client.get(texture["urls"]["explain"]).text
    assert "Why this texture looks as it does" in page and "G(noise)" in page and page.count("<img") == 7
    left, right = uploaded(client, mask_png(80, 60, True)), uploaded(client, mask_png(80, 60, False))
    swirls, mosaic = uploaded(client, png(64, 64, 1), "swirls.png"), uploaded(client, png(64, 64, 2), "mosaic.png")
    masked = start(client, content=content, styles=[swirls, mosaic], style_masks=[left, right], **TINY)
    sse(client.get(masked["urls"]["events"]).text)  # each style measured where its mask (as uploaded) puts it
    page = client.get(masked["urls"]["explain"]).text
    assert "<th>part</th>" in page and "<td>swirls.png's mask</td><td>relu1_1</td>" in page and "each part's style" in page
    numbers = client.get(masked["urls"]["measured"]).json()
    assert len(numbers["layers"]) == 10 and "relu5_1 over mosaic.png's mask" in numbers["layers"]
    assert list(numbers["parts"]) == ["swirls.png's mask", "mosaic.png's mask"]
    assert numbers["moved"] == pytest.approx(sum(numbers["parts"].values()) / 2)  # five layers each
    swapped = start(client, content=content, styles=[swirls, mosaic], style_masks=[right, left], **TINY)
    sse(client.get(swapped["urls"]["events"]).text)
    assert "compare" not in client.get(swapped["urls"]["self"]).json()["urls"]  # placed elsewhere: another target
    again = start(client, content=content, styles=[swirls, mosaic], style_masks=[left, right], **{**TINY, "seed": 7})
    sse(client.get(again["urls"]["events"]).text)
    page = client.get(client.get(again["urls"]["self"]).json()["urls"]["compare"]).text  # the same masks: compared
    assert "<th>relu1_1 over swirls.png's mask</th>" in page and re.findall(r"<tr><td>(\d: [^<]+)</td><td><strong>",
                                                                         page) == ["1: seed 0", "2: seed 7"]


def test_results_of_the_same_pictures_are_compared_on_one_page(client):
    content, style, other = uploaded(client, png(80, 60)), uploaded(client, png(64, 64, 1)), uploaded(client, png(64, 64, 2))
    first = start(client, content=content, styles=[style], **TINY)
    sse(client.get(first["urls"]["events"]).text)
    assert "compare" not in client.get(first["urls"]["self"]).json()["urls"]  # nothing to compare it with yet
    refused = client.get(f"/api/jobs/{first['id']}/compare.html")
    assert refused.status_code == 404 and "no other finished picture made from the same pictures" in \
        refused.json()["detail"]
    again = uploaded(client, png(80, 60))  # the same picture uploaded again: the same digest
    second = start(client, content=again, styles=[style], method="adain", alpha=0.5, size=64)
    sse(client.get(second["urls"]["events"]).text)
    blown = start(client, content=content, styles=[style], style_weight=1e40, **TINY)  # failed: its last good picture
    assert sse(client.get(blown["urls"]["events"]).text)[-1]["data"]["state"] == "failed"  # was compared as a result
    assert "compare" not in client.get(blown["urls"]["self"]).json()["urls"]
    elsewhere = start(client, content=content, styles=[other], **TINY)  # another style: not compared
    sse(client.get(elsewhere["urls"]["events"]).text)
    rescaled = start(client, content=content, styles=[style], style_scale=0.5, **TINY)  # another target: not either
    sse(client.get(rescaled["urls"]["events"]).text)
    urls = client.get(second["urls"]["self"]).json()["urls"]
    assert urls["compare"] == f"/api/jobs/{second['id']}/compare.html"
    page = client.get(urls["compare"])
    assert page.status_code == 200 and "How these style transfers compare" in page.text
    names = re.findall(r"<tr><td>(\d: [^<]+)</td><td><strong>", page.text)
    assert names == ["1: gatys, iterations 3, min-size 64", "2: adain, alpha 0.5"]  # where they differ, as each reads
    assert "compare" not in client.get(elsewhere["urls"]["self"]).json()["urls"]
    assert "compare" not in client.get(rescaled["urls"]["self"]).json()["urls"]
    textures = [start(client, method="texture", styles=[style], size=64, min_size=64, iterations="3", seed=seed)
                for seed in (1, 2)]
    for texture in textures:
        sse(client.get(texture["urls"]["events"]).text)
    page = client.get(client.get(textures[1]["urls"]["self"]).json()["urls"]["compare"]).text
    assert "How these textures compare" in page and re.findall(r"<tr><td>(\d: [^<]+)</td><td><strong>", page) == [
        "1: seed 1", "2: seed 2"]


def test_jobs_compare_only_where_their_target_is_the_same():
    from pathlib import Path

    from stylegram.web.uploads import Upload

    def up(digest: str) -> Upload:
        return Upload(id=digest, name=f"{digest}.png", path=Path(f"{digest}.png"), sha256=digest)

    content, styles, masks = up("c"), [up("s1"), up("s2")], [up("m1"), up("m2")]

    def transfer(**changes) -> engine.Spec:
        placed = changes.pop("masks", masks)
        options = gatys.TransferOptions().replace(style_masks=[m.name for m in placed], **changes)
        return engine.Spec("gatys", options, content, styles, masks=placed)

    def texture(**changes) -> engine.Spec:
        return engine.Spec("texture", synthesis.TextureOptions().replace(**changes), None, styles)

    assert engine.comparable(transfer(), transfer(style_weight=100.0, seed=3))  # how it was made: compared
    assert engine.comparable(transfer(style_blend="1,1"), transfer(style_blend="2,2"))  # the same weights, normalised
    assert not engine.comparable(transfer(style_blend="1,1"), transfer(style_blend="3,1"))
    assert not engine.comparable(transfer(), transfer(style_scale=0.5))
    assert not engine.comparable(transfer(), transfer(masks=masks[::-1]))  # each style placed elsewhere
    assert engine.comparable(texture(seed=1), texture(seed=2, size=(64, 48)))
    assert not engine.comparable(texture(), texture(tileable=True, padding="circular"))
    assert not engine.comparable(texture(), texture(example_scale=2.0))
    assert not engine.comparable(texture(), transfer())


def test_texture_refuses_masks(client):
    example, mask = uploaded(client, png(64, 64, 1)), uploaded(client, mask_png(64, 64, True))
    response = client.post("/api/jobs", json={"method": "texture", "styles": [example], "style_masks": [mask]})
    assert response.status_code == 400 and "texture synthesis has none; remove them" in response.json()["detail"]


def test_a_jobs_latest_preview_is_a_png_of_its_own(client):
    content, style = uploaded(client, png(80, 60)), uploaded(client, png(64, 64, 1))
    job = start(client, method="adain", content=content, styles=[style], size=64)
    assert job["urls"]["preview"] == f"/api/jobs/{job['id']}/preview.png"
    events = sse(client.get(job["urls"]["events"]).text)
    kinds = [e["event"] for e in events]
    assert events[-1]["data"]["state"] == "done" and "preview" in kinds  # the picture before the end: the page
    assert kinds.index("preview") < len(kinds) - 1  # stops listening at the final state
    response = client.get(job["urls"]["preview"])
    assert response.status_code == 200 and response.headers["content-type"] == "image/png"
    picture = np.asarray(Image.open(io.BytesIO(response.content)))
    result = np.asarray(Image.open(io.BytesIO(client.get(job["urls"]["result"]).content)))
    assert picture.shape == result.shape == (48, 64, 3) and np.array_equal(picture, result)  # under 512 px: as is
    assert client.get("/api/jobs/nope/preview.png").status_code == 404


def test_stop_ends_a_running_job_between_iterations_and_keeps_the_image(client):
    content, style = uploaded(client, png(80, 60)), uploaded(client, png(64, 64, 1))
    job = start(client, content=content, styles=[style], size=64, min_size=64, iterations="500")
    wait_for(client, job["id"], lambda j: j["iteration"] >= 2)
    stopped = client.post(job["urls"]["stop"])
    assert stopped.status_code == 200
    events = sse(client.get(job["urls"]["events"]).text)
    final = [e["data"] for e in events if e["event"] == "state"][-1]
    iterations = [e["data"]["iteration"] for e in events if e["event"] == "progress"]
    assert final["state"] == "stopped" and final["has_result"]
    assert iterations == list(range(1, len(iterations) + 1)) and len(iterations) < 500
    assert final["message"] == f"stopped after {len(iterations)} iterations"
    assert client.get(job["urls"]["result"]).status_code == 200
    assert client.get(job["urls"]["params"]).json()["iterations"] == len(iterations)
    other = start(client, content=content, styles=[style], size=64, min_size=64, iterations="3")
    sse(client.get(other["urls"]["events"]).text)
    page = client.get(client.get(other["urls"]["self"]).json()["urls"]["compare"]).text
    names = re.findall(r"<tr><td>(\d: [^<]+)</td><td><strong>", page)  # its settings say 500: where it stopped too
    assert names == [f"1: iterations 500 (stopped after {len(iterations)} iterations)", "2: iterations 3"], names


def test_jobs_queue_one_at_a_time_and_say_where_they_are(client):
    content, style = uploaded(client, png(80, 60)), uploaded(client, png(64, 64, 1))
    long = {"content": content, "styles": [style], "size": 64, "min_size": 64, "iterations": "500"}
    first = start(client, **long)
    second, third = start(client, **long), start(client, **long)
    assert (second["ahead"], third["ahead"]) == (1, 2)
    status = client.get("/api/status").json()
    assert status["queue"] == [second["id"], third["id"]] or status["queue"] == [first["id"], second["id"], third["id"]]

    cancelled = client.post(second["urls"]["stop"]).json()  # a waiting job is cancelled at once
    assert cancelled["state"] == "cancelled" and not cancelled["has_result"]
    assert client.get(f"/api/jobs/{third['id']}").json()["ahead"] == 1
    refused = client.get(second["urls"]["result"])  # it once said to wait for it to finish, which it never will
    assert refused.status_code == 409
    assert refused.json()["detail"].endswith("cancelled without an image (stopped before it started); start it again")
    waiting = client.get(third["urls"]["result"])
    assert waiting.status_code == 409 and "is queued and has no image yet; wait for it" in waiting.json()["detail"]

    wait_for(client, first["id"], lambda j: j["state"] == "running")
    client.post(first["urls"]["stop"])
    wait_for(client, third["id"], lambda j: j["state"] == "running")
    client.post(third["urls"]["stop"])
    third_events = sse(client.get(third["urls"]["events"]).text)
    waiting = [e["data"]["ahead"] for e in third_events if e["event"] == "state" and e["data"]["state"] == "queued"]
    assert waiting[0] == 2 and 1 in waiting and waiting == sorted(waiting, reverse=True)
    assert [e["data"]["state"] for e in third_events if e["event"] == "state"][-1] == "stopped"


def test_one_pass_and_texture_jobs(client):
    content, style = uploaded(client, png(80, 60)), uploaded(client, png(64, 64, 1))
    adain = start(client, method="adain", content=content, styles=[style], size=64, alpha=0.5)
    events = sse(client.get(adain["urls"]["events"]).text)
    assert [e["event"] for e in events if e["event"] == "progress"] == []
    assert [e for e in events if e["event"] == "preview"]
    assert [e["data"]["state"] for e in events if e["event"] == "state"][-1] == "done"
    assert Image.open(io.BytesIO(client.get(adain["urls"]["result"]).content)).size == (64, 48)
    assert client.get(adain["urls"]["params"]).json()["options"]["alpha"] == 0.5

    texture = start(client, method="texture", styles=[style], size=64, iterations="2", seed=3)
    events = sse(client.get(texture["urls"]["events"]).text)
    progress = [e["data"] for e in events if e["event"] == "progress"]
    assert [p["iteration"] for p in progress] == [1, 2] and "texture.pool1" in progress[0]["losses"]
    params = client.get(texture["urls"]["params"]).json()
    assert params["command"].startswith("stylegram texture picture.png -o result.png --size 64")
    assert params["inputs"]["content"] is None and params["options"]["seed"] == 3


def test_a_transparent_content_gives_a_transparent_result(client):
    pixels = np.asarray(Image.open(io.BytesIO(png(80, 60))).convert("RGBA")).copy()
    pixels[:, :40, 3] = 0  # its left half cut away
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "PNG")
    content, style = uploaded(client, buffer.getvalue(), "logo.png"), uploaded(client, png(64, 64, 1))
    for method, settings in (("gatys", TINY), ("adain", {"size": 64})):
        job = start(client, method=method, content=content, styles=[style], **settings)
        assert wait_for(client, job["id"], lambda j: j["state"] in ("done", "failed"))["state"] == "done"
        result = Image.open(io.BytesIO(client.get(job["urls"]["result"]).content))
        alpha = np.asarray(result)[..., 3]
        assert result.mode == "RGBA" and alpha.shape == (48, 64), method
        assert (alpha[:, :30] == 0).all() and (alpha[:, 34:] == 255).all(), method
        shown = np.asarray(Image.open(io.BytesIO(client.get(job["urls"]["preview"]).content)))
        assert shown.shape == (48, 64, 4) and shown[0, 0, 3] == 0, method  # the page shows it as it downloads


def test_unknown_job_and_host_and_cross_site_guards():
    app = create_app(allowed_hosts=["127.0.0.1", "localhost"])
    with TestClient(app, base_url="http://127.0.0.1:8000") as local:
        missing = local.get("/api/jobs/nope/events")
        assert missing.status_code == 404 and "there is no job 'nope'" in missing.json()["detail"]
        nowhere = local.get("/api/nowhere")  # was {"detail": "Not Found"}
        assert nowhere.status_code == 404 and nowhere.json()["detail"].startswith("there is no /api/nowhere on this")
        wrong = local.delete("/api/status")
        assert wrong.status_code == 405 and wrong.json()["detail"] == "DELETE is not allowed on /api/status"
        assert local.get("/api/status").status_code == 200
        cross = local.post("/api/uploads", content=png(8, 8), headers={"origin": "http://evil.example"})
        assert cross.status_code == 403 and "cross-site request" in cross.json()["detail"]
        same = local.post("/api/uploads", content=png(8, 8), headers={"origin": "http://127.0.0.1:8000"})
        assert same.status_code == 201
    with TestClient(app, base_url="http://rebound.example") as other:
        refused = other.get("/api/status")
        assert refused.status_code == 400 and "answers only to 127.0.0.1, localhost" in refused.json()["detail"]


# ------------------------------------------------------------------------------- a real server


def test_server_answers_within_a_second_while_a_job_runs():
    app = create_app(preview_every=5, allowed_hosts=["127.0.0.1"])
    with running(app) as url, httpx.Client(base_url=url, timeout=10) as http:
        assert url.startswith("http://127.0.0.1:")
        ids = [http.post("/api/uploads", params={"name": n}, content=png(160, 120, i)).json()["id"]
               for i, n in enumerate(["c.png", "s.png"])]
        job = http.post("/api/jobs", json={"content": ids[0], "styles": [ids[1]], "size": 128, "min_size": 128,
                                           "iterations": "500"}).json()
        arrivals: list[tuple[float, dict]] = []

        def listen() -> None:  # read the stream as it comes, noting when each event arrives
            with http.stream("GET", job["urls"]["events"]) as stream:
                for event in sse_lines(stream.iter_lines()):
                    arrivals.append((time.monotonic(), event))

        listener = threading.Thread(target=listen, daemon=True)
        listener.start()
        deadline = time.monotonic() + 30
        while not any(e["event"] == "progress" for _, e in arrivals):
            assert time.monotonic() < deadline, "no progress event arrived"
            time.sleep(0.02)
        worst = 0.0
        for _ in range(15):
            began = time.monotonic()
            status = http.get("/api/status")
            worst = max(worst, time.monotonic() - began)
            assert status.status_code == 200 and status.json()["running"]["id"] == job["id"]
            time.sleep(0.05)
        assert worst < 1.0, f"the status page took {worst:.2f} s while a job ran"
        stop_sent = time.monotonic()
        http.post(job["urls"]["stop"])
        listener.join(timeout=30)
        progress_times = [t for t, e in arrivals if e["event"] == "progress"]
        assert len(progress_times) >= 2 and progress_times[0] < stop_sent  # live, not all at the end
        assert [e["data"]["state"] for _, e in arrivals if e["event"] == "state"][-1] == "stopped"
        print(f"status page: slowest answer {worst * 1000:.0f} ms over 15 requests while a job ran")


def sse_lines(lines):
    """Yield events from an iterator of SSE lines as they complete."""
    block: list[str] = []
    for line in lines:
        if line:
            block.append(line)
            continue
        events = sse("\n".join(block) + "\n\n")
        block = []
        yield from events


def test_serve_command_binds_loopback_and_prints_the_url():
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    process = subprocess.Popen([sys.executable, "-m", "stylegram.cli", "serve", "--port", "0"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        line = process.stdout.readline()
        match = re.search(r"serving on (http://127\.0\.0\.1:\d+/)", line)
        assert match, line + process.stderr.read()
        status = httpx.get(match[1] + "api/status", timeout=10)
        assert status.status_code == 200 and status.json()["running"] is None
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_stopping_the_server_says_what_became_of_its_jobs_and_keeps_the_picture_so_far(tmp_path):
    """SIGTERM (or Ctrl-C) mid-run printed nothing, and the running job's picture was lost with the server."""
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    process = subprocess.Popen([sys.executable, "-m", "stylegram.cli", "serve", "--port", "0"], cwd=tmp_path,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        address = re.search(r"serving on (http://127\.0\.0\.1:\d+/)", process.stdout.readline())[1]
        with httpx.Client(base_url=address, timeout=10) as http:
            ids = [http.post("/api/uploads", params={"name": n}, content=png(96, 64, i)).json()["id"]
                   for i, n in enumerate(["cat.png", "paint.png"])]
            body = {"content": ids[0], "styles": [ids[1]], "size": 64, "min_size": 64, "iterations": "500"}
            jobs = [http.post("/api/jobs", json=body).json() for _ in range(3)]
            deadline = time.monotonic() + 60
            while http.get(f"/api/jobs/{jobs[0]['id']}").json()["iteration"] < 2:
                assert time.monotonic() < deadline, "the first job never ran"
                time.sleep(0.05)
        process.terminate()
        _, err = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode in (-15, 143), err  # ended by the SIGTERM, which uvicorn raises again once it is done
    kept = list(tmp_path.glob("*_stopped.png"))
    assert len(kept) == 1 and kept[0].name.startswith(f"cat_paint_gatys_{jobs[0]['id'][:6]}"), err
    assert re.search(rf"stylegram: job {jobs[0]['id']} \(gatys\) was running and stopped with the server \(stopped "
                     rf"after \d+ iterations\); its picture so far is in {re.escape(str(kept[0]))}\n", err), err
    assert "stylegram: 2 waiting jobs cancelled: start the server again" in err  # not the next one started, then cut
    picture = np.asarray(Image.open(kept[0]))
    assert picture.shape[:2] == (43, 64) and picture.std() > 3


@pytest.mark.parametrize("flags, words", [
    (["--port", "-1"], "--port must be between 0 and 65535"),  # an OverflowError traceback
    (["--port", "70000"], "--port must be between 0 and 65535"),
    (["--max-upload-mb", "nan"], "--max-upload-mb must be a number at least 0.001"),  # a ValueError traceback
    (["--max-upload-mb", "1e-9"], "--max-upload-mb must be a number at least 0.001, got 1e-09"),  # a 0-byte limit
    (["--max-size", "8"], "--max-size must be a number at least 16, got 8"),
])
def test_serve_names_a_bad_option(flags, words, capsys):
    assert cli.main(["serve", *flags]) == 2
    assert words in capsys.readouterr().err


def test_serve_refuses_a_busy_port_with_a_message(capsys):
    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = busy.getsockname()[1]
        assert cli.main(["serve", "--port", str(port)]) == 2
    error = capsys.readouterr().err
    assert f"cannot listen on 127.0.0.1:{port}" in error and "choose another --port" in error
    assert cli.build_parser().parse_args(["serve"]).host == "127.0.0.1"


def test_a_download_is_named_after_its_pictures_and_method():
    from types import SimpleNamespace

    from stylegram.web.app import download_name

    upload = lambda name: SimpleNamespace(name=name)  # noqa: E731
    styles = [upload("Starry Night (1889).jpg"), upload("mosaic.png"), upload("brick.png")]
    job = SimpleNamespace(id="Xk3a9q_Lp2zT", spec=SimpleNamespace(content=upload("my cat.jpeg"), styles=styles,
                                                                  method="gatys"))
    assert download_name(job, ".png") == "my-cat_Starry-Night-1889_mosaic_1more_gatys_Xk3a9q.png"
    texture = SimpleNamespace(id="AbCdEf12", spec=SimpleNamespace(content=None, styles=[upload("..png")],
                                                                  method="texture"))
    assert download_name(texture, "_params.json") == "image_texture_AbCdEf_params.json"


def test_measured_parts_are_named_by_the_styles_uploads():
    """The line under the picture said 'label #87ceeb (from style 1)' under 'sky blue (#87ceeb): ... of swirls.png'."""
    from stylegram.analysis import placed

    styles = [engine.Upload("a", "swirls.png", Path("a")), engine.Upload("b", "mosaic.png", Path("b"))]
    assert engine.upload_names(engine.Spec("gatys", gatys.TransferOptions(), None, styles)) == ["swirls.png",
                                                                                                "mosaic.png"]
    alike = [styles[0], engine.Upload("c", "swirls.png", Path("c"))]  # one name twice: left as style 1 and style 2
    assert engine.upload_names(engine.Spec("gatys", gatys.TransferOptions(), None, alike)) is None
    left = torch.zeros(1, 1, 8, 8)
    left[..., :4] = 1
    picture, images = torch.rand(1, 3, 8, 8), [torch.rand(1, 3, 8, 8)] * 2
    parts = placed.parts_of(picture, images, style_masks=[left, 1 - left], names=["swirls.png", "mosaic.png"])
    assert [p.name for p in parts] == ["swirls.png's mask", "mosaic.png's mask"]
    assert [p.name for p in placed.parts_of(picture, images, style_masks=[left, 1 - left])] == ["style 1's mask",
                                                                                                "style 2's mask"]
    with pytest.raises(OptionError, match="1 name for 2 styles: give one name per style"):  # made one part of two
        placed.parts_of(picture, images, style_masks=[left, 1 - left], names=["swirls.png"])


def _cut_short(service, result, state="stopped"):
    """Make ``service`` hold a job stopped by the server's close, with ``result`` as its picture so far."""
    named = [types.SimpleNamespace(name="cat.png"), types.SimpleNamespace(name="paint.png")]
    spec = types.SimpleNamespace(method="gatys", is_video=False, content=named[0], styles=named[1:])
    service.cut_short = types.SimpleNamespace(id="Xk3a9qLp", spec=spec, state=state, result=result,
                                              message="stopped after 0 iterations")


def test_a_job_the_server_stopped_before_its_first_picture_is_said_to_have_none(tmp_path):
    service = create_app().state.service
    _cut_short(service, result=None)
    assert service.shutdown_report(tmp_path) == [
        "job Xk3a9qLp (gatys) was running and stopped with the server (stopped after 0 iterations); it had no "
        "picture yet, so nothing of it was kept"]
    assert list(tmp_path.iterdir()) == []


def test_a_stopped_jobs_picture_that_cannot_be_written_is_said_not_raised(tmp_path):
    """The server's folder unwritable (here a file where the folder should be): one line, no traceback at the end."""
    service = create_app().state.service
    _cut_short(service, result=Result(torch.rand(1, 3, 8, 12), [], None))
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("x")
    said = service.shutdown_report(not_a_folder)
    assert len(said) == 1 and said[0].startswith(
        f"job Xk3a9qLp (gatys) was running and stopped with the server (stopped after 0 iterations); its picture so "
        f"far could not be written to {not_a_folder} ("), said
    assert service.shutdown_report(tmp_path)[0].endswith(f"its picture so far is in {tmp_path}/cat_paint_gatys_"
                                                           "Xk3a9q_stopped.png")
