"""A video as the web page's content: uploaded, stylized frame by frame on the batch machinery, downloaded whole."""

from __future__ import annotations

import io
import re
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageSequence

pytest.importorskip("fastapi", reason="the web extra is not installed: pip install -e '.[web]'")
pytest.importorskip("distributed", reason="the batch extra is not installed: pip install -e '.[batch]'")
pytest.importorskip("av")
pytest.importorskip("cv2")

from fastapi.testclient import TestClient  # noqa: E402

from stylegram.batch import steps as steps_module  # noqa: E402
from stylegram.batch import synthetic_video, video  # noqa: E402
from stylegram.web import create_app  # noqa: E402

FRAMES = 6


@pytest.fixture(scope="module")
def client():
    app = create_app(max_upload_bytes=400_000, max_pixels=160_000, max_size=256, preview_every=1, preview_seconds=0)
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> bytes:
    return synthetic_video(tmp_path_factory.mktemp("clip") / "clip.mp4", count=FRAMES, audio=()).read_bytes()


def picture(width: int = 64, height: int = 64) -> bytes:
    rng = np.random.default_rng(1)
    buffer = io.BytesIO()
    Image.fromarray(rng.integers(0, 255, (height, width, 3), dtype=np.uint8)).save(buffer, "PNG")
    return buffer.getvalue()


def uploaded(client, data: bytes, name: str) -> dict:
    response = client.post("/api/uploads", params={"name": name}, content=data)
    assert response.status_code == 201, response.text
    return response.json()


def events(client, job: dict) -> list[dict]:
    """The job's server-sent events to its end, as [{"event", "data"}]."""
    import json

    out = []
    for block in client.get(job["urls"]["events"]).text.replace("\r\n", "\n").split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.split("\n") if ": " in line and not line.startswith(":"))
        if "event" in fields:
            out.append({"event": fields["event"], "data": json.loads(fields["data"])})
    return out


def test_a_video_uploads_with_its_frames_and_is_stylized_frame_by_frame(client, clip, tmp_path):
    content = uploaded(client, clip, "street.mp4")
    assert (content["kind"], content["width"], content["height"], content["frames"]) == ("video", 64, 48, FRAMES)
    style = uploaded(client, picture(), "paint.png")
    assert style["kind"] == "image" and "frames" not in style
    response = client.post("/api/jobs", json={"method": "adain", "content": content["id"], "styles": [style["id"]],
                                              "alpha": 0.8, "temporal": 0.5})
    assert response.status_code == 201, response.text
    job = response.json()
    assert job["urls"]["result"].endswith("/result.mp4")
    seen = events(client, job)
    progress = [e["data"] for e in seen if e["event"] == "progress"]
    assert [p["frame"] for p in progress] == list(range(1, FRAMES + 1)) and progress[-1]["total"] == FRAMES
    assert progress[0]["estimated_left"] is None and progress[-1]["estimated_left"] == 0  # the first holds the start
    assert seen[-1]["data"]["state"] == "done" and seen[-1]["data"]["has_result"]
    said = seen[-1]["data"]["message"]  # the batch command's steadiness line, in the page's words: it said nothing
    assert re.fullmatch(r"[\d.]+ grey levels of change beyond the motion \(what flickers: .*\), flicker [\d.]+ .*; "
                        r"detail kept [\d.]+ of each frame stylized alone \(the blend steadies by blurring: a lower "
                        r'"Frame blend" keeps more\)', said), said
    running = [e["data"] for e in seen if e["event"] == "state" and e["data"]["state"] == "running"]
    assert running[-1]["total"] == FRAMES  # the frames planned are said before the first is done
    assert client.get(f"/api/jobs/{job['id']}").json()["iteration"] == FRAMES
    result = client.get(job["urls"]["result"])
    assert result.status_code == 200 and result.headers["content-type"] == "video/mp4"
    (tmp_path / "out.mp4").write_bytes(result.content)
    frames = list(video.frames(tmp_path / "out.mp4"))
    assert len(frames) == FRAMES and frames[0].shape == (48, 64, 3) and frames[-1].std() > 5
    params = client.get(job["urls"]["params"]).json()
    assert params["command"] == ("stylegram batch street.mp4 --style paint.png -o styled/ --method adain --alpha 0.8 "
                                 "--temporal 0.5")
    assert params["options"]["temporal"] == 0.5
    assert params["frames"] == FRAMES and params["inputs"]["content"]["frames"] == FRAMES
    as_picture = client.get(job["urls"]["result"].replace(".mp4", ".png"))  # it said "done without an image ()"
    assert as_picture.status_code == 404 and as_picture.json()["detail"] == \
        f"job '{job['id']}' makes a video, not an image; its result is {job['id']}/result.mp4"


