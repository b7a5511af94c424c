"""Pictures given by their web address: fetched once from a local HTTP server into the cache, then read as files."""

import http.server
import threading

import pytest
import torch
from PIL import Image

from stylegram import downloads
from stylegram.cli import main
from stylegram.errors import ImageError
from stylegram.images import load_input
from stylegram.samples import path


class _Site(http.server.BaseHTTPRequestHandler):
    """/swirls.png and /photo?id=3 (a PNG, its address without an extension), /page.html, anything else 404."""

    png = path("swirls").read_bytes()
    requests: list[str] = []

    def do_GET(self):
        type(self).requests.append(self.path)
        body, kind = {"/swirls.png": (self.png, "image/png"), "/photo?id=3": (self.png, "image/png"),
                      "/page.html": (b"<html><body>a gallery</body></html>", "text/html; charset=utf-8")
                      }.get(self.path, (None, None))
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
    """The address of a local web server; downloads cached in tmp_path/cache, no proxy in the way."""
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(downloads.FOLDER_ENV, str(tmp_path / "cache"))
    _Site.requests = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Site)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_picture_is_fetched_once_and_read_as_the_file_is(site, tmp_path):
    url = f"{site}/swirls.png"
    copy = downloads.fetch(url)
    assert copy.name == "swirls.png" and copy.parent.parent == tmp_path / "cache"  # captions show its own name
    assert copy.read_bytes() == _Site.png
    assert torch.equal(load_input(url, "style image"), load_input("sample:swirls", "style image"))
    assert _Site.requests == ["/swirls.png"]  # the second read came from the cache
    assert downloads.cached_path(f"{site}/other/swirls.png").parent != copy.parent  # another address, another folder


def test_an_address_without_an_extension_takes_its_content_types(site):
    copy = downloads.fetch(f"{site}/photo?id=3")
    assert copy.name == "photo.png" and Image.open(copy).size == (384, 384)
    assert downloads.fetch(f"{site}/photo?id=3") == copy and len(_Site.requests) == 1


@pytest.mark.parametrize("where, said", [
    ("/page.html", r"/page.html is a web page \(text/html\), not a picture: give the address of the picture itself"),
    ("/gone.jpg", r"could not download .*/gone.jpg: the server answered 404 File not found; check the address, or "
                  "download it yourself and give the file's path"),
])
def test_a_page_or_a_missing_picture_is_named_and_nothing_is_kept(site, tmp_path, where, said):
    with pytest.raises(ImageError, match=said):
        downloads.fetch(site + where)
    assert not list((tmp_path / "cache").rglob("*.*"))  # no half-written or wrong file left to be read next time


def test_an_unreachable_host_and_a_runaway_download_are_refused(site, monkeypatch, tmp_path):
    closed = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Site)
    port = closed.server_address[1]
    closed.server_close()  # nothing listens there now
    with pytest.raises(ImageError, match=rf"could not download http://127.0.0.1:{port}/a.png \(.*refused\); check "
                                         "the address and the connection, or download it yourself"):
        downloads.fetch(f"http://127.0.0.1:{port}/a.png")
    monkeypatch.setattr(downloads, "MAX_BYTES", 1000)
    with pytest.raises(ImageError, match=r"/swirls.png is larger than \d+ MiB, more than any picture needs"):
        downloads.fetch(f"{site}/swirls.png")
    assert not [p for p in (tmp_path / "cache").rglob("*") if p.is_file()]  # the temporary file removed too


def test_the_command_line_takes_an_address_as_a_style(site, tmp_path, capsys):
    out = tmp_path / "out.png"
    assert main(["transfer", "sample:chelsea", f"{site}/swirls.png", "-o", str(out), "--size", "48", "--min-size",
                 "48", "--iterations", "2", "--quiet"]) == 0
    assert Image.open(out).size == (48, 32)
    assert main(["transfer", "sample:chelsea", f"{site}/page.html", "-o", str(tmp_path / "b.png")]) == 2
    assert "style image 1: " in capsys.readouterr().err and not (tmp_path / "b.png").exists()
