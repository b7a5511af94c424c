"""Render README's pictures of the web page: two styles on chelsea, their regions painted on the page; and with
--video, the same on a pan across chelsea, a Gatys frame caught as it forms.

    python examples/web_gallery.py [--size 256] [--video]

Needs the web and test extras (FastAPI, Playwright; --video the batch extra too) and Chromium at /usr/bin/chromium
(Debian's package). The page is driven as a user would: upload, "Paint masks on the content" (a video's: on its
first frame), paint the right of the picture for the second style, "Fill the rest" with the first, use the masks,
start, wait for the result (a video: for the second frame to be half made); then the whole page is captured.
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
VIDEO_OUT = Path(__file__).parent / "gallery" / "web_video.png"
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
    parser.add_argument("--video", action="store_true", help="a Gatys video as the content (web_video.png)")
    args = parser.parse_args()
    out = VIDEO_OUT if args.video else OUT
    with tempfile.TemporaryDirectory() as tmp:
        files = []
        for name in ("chelsea", "swirls", "mosaic"):
            file = Path(tmp) / f"{name}.png"
            images.load_image(path(name)).save(file)
            files.append(str(file))
        if args.video:
            files[0] = str(pan(Path(tmp) / "chelsea_pan.mp4"))
        app = create_app(preview_every=10, allowed_hosts=["127.0.0.1"])
        with running(app) as url, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_page(viewport={"width": 1200, "height": 1100})
            page.goto(url)
            page.wait_for_selector("body[data-ready=true]")
            page.set_input_files("#content-input", files[0])
            page.set_input_files("#style-input", files[1:])
            page.wait_for_selector("#content-thumbs .thumb:not(.pending)")
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
            if args.video:  # the second frame half made: its loss curve, the picture forming, the time left
                page.wait_for_selector("#job-status:text-matches('frame 2 of [0-9]+, iteration (4[5-9]|[5-9][0-9])')",
                                       timeout=600_000)
                page.wait_for_selector("#preview-caption:has-text('frame 2 as it forms')", timeout=60_000)
            else:
                page.wait_for_selector("body[data-job-state=done]", timeout=600_000)
            page.click("#paint-open")  # show the masks as painted beside the result
            page.wait_for_selector("#painter:not([hidden])")
            shot = Path(tmp) / "page.png"
            page.screenshot(path=str(shot), full_page=True)
            browser.close()
        # 256 colours: a third of the bytes, the text as sharp, the pictures lightly dithered
        Image.open(shot).convert("RGB").quantize(256, method=Image.Quantize.MEDIANCUT).save(out, optimize=True)
    print(out)


def pan(file: Path) -> Path:
    """A 6-frame camera pan across chelsea, 288x192, as batch's benchmarks make it."""
    import numpy as np
    import skimage.data

    from stylegram.batch import video

    photo = np.asarray(Image.fromarray(skimage.data.chelsea()).resize((400, 266), Image.Resampling.LANCZOS))
    return video.pan_video(file, photo, 6, (288, 192), 10)


if __name__ == "__main__":
    main()