def test_a_video_jobs_last_frame_is_explained_against_that_frame_of_the_video(client, clip):
    """Why does it look like this? for a video: its last frame measured against the video's last frame (not its
    first), the page and the numbers saying which frame; a job still running has no frame to explain yet."""
    import torch

    content, style = uploaded(client, clip, "clip.mp4"), uploaded(client, picture(), "paint.png")
    job = client.post("/api/jobs", json={"method": "adain", "content": content["id"], "styles": [style["id"]]}).json()
    assert job["urls"]["explain"] == f"/api/jobs/{job['id']}/explain.html"
    events(client, job)
    numbers = client.get(job["urls"]["measured"]).json()
    assert numbers["frame"] == FRAMES and 0 < numbers["kept"] <= 1 and numbers["moved"] > 0.2, numbers
    page = client.get(job["urls"]["explain"])
    assert page.status_code == 200 and f"<td>frame</td><td>{FRAMES} of {FRAMES}</td>" in page.text
    assert "stylegram batch clip.mp4 --style paint.png" in page.text
    store = client.app.state.service.runner.store
    upload = store.get(content["id"])
    first, last = store.decode(upload), store.decode(upload, frame=FRAMES - 1)
    assert first.shape == last.shape and float((first - last).abs().mean()) > 0.01  # the clip moves
    assert torch.equal(last, torch.from_numpy(list(video.frames(upload.path))[-1]).permute(2, 0, 1)[None] / 255)
    again = client.post("/api/jobs", json={"method": "adain", "content": content["id"], "styles": [style["id"]],
                                           "alpha": 0.5, "temporal": 0.6}).json()
    events(client, again)
    comparison = client.get(client.get(f"/api/jobs/{again['id']}").json()["urls"]["compare"])
    assert comparison.status_code == 200, comparison.text  # the two last frames, side by side
    assert f"<td>frame</td><td>{FRAMES}</td>" in comparison.text
    assert "alpha 0.5, temporal 0.6</td>" in comparison.text  # named by what differs, the frame blend too
    slow = client.post("/api/jobs", json={"method": "gatys", "content": content["id"], "styles": [style["id"]],
                                          "iterations": "100"}).json()
    refused = client.get(slow["urls"]["measured"])
    assert refused.status_code == 409 and "no frame to explain yet" in refused.json()["detail"]
    assert client.post(slow["urls"]["stop"]).status_code == 200
    events(client, slow)


@pytest.fixture(scope="module")
def gif(clip, tmp_path_factory) -> bytes:
    """The clip as an animated GIF, its last frame shown longer, looping forever."""
    folder = tmp_path_factory.mktemp("gif")
    (folder / "clip.mp4").write_bytes(clip)
    pictures = [Image.fromarray(f) for f in video.frames(folder / "clip.mp4")]
    buffer = io.BytesIO()
    pictures[0].save(buffer, "GIF", save_all=True, append_images=pictures[1:], duration=[80] * (FRAMES - 1) + [500],
                     loop=0)
    return buffer.getvalue()


