"""Shared fixtures: the embedded VGG19 is loaded once per test session; a job stopped at an iteration; a local web site."""

from __future__ import annotations

import http.server
import os
import threading
import types

if "PYTEST_XDIST_WORKER" in os.environ:  # README's `-n 2`: two test processes of one thread each share the 2 cores
    os.environ.setdefault("OMP_NUM_THREADS", "1")  # before torch; the commands the tests start inherit it

import pytest
import stylegram  # noqa: F401, E402  (before torch: it sets OpenMP's wait policy, see stylegram/__init__.py)
import torch  # noqa: E402

from stylegram import downloads, samples  # noqa: E402


@pytest.fixture(scope="session")
def vgg():
    """The default backbone: embedded normalised VGG19, reflect padding, max pooling."""
    from stylegram.features import default_backbone

    return default_backbone()


@pytest.fixture(scope="session")
def chelsea() -> torch.Tensor:
    """skimage's cat photo, 300x451, as a (1, 3, H, W) tensor in [0, 1]."""
    from skimage import data

    return torch.from_numpy(data.chelsea()).permute(2, 0, 1).unsqueeze(0).float() / 255


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


@pytest.fixture
def checkpoint_at(tmp_path):
    """A function that runs a job up to an iteration and writes its checkpoint (tmp_path / name), as a run stopped
    there would; it returns the checkpoint's path."""

    def stop(job, iteration: int, name: str = "run.ckpt"):
        for progress in job:
            if progress.iteration == iteration:
                break
        job.checkpoint(tmp_path / name)
        return tmp_path / name

    return stop


class _Site(http.server.BaseHTTPRequestHandler):
    """/swirls.png and /photo?id=3 (a PNG, its address without an extension), /page.html, /notes.txt, else 404."""

    png = samples.path("swirls").read_bytes()
    requests: list[str] = []

    def do_GET(self):
        type(self).requests.append(self.path)
        body, kind = {"/swirls.png": (self.png, "image/png"), "/photo?id=3": (self.png, "image/png"),
                      "/page.html": (b"<html><body>a gallery</body></html>", "text/html; charset=utf-8"),
                      "/notes.txt": (b"not a picture", "text/plain")}.get(self.path, (None, None))
        if body is None:
            self.send_error(404, "File not found")
            return
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def site(monkeypatch, tmp_path):
    """A local web server (_Site): its ``url``, the ``requests`` it got and the ``png`` it serves; downloads cached in
    tmp_path/cache, no proxy in the way."""
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(downloads.FOLDER_ENV, str(tmp_path / "cache"))
    _Site.requests = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Site)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield types.SimpleNamespace(url=f"http://127.0.0.1:{server.server_address[1]}", requests=_Site.requests,
                                png=_Site.png)
    server.shutdown()
    server.server_close()
