"""Pictures given by their web address: fetched once from a local HTTP server into the cache, then read as files."""

import http.server

import pytest
import torch
from PIL import Image

from stylegram import downloads
from stylegram.cli import main
from stylegram.errors import ImageError
from stylegram.images import load_input


def test_a_picture_is_fetched_once_and_read_as_the_file_is(site, tmp_path):
    url = f"{site.url}/swirls.png"
    copy = downloads.fetch(url)
    assert copy.name == "swirls.png" and copy.parent.parent == tmp_path / "cache"  # captions show its own name
    assert copy.read_bytes() == site.png
    assert torch.equal(load_input(url, "style image"), load_input("sample:swirls", "style image"))
    assert site.requests == ["/swirls.png"]  # the second read came from the cache
    assert downloads.cached_path(f"{site.url}/other/swirls.png").parent != copy.parent  # another address, another folder


def test_an_address_without_an_extension_takes_its_content_types(site):
    copy = downloads.fetch(f"{site.url}/photo?id=3")
    assert copy.name == "photo.png" and Image.open(copy).size == (384, 384)
    assert downloads.fetch(f"{site.url}/photo?id=3") == copy and len(site.requests) == 1


@pytest.mark.parametrize("where, said", [
    ("/page.html", r"/page.html is a web page \(text/html\), not a picture: give the address of the picture itself"),
    ("/notes.txt", r"/notes.txt is text \(text/plain\), not a picture"),
    ("/gone.jpg", r"could not download .*/gone.jpg: the server answered 404 File not found; check the address, or "
                  "download it yourself and give the file's path"),
])
def test_a_page_or_a_missing_picture_is_named_and_nothing_is_kept(site, tmp_path, where, said):
    with pytest.raises(ImageError, match=said):
        downloads.fetch(site.url + where)
    assert not list((tmp_path / "cache").rglob("*.*"))  # no half-written or wrong file left to be read next time


def test_an_unreachable_host_and_a_runaway_download_are_refused(site, monkeypatch, tmp_path):
    closed = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
    port = closed.server_address[1]
    closed.server_close()  # nothing listens there now
    with pytest.raises(ImageError, match=rf"could not download http://127.0.0.1:{port}/a.png \(.*refused\); check "
                                         "the address and the connection, or download it yourself"):
        downloads.fetch(f"http://127.0.0.1:{port}/a.png")
    monkeypatch.setattr(downloads, "MAX_BYTES", 1000)
    with pytest.raises(ImageError, match=r"/swirls.png is larger than \d+ MiB, more than any picture needs"):
        downloads.fetch(f"{site.url}/swirls.png")
    assert not [p for p in (tmp_path / "cache").rglob("*") if p.is_file()]  # the temporary file removed too


def test_a_large_download_shows_its_progress_and_a_small_one_does_not(site, monkeypatch, capsys):
    downloads.fetch(f"{site.url}/swirls.png")  # 340 kB: over in a moment
    assert capsys.readouterr().err == ""
    monkeypatch.setattr(downloads, "PROGRESS_FROM", 100_000)  # as the weights' hundreds of MB are
    downloads.fetch(f"{site.url}/photo?id=3")
    lines = capsys.readouterr().err.splitlines()  # not a terminal: whole lines, the last at 100 %
    assert lines[-1].startswith("downloading photo: 332k/332k B (100%)"), lines


def test_a_cache_folder_that_cannot_be_made_names_the_variable_that_moves_it(site, monkeypatch, tmp_path):
    (tmp_path / "a_file").write_text("")
    monkeypatch.setenv(downloads.FOLDER_ENV, str(tmp_path / "a_file" / "cache"))
    with pytest.raises(ImageError, match=r"cannot keep downloaded pictures in .*a_file/cache/\w+ \(.*\); set "
                                         "STYLEGRAM_DOWNLOADS to a folder you can write"):
        downloads.fetch(f"{site.url}/swirls.png")
    assert site.requests == []  # refused before the download


def test_the_command_line_takes_an_address_as_a_style(site, tmp_path, capsys):
    out = tmp_path / "out.png"
    assert main(["transfer", "sample:chelsea", f"{site.url}/swirls.png", "-o", str(out), "--size", "48", "--min-size",
                 "48", "--iterations", "2", "--quiet"]) == 0
    assert Image.open(out).size == (48, 32)
    assert main(["transfer", "sample:chelsea", f"{site.url}/page.html", "-o", str(tmp_path / "b.png")]) == 2
    assert "style image 1: " in capsys.readouterr().err and not (tmp_path / "b.png").exists()


def test_the_downloads_are_listed_with_their_addresses_and_cleared_leaving_other_files(site, tmp_path, capsys):
    swirls, photo = downloads.fetch(f"{site.url}/swirls.png"), downloads.fetch(f"{site.url}/photo?id=3")
    (photo.parent / downloads.ADDRESS_FILE).unlink()  # as a picture fetched before addresses were kept
    own = tmp_path / "cache" / "mine" / "painting.png"  # $STYLEGRAM_DOWNLOADS may name a folder with other files
    own.parent.mkdir()
    own.write_bytes(site.png)
    assert main(["samples", "--downloads"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"2 pictures fetched by web address ({(len(site.png) + photo.stat().st_size) / 1e6:.1f} MB), " \
                       f"kept in {tmp_path / 'cache'}:"
    assert lines[1].split() == [f"{swirls.parent.name}/swirls.png", f"{len(site.png) / 1e6:.1f}", "MB",
                                f"{site.url}/swirls.png"]
    assert lines[2].endswith("(address not recorded)") and "mine" not in "".join(lines)
    assert main(["samples", "--clear-downloads"]) == 0
    assert capsys.readouterr().out.startswith("removed 2 pictures (")
    assert not swirls.parent.exists() and not photo.parent.exists() and own.read_bytes() == site.png
    assert main(["samples", "--downloads"]) == 0
    assert capsys.readouterr().out.startswith("no pictures fetched by web address yet")
    assert downloads.fetch(f"{site.url}/swirls.png").read_bytes() == site.png  # fetched again
    assert site.requests.count("/swirls.png") == 2