def test_an_animated_gif_as_the_content_comes_back_an_animated_gif(client, gif):
    content = uploaded(client, gif, "cat.gif")
    assert (content["kind"], content["width"], content["height"], content["frames"]) == ("animation", 64, 48, FRAMES)
    style = uploaded(client, picture(), "paint.png")
    job = client.post("/api/jobs", json={"method": "adain", "content": content["id"], "styles": [style["id"]]}).json()
    assert job["kind"] == "video" and job["urls"]["result"].endswith("/result.gif")
    assert events(client, job)[-1]["data"]["state"] == "done"
    result = client.get(job["urls"]["result"])
    assert result.status_code == 200 and result.headers["content-type"] == "image/gif"
    with Image.open(io.BytesIO(result.content)) as made:
        durations = []
        for frame in ImageSequence.Iterator(made):
            frame.load()
            durations.append(frame.info["duration"])
        assert made.size == (64, 48) and durations == [80] * (FRAMES - 1) + [500] and made.info["loop"] == 0
    assert client.get(job["urls"]["result"].replace(".gif", ".mp4")).status_code == 404
    assert client.get(job["urls"]["params"]).json()["command"].startswith("stylegram batch cat.gif --style paint.png")
    frame = Image.open(io.BytesIO(client.get(f"/api/uploads/{content['id']}/frame.png").content))
    assert frame.size == (64, 48)  # what the page paints masks on


def test_an_animated_gif_as_a_style_is_its_first_frame(client, gif):
    content, style = uploaded(client, picture(), "photo.png"), uploaded(client, gif, "paint.gif")
    assert style["kind"] == "animation"
    job = client.post("/api/jobs", json={"method": "adain", "content": content["id"], "styles": [style["id"]],
                                         "size": 64}).json()
    assert job["kind"] == "image" and events(client, job)[-1]["data"]["state"] == "done"
    assert Image.open(io.BytesIO(client.get(job["urls"]["result"]).content)).size == (64, 64)
    said = client.get(f"/api/jobs/{job['id']}").json()["warnings"]
    assert len(said) == 1 and said[0].startswith("style image 1 (paint.gif) is animated, and only its first frame")


def test_without_the_batch_extra_an_animated_gif_is_a_picture(client, gif, monkeypatch):
    import stylegram.batch.flow as flow

    def missing():
        raise flow.OptionError("following the motion needs OpenCV: pip install 'stylegram[batch]'")

    monkeypatch.setattr(flow, "check_available", missing)
    assert uploaded(client, gif, "cat.gif")["kind"] == "image"


def test_a_stopped_video_says_how_far_it_got_and_leaves_nothing_half_written(client, clip):
    content, style = uploaded(client, clip, "clip.mp4"), uploaded(client, picture(), "paint.png")
    job = client.post("/api/jobs", json={"method": "gatys", "content": content["id"], "styles": [style["id"]],
                                         "iterations": "100", "style_weight": 100}).json()
    deadline = time.monotonic() + 300  # a loaded machine took over 120 s for the first frame, and it stopped before it
    while client.get(f"/api/jobs/{job['id']}").json()["iteration"] < 1:
        assert time.monotonic() < deadline, "the video's first frame was not written in 300 s"
        time.sleep(0.05)
    assert client.post(job["urls"]["stop"]).status_code == 200
    final = events(client, job)[-1]["data"]
    assert final["state"] == "stopped" and not final["has_result"] and final["explainable"]
    done = client.get(f"/api/jobs/{job['id']}").json()["iteration"]
    assert client.get(job["urls"]["measured"]).json()["frame"] == done  # the last frame it wrote, explained
    assert final["message"].startswith("stopped after ") and final["message"].endswith(
        f" of {FRAMES} frames; a video is written only whole")
    refused = client.get(job["urls"]["result"])
    assert refused.status_code == 409 and "a video is written only whole" in refused.json()["detail"]
    assert not (client.app.state.service.runner.store.folder / f"video-{job['id']}").exists()  # nor its kept frames
    command = client.get(job["urls"]["params"]).json()["command"]  # gatys's settings, as batch takes them
    assert command.startswith("stylegram batch clip.mp4 --style paint.png -o styled/ --method gatys ")
    assert "--style-weight 100.0" in command and "--iterations 100" in command


