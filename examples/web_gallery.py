"""Render README's picture of the web page: two styles on chelsea, their regions painted on the page.

    python examples/web_gallery.py [--size 256]

Needs the web and test extras (FastAPI, Playwright) and Chromium at /usr/bin/chromium (Debian's package). The
page is driven as a user would: upload, "Paint masks on the content", paint the right of the picture for the
second style, "Fill the rest" with the first, use the masks, start, wait for the result; then the whole page is
captured.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from PIL import Image
from playwright.sync_api import sync_playwright

from stylegram import images
from stylegram.samples import path
from stylegram.web import create_app, running

OUT = Path(__file__).parent / "gallery" / "web.png"
CHROMIUM = "/usr/bin/chromium"


def paint(page, x0: float, x1: float, y0: float, y1: float, rows: int = 10) -> None:
    """Brush strokes across the painter's canvas from x0 to x1 (shares of its width), rows from y0 to y1."""
    box = page.locator("#painter-canvas").bounding_box()
    for k in range(rows):
        y = box["y"] + (y0 + (y1 - y0) * k / (rows - 1)) * box["height"]
        page.mouse.move(box["x"] + x0 * box["width"], y)
        page.mouse.down()
        page.mouse.move(box["x"] + x1 * box["width"], y, steps=10)
        page.mouse.up()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=256)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        files = []
        for name in ("chelsea", "swirls", "mosaic"):
            file = Path(tmp) / f"{name}.png"
            images.load_image(path(name)).save(file)
            files.append(str(file))
        app = create_app(preview_every=10, allowed_hosts=["127.0.0.1"])
        with running(app) as url, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_page(viewport={"width": 1200, "height": 1100})
            page.goto(url)
            page.wait_for_selector("body[data-ready=true]")
            page.set_input_files("#content-input", files[0])
            page.set_input_files("#style-input", files[1:])
            page.wait_for_selector("#style-thumbs .thumb:nth-child(2) .mask-add")
            page.click("#paint-open")
            page.fill("#brush", "70")
            page.click(".painter-choice[data-index='1']")
            paint(page, 0.62, 1.0, 0.03, 0.97)  # mosaic on the right ...
            page.click(".painter-choice[data-index='0']")
            page.click("#painter-fill")  # ... swirls everywhere else
            page.click("#painter-use")
            page.wait_for_selector("#style-thumbs .thumb:nth-child(2) .has-mask")
            page.fill("#size", str(args.size))
            page.click("#start")
            page.wait_for_selector("body[data-job-state=done]", timeout=600_000)
            page.click("#paint-open")  # show the masks as painted beside the result
            page.wait_for_selector("#painter:not([hidden])")
            shot = Path(tmp) / "page.png"
            page.screenshot(path=str(shot), full_page=True)
            browser.close()
        # 256 colours: a third of the bytes, the text as sharp, the pictures lightly dithered
        Image.open(shot).convert("RGB").quantize(256, method=Image.Quantize.MEDIANCUT).save(OUT, optimize=True)
    print(OUT)


if __name__ == "__main__":
    main()