def test_a_gatys_videos_progress_carries_the_iterations_of_the_frame_being_made(client, clip, monkeypatch):
    monkeypatch.setattr(steps_module, "REPORT_SECONDS", 0)  # each iteration
    content, style = uploaded(client, clip, "clip.mp4"), uploaded(client, picture(), "paint.png")
    job = client.post("/api/jobs", json={"method": "gatys", "content": content["id"], "styles": [style["id"]],
                                         "iterations": "4"}).json()
    progress = [e["data"] for e in events(client, job) if e["event"] == "progress"]
    written = [p["frame"] for p in progress if "step" not in p]
    assert written == list(range(1, FRAMES + 1))
    steps = [p for p in progress if "step" in p]
    assert [p["step"]["iteration"] for p in steps] == [1, 2, 3, 4] + [1, 2] * (FRAMES - 1)  # later frames: half
    assert {p["total"] for p in steps} == {FRAMES} and steps[0]["step"]["size"] == [64, 48]
    for k, p in enumerate(progress):  # each frame's iterations come after the frames before it are written
        assert p["frame"] == sum("step" not in q for q in progress[:k]) + ("step" not in p)
    assert all(p["estimated_left"] is None for p in steps[:4])  # no frame done: how long the rest take is unknown
    later = [p["estimated_left"] for p in steps[4:]]  # each later frame: iterations 1 and 2
    assert later[0] is None and later[1] > 0  # the second frame's first iteration: its pace not known yet
    assert all(left >= 0 for left in later[2:])
    assert steps[3]["step"]["loss"] < steps[0]["step"]["loss"] and "style.relu3_1" in steps[0]["step"]["losses"]
    assert all("picture" not in p["step"] for p in steps)  # the frame so far comes as the preview, not in the event


def long_gatys_video(client, clip, until) -> tuple[dict, object]:
    """A Gatys video job long enough to be stopped in its first frame (and its WebJob), once ``until(job)`` holds."""
    content, style = uploaded(client, clip, "clip.mp4"), uploaded(client, picture(), "paint.png")
    job = client.post("/api/jobs", json={"method": "gatys", "content": content["id"], "styles": [style["id"]],
                                         "iterations": "300", "style_weight": 100}).json()
    running = client.app.state.service.runner.jobs[job["id"]]
    deadline = time.monotonic() + 120
    while not until(running) and time.monotonic() < deadline:
        time.sleep(0.05)
    return job, running


def test_a_gatys_videos_preview_shows_the_first_frame_forming(client, clip, monkeypatch):
    monkeypatch.setattr(steps_module, "REPORT_SECONDS", 0)
    job, running = long_gatys_video(client, clip, until=lambda running: running.preview is not None)
    first = running.preview
    written = [e for e in running.since(0) if "step" not in e.data and "frame" in e.data]
    assert first is not None and first["iteration"] == 1 and (first["width"], first["height"]) == (64, 48)
    assert first["forming"]
    assert not written  # shown while frame 1 is made, before it is written
    client.post(job["urls"]["stop"])
    shown = Image.open(io.BytesIO(running.preview_png))
    assert shown.size == (64, 48) and np.asarray(shown).std() > 5  # a picture, not a blank


def test_a_gatys_video_stops_within_the_frame_being_made(client, clip, monkeypatch):
    monkeypatch.setattr(steps_module, "REPORT_SECONDS", 0)

    def steps(running) -> list[int]:
        return [e.data["step"]["iteration"] for e in running.since(0) if "step" in e.data]

    job, running = long_gatys_video(client, clip, until=steps)
    assert client.post(job["urls"]["stop"]).status_code == 200
    at_stop = steps(running)[-1]
    final = events(client, job)[-1]["data"]
    assert final["state"] == "stopped" and final["message"].startswith(f"stopped after 0 of {FRAMES} frames")
    assert steps(running)[-1] <= at_stop + 3  # given up at its next report, not at the end of the frame


@pytest.mark.parametrize("body, words", [
    ({"styles": ["VIDEO"]}, "street.mp4 is a video; only the content can be a video"),
    ({"style_masks": ["IMAGE"]}, "the content 64x48: a mask needs the content's aspect"),  # checked on its first frame
    ({"init": "noise"}, "init is not a setting of a video (the gatys method has size, content_weight, style_weight, "
                        "tv_weight, colors, statistic, seed, iterations, min_size, style_blend, style_scale, "
                        "style_layers, upscale, temporal, temporal_weight for one"),
])
def test_what_a_video_cannot_take_is_refused_before_it_queues(client, clip, body, words):
    ids = {"VIDEO": uploaded(client, clip, "street.mp4")["id"], "IMAGE": uploaded(client, picture(), "paint.png")["id"]}
    request = {"method": "gatys", "content": ids["VIDEO"], "styles": [ids["IMAGE"]]}
    request.update({k: [ids[v] for v in value] if isinstance(value, list) else value for k, value in body.items()})
    response = client.post("/api/jobs", json=request)
    assert response.status_code == 400 and words in response.json()["detail"], response.text


def flat(colour, width: int = 64, height: int = 48, keep: slice | None = None) -> bytes:
    """A PNG of one colour (only in the columns ``keep``, black elsewhere, where given)."""
    pixels = np.zeros((height, width, 3), np.uint8)
    pixels[:, keep if keep is not None else slice(None)] = colour
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.mark.parametrize("by", ["masks", "labels"])
def test_a_videos_styles_each_paint_their_part_of_every_frame(client, clip, tmp_path, by):
    content = uploaded(client, clip, "street.mp4")
    frame = client.get(f"/api/uploads/{content['id']}/frame.png")  # what the page paints the masks over
    assert frame.status_code == 200 and Image.open(io.BytesIO(frame.content)).size == (64, 48)
    red, blue = uploaded(client, flat((230, 20, 20)), "red.png"), uploaded(client, flat((20, 20, 230)), "blue.png")
    request = {"method": "adain", "content": content["id"], "styles": [red["id"], blue["id"]], "temporal": 0}
    if by == "masks":  # white where each style paints
        left = uploaded(client, flat((255, 255, 255), keep=slice(0, 32)), "left.png")
        right = uploaded(client, flat((255, 255, 255), keep=slice(32, 64)), "right.png")
        request["style_masks"] = [left["id"], right["id"]]
    else:  # the frames' map: green on the left, yellow on the right; each style's map one of the two
        frames_map = np.asarray(Image.open(io.BytesIO(flat((0, 200, 0))))).copy()
        frames_map[:, 32:] = (250, 220, 0)
        buffer = io.BytesIO()
        Image.fromarray(frames_map).save(buffer, "PNG")
        request["labels"] = [uploaded(client, buffer.getvalue(), "left.png")["id"],
                             uploaded(client, flat((0, 200, 0)), "red-map.png")["id"],
                             uploaded(client, flat((250, 220, 0)), "blue-map.png")["id"]]
    response = client.post("/api/jobs", json=request)
    assert response.status_code == 201, response.text
    job = response.json()
    assert events(client, job)[-1]["data"]["state"] == "done"
    (tmp_path / "out.mp4").write_bytes(client.get(job["urls"]["result"]).content)
    for pixels in video.frames(tmp_path / "out.mp4"):  # red on the left, blue on the right, in every frame
        west, east = pixels[:, :24].astype(float).mean((0, 1)), pixels[:, 40:].astype(float).mean((0, 1))
        assert west[0] > west[2] + 30 and east[2] > east[0] + 30, (west, east)
    params = client.get(job["urls"]["params"]).json()
    named = ["left.png", "right.png"] if by == "masks" else ["left.png", "red-map.png", "blue-map.png"]
    flag = "--style-masks" if by == "masks" else "--labels"
    assert f"{flag} {','.join(named)}" in params["command"]  # as batch takes them, named as uploaded
    assert [m["name"] for m in params["inputs"][by]] == named


def test_a_cut_video_is_refused_at_upload(client, clip):
    response = client.post("/api/uploads", params={"name": "cut.mp4"}, content=clip[: len(clip) // 2])
    assert response.status_code in (400, 422) and response.json()["detail"].startswith("cut.mp4")


def test_a_video_on_a_server_without_the_batch_extra_says_what_to_install(client, clip, monkeypatch):
    import stylegram.batch.flow as flow

    def missing():
        raise flow.OptionError("following the motion needs OpenCV: pip install 'stylegram[batch]'")

    monkeypatch.setattr(flow, "check_available", missing)
    response = client.post("/api/uploads", params={"name": "clip.mp4"}, content=clip)
    assert response.status_code == 400 and "pip install 'stylegram[batch]'" in response.json()["detail"]


def test_a_videos_settings_are_checked_on_its_first_frame_before_it_queues(client, clip):
    content, style = uploaded(client, clip, "clip.mp4"), uploaded(client, picture(), "paint.png")
    response = client.post("/api/jobs", json={"method": "gatys", "content": content["id"], "styles": [style["id"]],
                                              "style_layers": "relu9_9", "iterations": "2"})
    assert response.status_code == 400
    assert response.json()["detail"].startswith("layer 'relu9_9' does not exist in vgg19; did you mean relu5_4?")


def test_a_video_job_that_fails_says_why_with_the_uploads_name_and_keeps_nothing(client, clip, monkeypatch):
    import stylegram.batch
    from stylegram.batch import Failure, Report

    def failing(inputs, styles, out_dir, **options):  # a frame that cannot be decoded, after some work
        Path(out_dir).mkdir(parents=True)
        (Path(out_dir) / ".partial").write_bytes(b"x")
        return Report(failed=[Failure(str(inputs[0]), f"{inputs[0]}: cannot decode frame 3; the file may be damaged")])

    monkeypatch.setattr(stylegram.batch, "stylize_batch", failing)
    content, style = uploaded(client, clip, "clip.mp4"), uploaded(client, picture(), "paint.png")
    job = client.post("/api/jobs", json={"method": "adain", "content": content["id"], "styles": [style["id"]]}).json()
    final = events(client, job)[-1]["data"]
    assert final["state"] == "failed" and not final["has_result"]
    assert final["message"] == "clip.mp4: cannot decode frame 3; the file may be damaged"  # not the stored file's path
    assert not (client.app.state.service.runner.store.folder / f"video-{job['id']}").exists()


def test_a_forgotten_video_jobs_file_goes_with_it(client, clip):
    runner = client.app.state.service.runner
    keep, runner.keep = runner.keep, 1
    try:
        content, style = uploaded(client, clip, "clip.mp4"), uploaded(client, picture(), "paint.png")
        body = {"method": "adain", "content": content["id"], "styles": [style["id"]]}
        first = client.post("/api/jobs", json=body).json()
        assert events(client, first)[-1]["data"]["state"] == "done"
        written = runner.jobs[first["id"]].video
        assert written.is_file()
        second = client.post("/api/jobs", json=body).json()
        assert events(client, second)[-1]["data"]["state"] == "done"
        deadline = time.monotonic() + 10  # the older job is forgotten just after the newer one's final state
        while first["id"] in runner.jobs and time.monotonic() < deadline:
            time.sleep(0.02)
        assert first["id"] not in runner.jobs and not written.parent.exists()  # only the latest is kept
        assert client.get(second["urls"]["result"]).status_code == 200
    finally:
        runner.keep = keep


def test_how_frames_are_kept_steady_is_a_videos_setting_only(client, clip):
    config = client.get("/api/config").json()
    assert config["video_defaults"] == {"gatys": {"temporal": 0.0, "temporal_weight": 10.0}, "adain": {"temporal": 0.3},
                                        "wct": {"temporal": 0.3}}
    assert "temporal_weight" in config["video_fields"]["gatys"] and "temporal_weight" not in config["video_fields"]["wct"]
    image, style = uploaded(client, picture(), "photo.png"), uploaded(client, picture(), "paint.png")
    response = client.post("/api/jobs", json={"method": "adain", "content": image["id"], "styles": [style["id"]],
                                              "temporal": 0.5})
    assert response.status_code == 400 and "temporal is not a setting of the adain method" in response.json()["detail"]
    video = uploaded(client, clip, "clip.mp4")
    response = client.post("/api/jobs", json={"method": "adain", "content": video["id"], "styles": [style["id"]],
                                              "temporal_weight": 5})
    assert response.status_code == 400 and response.json()["detail"] == (  # was 'not a setting of a video'
        "temporal_weight is a setting of a gatys video, and this one is adain's; leave it out")
    response = client.post("/api/jobs", json={"method": "adain", "content": video["id"], "styles": [style["id"]],
                                              "temporal": 1.0})
    assert response.status_code == 422 and "temporal" in response.json()["detail"]


def test_a_gatys_videos_time_left_is_judged_from_the_frames_after_the_first():
    pace = steps_module.FramePace()
    report = {"iteration": 10, "elapsed": 2.0, "estimated_left": 6.0}  # this frame: 8 s in all, 6 s to go
    assert pace.left(report, 1, 5) is None  # the first frame runs the whole schedule: the rest is unknown
    pace.done(30.0)
    assert pace.left(report, 2, 5) == 6.0 + 3 * 8.0  # three more frames like this one, not like the first
    assert pace.left({**report, "iteration": 1}, 2, 5) is None  # its pace unknown yet (not the first frame's)
    assert pace.left(report, 5, 5) == 6.0  # the last frame
    for seconds in (9.0, 10.0, 40.0):  # one frame slowed by a busy CPU
        pace.done(seconds)
    swung = {**report, "estimated_left": 60.0}  # this frame's own estimate, early, on a busy CPU
    assert pace.left(swung, 3, 5) == 60.0 + 2 * 10.0  # the later frames at the median of those made, not 62 s each
    assert pace.left({**report, "iteration": 1, "elapsed": 1.0}, 3, 5) == 9.0 + 2 * 10.0


def test_a_videos_time_left_after_a_frame_leaves_the_first_frame_out():
    """After an AdaIN video's first frame the page said 'about 1 min 17 s left', taken from a first frame that held
    the workers' start; the video ended a second later."""
    pace = steps_module.FramePace()
    pace.done(77.0)  # the first frame, with the cluster's start
    assert pace.after_frame(1, 12) is None  # unknown yet: said so
    for seconds in (0.1, 0.3, 0.2):
        pace.done(seconds)
    assert pace.after_frame(4, 12) == pytest.approx(8 * 0.2) and pace.after_frame(12, 12) == 0.0


def test_a_video_jobs_command_makes_the_same_video(client, clip, tmp_path, monkeypatch):
    """The parameters' command named a sample chosen on the page as the file it was uploaded as (swirls.png), which
    batch did not find; and the video it made differed from the page's by up to 20 grey levels (x264's AVX-512
    code; stylegram.batch.video.encoder_options)."""
    import shlex

    from stylegram import samples
    from stylegram.cli import main

    content = uploaded(client, clip, "street.mp4")
    style = uploaded(client, samples.path("swirls").read_bytes(), "swirls.png")  # 384 x 384
    job = client.post("/api/jobs", json={"method": "adain", "content": content["id"], "styles": [style["id"]]}).json()
    assert events(client, job)[-1]["data"]["state"] == "done"
    made = client.get(job["urls"]["result"]).content
    command = client.get(job["urls"]["params"]).json()["command"]
    assert command == "stylegram batch street.mp4 --style sample:swirls -o styled/ --method adain"
    (tmp_path / "street.mp4").write_bytes(clip)
    monkeypatch.chdir(tmp_path)
    assert main(shlex.split(command)[1:]) == 0
    assert (tmp_path / "styled" / "street.mp4").read_bytes() == made
