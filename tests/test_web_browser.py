"""The web page in a real browser: headless Chromium (Debian's package) driven by Playwright, end to end.

Set STYLEGRAM_WEB_SCREENSHOT=path.png to keep the screenshot somewhere else than pytest's temporary folder.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import os
import re
import subprocess
import sys
import zipfile
from importlib import resources
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]

if not CHROMIUM.exists():
    pytest.skip(f"headless Chromium is not installed at {CHROMIUM} (apt-get install -y chromium; .ci/run does)",
                allow_module_level=True)
pytest.importorskip("fastapi", reason="the web extra is not installed: pip install -e '.[web]'")
sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed (the test extra)")

from stylegram.web import create_app, running  # noqa: E402


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium for the module's tests; each test's page has a context of its own (a new visitor's)."""
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield launched
        launched.close()


@pytest.fixture
def pictures(tmp_path, chelsea) -> dict[str, Path]:
    """A small photo, a small style image and a file that is not an image."""
    cat = Image.fromarray((chelsea[0].permute(1, 2, 0).numpy() * 255).round().astype(np.uint8))
    cat.thumbnail((150, 150))
    cat.save(tmp_path / "chelsea.png")
    with resources.as_file(resources.files("stylegram").joinpath("data", "swirls.png")) as swirls:
        style = Image.open(swirls).convert("RGB")
    style.thumbnail((128, 128))
    style.save(tmp_path / "swirls.png")
    (tmp_path / "notes.txt").write_text("not a picture\n")
    return {"content": tmp_path / "chelsea.png", "style": tmp_path / "swirls.png", "text": tmp_path / "notes.txt"}


def drop(page, selector: str, path: Path | list[Path], mime: str) -> None:
    """Drop a file (or several) onto an element as a user dragging it from the desktop would."""
    paths = path if isinstance(path, list) else [path]
    files = [[base64.b64encode(p.read_bytes()).decode(), p.name] for p in paths]
    transfer = page.evaluate_handle(
        """([files, mime]) => {
            const transfer = new DataTransfer();
            for (const [data, name] of files) {
                const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
                transfer.items.add(new File([bytes], name, { type: mime }));
            }
            return transfer;
        }""",
        [files, mime],
    )
    page.dispatch_event(selector, "dragover", {"dataTransfer": transfer})
    page.dispatch_event(selector, "drop", {"dataTransfer": transfer})


def test_page_runs_a_small_job_end_to_end(browser, pictures, tmp_path):
    shot = Path(os.environ.get("STYLEGRAM_WEB_SCREENSHOT") or tmp_path / "web.png")
    app = create_app(preview_every=2, allowed_hosts=["127.0.0.1"])
    with running(app) as url:
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 980}, accept_downloads=True)
            outside: list[str] = []
            page.on("request", lambda r: None if r.url.startswith((url, "data:", "blob:")) else outside.append(r.url))
            page.goto(url)
            page.wait_for_selector("body[data-ready=true]")
            # each method shows its own default layers, and the one-pass methods have none to set
            assert page.get_attribute("#style_layers", "placeholder") == ("relu1_1,relu2_1,relu3_1,relu4_1,relu5_1 "
                                                                          "(mrf: relu3_1,relu4_1)")
            assert page.is_hidden("[data-field=height]") and page.is_hidden("[data-field=tileable]")
            assert page.is_visible("[data-field=tile]") and page.get_attribute("#tile", "placeholder") == "none: one piece"
            page.select_option("#method", "texture")
            assert page.is_hidden("[data-field=tile]") and page.is_hidden(".video-hint")  # a texture has no content
            assert page.get_attribute("#style_layers", "placeholder") == "conv1_1,pool1,pool2,pool3,pool4"
            assert page.is_visible("[data-field=height]") and page.is_visible("[data-field=tileable]")
            assert page.inner_text("#size-name").startswith("Width") and page.get_attribute("#size", "placeholder") == "256"
            assert page.inner_text("#blend-name") == "Example blend" and page.inner_text("#layers-name") == "Layers"
            assert page.inner_text("#scale-name") == "Example scale (× its own size)"  # it had no scale
            assert "the first example's fine texture" in page.inner_text("#layers-hint")  # said "style" to a texture
            page.select_option("#method", "adain")
            assert page.is_hidden("[data-field=style_layers]")
            page.select_option("#method", "gatys")
            assert page.inner_text("#size-name") == "Size (long side, px)" and page.is_visible(".video-hint")
            assert page.inner_text("#blend-name") == "Style blend" and page.inner_text("#layers-name") == "Style layers"
            assert page.inner_text("#scale-name") == "Style scale (× the output's size)"

            # A file that is not an image: the server's message appears on the page.
            page.set_input_files("#content-input", str(pictures["text"]))
            page.wait_for_selector("#error:not([hidden])")
            assert "notes.txt is not an image" in page.inner_text("#error")

            page.set_input_files("#content-input", str(pictures["content"]))  # chosen with the file dialog
            drop(page, "#style-drop", pictures["style"], "image/png")  # dragged and dropped
            page.wait_for_selector("#content-thumbs .thumb:not(.pending)")
            page.wait_for_selector("#style-thumbs .thumb:not(.pending)")
            assert page.is_hidden("#error")
            page.fill("#size", "128")
            page.fill("#min_size", "128")
            page.fill("#iterations", "16")
            # the default named by the choice it is, that choice not listed twice ("default (gram)" over "Gram ...")
            # in its short name, which the closed menu shows whole ("default: the content, recoloure" was cut)
            assert page.inner_text("#init option[value='']") == "default: content or recoloured"
            assert page.inner_text("#statistic option[value='']") == "default: Gram matrices"
            assert page.evaluate("document.querySelector('#statistic option[value=gram]').hidden")
            page.select_option("#init", "recolor")
            page.fill("#style_layers", "relu1_1,relu2_1,relu3_1,relu4_1")
            page.click("#start")

            page.wait_for_selector("body[data-job-state=done]", timeout=60_000)  # (the page's CSP forbids eval)
            updates = int(page.get_attribute("#preview", "data-updates"))
            assert updates >= 2, f"only {updates} preview update(s) arrived"
            assert page.locator("#loss-curve polyline").count() >= 2  # the total and its parts
            # the dashed line where the pixel polish begins says so (it stood unexplained)
            assert page.locator("#loss-curve .scale-label").all_text_contents() == ["pixel polish"]
            assert page.inner_text("#job-status") == "Done after 16 iterations."
            assert page.inner_text("#stats").startswith("scale 1 of 1, pixel polish (128×85)")  # the last 8 of 16
            assert page.inner_text("#stats").endswith(" in all")  # said "so far" when it was over
            page.wait_for_selector("#measured:not([hidden])")  # the picture's explain numbers under it
            assert re.fullmatch(r"Measured: -?\d+% of the way to the style's Gram matrices \(relu1_1 -?\d+%, relu2_1 "
                                r"-?\d+%, relu3_1 -?\d+%, relu4_1 -?\d+%\); content kept: r [\d.]+ \(the style's own "
                                r"maps: [\d.]+\)\.", page.inner_text("#measured"))
            page.screenshot(path=str(shot), full_page=True)
            print(f"screenshot: {shot}")

            with page.expect_download() as download:
                page.click("#download-result")
            saved = tmp_path / "result.png"
            download.value.save_as(saved)
            assert Image.open(saved).size == (128, 85)
            with page.expect_download() as download:
                page.click("#download-params")
            params = json.loads(Path(download.value.path()).read_text())
            assert params["options"]["iterations"] == "16" and params["inputs"]["content"]["name"] == "chelsea.png"
            assert params["options"]["init"] == "recolor"
            assert params["options"]["style_layers"] == "relu1_1,relu2_1,relu3_1,relu4_1"
            with page.expect_download() as download:  # the files its command reads, beside that command
                page.click("#download-inputs")
            assert download.value.suggested_filename.endswith("_inputs.zip")
            zipped = zipfile.ZipFile(download.value.path()).namelist()
            assert "chelsea.png" in zipped and any(name.endswith("_params.json") for name in zipped), zipped
            with page.context.expect_page() as opened:  # the explanation, in a tab of its own
                page.click("#explain-result")
            explained = opened.value
            explained.wait_for_load_state()
            assert explained.title() == "Why this style transfer looks as it does"
            assert explained.eval_on_selector("h1", "h => getComputedStyle(h).fontSize") == "25.6px"  # its style sheet
            assert outside == [], f"the page fetched from outside the server: {outside}"
        finally:
            closed(browser)


def test_a_picture_removed_while_it_uploads_is_not_used(browser, pictures):
    app = create_app(allowed_hosts=["127.0.0.1"])
    store = app.state.service.store
    with running(app) as url:
        try:
            page = browser.new_page()
            page.goto(url)
            page.wait_for_selector("body[data-ready=true]")
            page.set_input_files("#content-input", str(pictures["content"]))
            page.wait_for_selector("#content-thumbs .thumb:not(.pending)")

            held = []  # the style's upload, held back until its thumbnail has been removed
            page.route("**/api/uploads?*", lambda route: held.append(route))
            drop(page, "#style-drop", pictures["style"], "image/png")
            page.wait_for_selector("#style-thumbs .thumb.pending")
            while not held:
                page.wait_for_timeout(20)
            page.click("#style-thumbs .thumb button")
            with page.expect_response(lambda r: r.request.method == "DELETE") as deleted:
                held[0].continue_()  # the server stores it; the page, no longer wanting it, deletes it again
            assert deleted.value.status == 204
            assert len(store) == 1  # the content alone

            page.click("#start")
            page.wait_for_selector("#error:not([hidden])")
            assert page.inner_text("#error") == "Add at least one style image."
            page.unroute("**/api/uploads?*")
            drop(page, "#content-drop", [pictures["style"], pictures["content"]], "image/png")  # the second went
            page.wait_for_selector("#error:has-text('One content picture at a time')")  # without a word
            assert page.inner_text("#error") == ("One content picture at a time: swirls.png is the content, and "
                                                 "chelsea.png was not used (drop it on the style images to use it "
                                                 "as a style).")
            assert page.locator("#content-thumbs .thumb:not([hidden])").count() == 1
        finally:
            closed(browser)


def test_a_sample_picture_is_one_click_away(browser):
    """No pictures at hand: a sample link uploads the picture as a dropped file would be (a photo as the content, a
    style image or texture as a style); a texture, which has no content, offers no photos."""
    from stylegram import samples

    app = create_app(allowed_hosts=["127.0.0.1"])
    with ready_page(browser, app) as (page, url):
        photos = [name for name in samples.available() if samples.kind(name) == "photo"]
        assert page.inner_text("#content-samples") == "or a sample: " + " · ".join(photos)
        assert "swirls · mosaic · brick" in page.inner_text("#style-samples")
        assert page.inner_text("#job-status") == "Add a content image, then press Start."
        page.click("#content-samples [data-sample=chelsea]")
        page.wait_for_selector("#content-thumbs .thumb:not(.pending)")
        assert page.inner_text("#job-status") == "Add a style image, then press Start."
        page.click("#style-samples [data-sample=swirls]")
        page.click("#style-samples [data-sample=mosaic]")
        page.wait_for_selector("#content-thumbs .thumb:not(.pending)")
        page.wait_for_selector("#style-thumbs .thumb:nth-child(2):not(.pending)")
        assert page.inner_text("#content-thumbs .thumb").split("\n")[:2] == ["chelsea.png", "451×300"]
        assert [page.inner_text(f"#style-thumbs .thumb:nth-child({i}) .name") for i in (1, 2)] == ["swirls.png",
                                                                                                    "mosaic.png"]
        assert len(app.state.service.store) == 3
        assert page.inner_text("#job-status") == "Ready: press Start."  # was "Add images, ..." with them in place
        page.select_option("#method", "texture")
        assert page.is_hidden("#content-samples") and page.is_visible("#style-samples")


def test_a_picture_dragged_from_another_tab_or_pasted_is_uploaded(browser, pictures, site):
    """A picture dragged from another web page brings its address (and the link around it), not a file: the server
    fetches it. Ctrl-V of a copied picture fills the content while there is none. Text dropped says what to drop."""
    app = create_app(allowed_hosts=["127.0.0.1"])
    with ready_page(browser, app) as (page, url):
        page.evaluate("""(address) => {
            const transfer = new DataTransfer();
            transfer.setData("text/uri-list", "https://example.invalid/gallery/page-of-the-picture");
            transfer.setData("text/html", `<a href="https://example.invalid/gallery/page-of-the-picture">`
                + `<img alt="a painting" src="${address}"></a>`);
            document.querySelector("#style-drop").dispatchEvent(
                new DragEvent("drop", { dataTransfer: transfer, bubbles: true, cancelable: true }));
        }""", f"{site.url}/swirls.png")
        page.wait_for_selector("#style-thumbs .thumb:not(.pending)")
        assert page.inner_text("#style-thumbs .thumb .name") == "swirls.png"
        assert site.requests == ["/swirls.png"]  # the picture, not the page its link leads to
        data = base64.b64encode(pictures["content"].read_bytes()).decode()
        page.evaluate("""(data) => {
            const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
            const transfer = new DataTransfer();
            transfer.items.add(new File([bytes], "image.png", { type: "image/png" }));
            document.body.dispatchEvent(new ClipboardEvent("paste", { clipboardData: transfer, bubbles: true }));
        }""", data)
        page.wait_for_selector("#content-thumbs .thumb:not(.pending)")
        assert page.inner_text("#content-thumbs .thumb .name") == "image.png"
        assert page.is_hidden("#error") and len(app.state.service.store) == 2
        page.evaluate("""() => {
            const transfer = new DataTransfer();
            transfer.setData("text/plain", "a line of text");
            document.querySelector("#style-drop").dispatchEvent(
                new DragEvent("drop", { dataTransfer: transfer, bubbles: true, cancelable: true }));
        }""")
        assert page.inner_text("#error").startswith("That was neither a file nor a picture from a web page")


def test_a_picture_the_browser_cannot_show_is_shown_as_the_servers_png(browser, pictures, tmp_path):
    """Chromium shows no TIFF: the thumbnail (and what the painters paint over) becomes the server's PNG of it, and so
    does a mask's."""
    scan = tmp_path / "scan.tif"
    Image.open(pictures["content"]).save(scan)
    with ready_page(browser, create_app(allowed_hosts=["127.0.0.1"])) as (page, url):
        page.set_input_files("#content-input", str(scan))
        page.wait_for_selector("#content-thumbs img[src$='/frame.png']")
        shown = "() => document.querySelector('#content-thumbs img').naturalWidth"
        for _ in range(100):  # (the page's policy forbids wait_for_function's eval)
            if page.evaluate(shown):
                break
            page.wait_for_timeout(50)
        assert page.evaluate(shown) == 150
        Image.new("L", (150, 100), 255).save(tmp_path / "mask.tif")  # a mask too
        page.click("#style-samples [data-sample=swirls]")
        with page.expect_file_chooser() as chooser:
            page.click("#style-thumbs .thumb .mask-add")
        chooser.value.set_files(str(tmp_path / "mask.tif"))
        page.wait_for_selector("#style-thumbs .mask img[src$='/frame.png']")
        page.set_input_files("#content-input", str(pictures["content"]))  # a PNG it shows as it is
        page.wait_for_selector("#content-thumbs .thumb:not(.pending)")
        assert page.get_attribute("#content-thumbs img", "src").startswith("blob:")


def flat_pictures(tmp_path) -> dict[str, Path]:
    """A grey content and a red and a blue style, 96x64, each a flat colour darker every 8th row."""
    files = {}
    for name, colour in [("cat.png", (120, 120, 120)), ("red.png", (230, 20, 20)), ("blue.png", (20, 20, 230))]:
        pixels = np.full((64, 96, 3), colour, np.uint8)
        pixels[::8] //= 2  # some structure for the Gram matrices
        Image.fromarray(pixels).save(tmp_path / name)
        files[name] = tmp_path / name
    return files


@contextlib.contextmanager
def ready_page(browser, app, height: int = 980):
    """A page of ``browser`` showing the app, ready (body[data-ready]); yields the page and the server's URL."""
    with running(app) as url:
        try:
            page = browser.new_page(viewport={"width": 1200, "height": height}, accept_downloads=True)
            # 60 s, not Playwright's 30, for each wait: once in CI, on a machine loaded by more than the suite, a
            # finished video's download did not begin within 30 s (alone it begins in 0.05 s, beside 3 busy processes too)
            page.set_default_timeout(60_000)
            page.goto(url)
            page.wait_for_selector("body[data-ready=true]")
            yield page, url.rstrip("/")
        finally:
            closed(browser)


def closed(browser) -> None:
    """Close the pages (and their contexts) a test opened, leaving the module's browser for the next test."""
    for context in browser.contexts:
        context.close()


def last_job(page, url: str) -> tuple[dict, np.ndarray]:
    """The server's last job as its API reports it, and the job's result image."""
    job = page.request.get(url + "/api/jobs").json()[-1]
    return job, np.asarray(Image.open(io.BytesIO(page.request.get(url + job["urls"]["result"]).body())))


def finished_job(page, url: str, **settings: str) -> tuple[dict, np.ndarray]:
    """Set the settings (by field id; choices of a select too), start, wait for the job to end; return it (last_job)."""
    for field, value in settings.items():
        if page.locator(f"#{field}").evaluate("element => element.tagName") == "SELECT":
            page.select_option(f"#{field}", value)
        else:
            page.fill(f"#{field}", value)
    page.click("#start")
    page.wait_for_selector("body[data-job-state=done]", timeout=60_000)
    return last_job(page, url)


def small_recolored_job(page, url: str) -> tuple[dict, np.ndarray]:
    """A 96 px job of 20 iterations from the recoloured content (each region starts in its style's palette)."""
    return finished_job(page, url, size="96", iterations="20", init="recolor")


def red_left_blue_right(result: np.ndarray) -> bool:
    left, right = result[:, :40].astype(float), result[:, 56:].astype(float)
    return (left[..., 0] - left[..., 2]).mean() > 60 and (right[..., 2] - right[..., 0]).mean() > 60


def test_each_style_paints_where_its_mask_says(browser, tmp_path):
    """Masks chosen on the page: a style without one is named; with both, red paints the left and blue the right."""
    files = flat_pictures(tmp_path)
    for name, left in [("left.png", True), ("right.png", False)]:
        mask = np.zeros((64, 96, 4), np.uint8)  # white on a clear layer
        mask[:, slice(0, 48) if left else slice(48, 96)] = 255
        Image.fromarray(mask).save(tmp_path / name)
        files[name] = tmp_path / name
    with ready_page(browser, create_app(preview_every=4, allowed_hosts=["127.0.0.1"])) as (page, url):
        page.set_input_files("#content-input", str(files["cat.png"]))
        page.set_input_files("#style-input", [str(files["red.png"]), str(files["blue.png"])])
        page.wait_for_selector("#style-thumbs .thumb:nth-child(2) .mask-add")
        with page.expect_file_chooser() as chooser:
            page.click("#style-thumbs .thumb:nth-child(1) .mask-add")
        chooser.value.set_files(str(files["left.png"]))
        page.wait_for_selector("#style-thumbs .thumb:nth-child(1) .mask.has-mask")
        page.fill("#size", "96")
        page.fill("#iterations", "20")
        page.select_option("#init", "recolor")  # each region starts in its style's palette
        page.click("#start")
        page.wait_for_selector("#error:not([hidden])")
        assert "style image blue.png has no mask" in page.inner_text("#error")
        page.fill("#iterations", "21")  # a setting changed: the error may be gone, and no longer stays on the page
        assert page.is_hidden("#error")
        page.fill("#iterations", "20")

        with page.expect_file_chooser() as chooser:
            page.click("#style-thumbs .thumb:nth-child(2) .mask-add")
        chooser.value.set_files(str(files["right.png"]))
        page.wait_for_selector("#style-thumbs .thumb:nth-child(2) .mask.has-mask")
        page.click("#start")
        page.wait_for_selector("body[data-job-state=done]", timeout=60_000)
        job, result = last_job(page, url)
        assert job["inputs"]["masks"] == ["left.png", "right.png"] and red_left_blue_right(result)

        page.select_option("#method", "texture")
        assert page.is_hidden("#style-thumbs .mask") and page.is_hidden(".mask-hint")


def test_a_reload_keeps_the_pictures_their_masks_and_the_settings(browser, tmp_path):
    """A reload (or coming back to the page) finds the form as it was: the uploads, each style's mask and the
    settings, and a job started then paints as the masks say. An upload the server no longer has is named, and a
    sample fetched again."""
    files = flat_pictures(tmp_path)
    for name, columns in [("left.png", np.s_[:, :48]), ("right.png", np.s_[:, 48:])]:
        mask = np.zeros((64, 96), np.uint8)
        mask[columns] = 255
        Image.fromarray(mask).save(tmp_path / name)
    app = create_app(preview_every=4, allowed_hosts=["127.0.0.1"])
    with ready_page(browser, app) as (page, url):
        page.set_input_files("#content-input", str(files["cat.png"]))
        page.set_input_files("#style-input", [str(files["red.png"]), str(files["blue.png"])])
        page.wait_for_selector("#style-thumbs .thumb:nth-child(2) .mask-add")
        for child, mask in [(1, "left.png"), (2, "right.png")]:
            with page.expect_file_chooser() as chooser:
                page.click(f"#style-thumbs .thumb:nth-child({child}) .mask-add")
            chooser.value.set_files(str(tmp_path / mask))
            page.wait_for_selector(f"#style-thumbs .thumb:nth-child({child}) .mask.has-mask")
        page.fill("#size", "96")
        page.select_option("#init", "recolor")
        page.reload()
        page.wait_for_selector("body[data-ready=true]")
        assert page.inner_text("#content-thumbs .thumb").split("\n")[:2] == ["cat.png", "96×64"]
        names = page.locator("#style-thumbs .thumb > .name:first-of-type").all_inner_texts()
        assert names == ["red.png", "blue.png"]
        assert page.locator("#style-thumbs .mask.has-mask").count() == 2
        assert page.input_value("#size") == "96" and page.input_value("#init") == "recolor"
        assert len(app.state.service.store) == 5  # nothing uploaded again
        job, result = small_recolored_job(page, url)
        assert job["inputs"]["masks"] == ["left.png", "right.png"] and red_left_blue_right(result)

        blue = page.evaluate("JSON.parse(sessionStorage.getItem('stylegram.form')).styles[1].id")
        assert page.request.delete(f"{url}/api/uploads/{blue}").status == 204
        page.reload()
        page.wait_for_selector("body[data-ready=true]")
        assert page.locator("#style-thumbs .thumb").count() == 1
        assert page.inner_text("#error").startswith("blue.png from before the reload is no longer on the server")

        page.click("#style-samples [data-sample=swirls]")  # a sample the server has lost is fetched again
        page.wait_for_selector("#style-thumbs .thumb:nth-child(2):not(.pending)")
        swirls = page.evaluate("JSON.parse(sessionStorage.getItem('stylegram.form')).styles[1].id")
        assert page.request.delete(f"{url}/api/uploads/{swirls}").status == 204
        page.reload()
        page.wait_for_selector("body[data-ready=true]")
        names = page.locator("#style-thumbs .thumb > .name:first-of-type").all_inner_texts()
        assert names == ["red.png", "swirls.png"] and page.is_hidden("#error")


def test_regions_chosen_on_the_page_lend_each_style_a_part_of_its_picture(browser, tmp_path):
    """One picture, red above and blue below, given twice: its top paints the left (mask) and its bottom the right."""
    files = flat_pictures(tmp_path)
    both = np.concatenate([np.asarray(Image.open(files["red.png"]))[:32], np.asarray(Image.open(files["blue.png"]))[32:]])
    Image.fromarray(both).save(tmp_path / "both.png")
    for name, part in [("left.png", np.s_[:, :48]), ("right.png", np.s_[:, 48:]), ("top.png", np.s_[:32]),
                       ("bottom.png", np.s_[32:])]:
        mask = np.zeros((64, 96), np.uint8)
        mask[part] = 255
        Image.fromarray(mask).save(tmp_path / name)
    with ready_page(browser, create_app(preview_every=4, allowed_hosts=["127.0.0.1"])) as (page, url):
        page.set_input_files("#content-input", str(files["cat.png"]))
        page.set_input_files("#style-input", [str(tmp_path / "both.png")] * 2)
        page.wait_for_selector("#style-thumbs .thumb:nth-child(2) .region-add")
        for n, kind, name in [(1, "mask", "left"), (2, "mask", "right"), (1, "region", "top"), (2, "region", "bottom")]:
            with page.expect_file_chooser() as chooser:
                page.click(f"#style-thumbs .thumb:nth-child({n}) .{kind}-add")
            chooser.value.set_files(str(tmp_path / f"{name}.png"))
            page.wait_for_selector(f"#style-thumbs .thumb:nth-child({n}) .{kind}.has-{kind}")
        job, result = small_recolored_job(page, url)
        assert job["inputs"]["regions"] == ["top.png", "bottom.png"] and red_left_blue_right(result)
        page.click("#style-thumbs .thumb:nth-child(2) .region-remove")
        page.click("#start")
        page.wait_for_selector("#error:not([hidden])")
        assert "style image both.png has no region" in page.inner_text("#error")


def test_label_maps_chosen_on_the_page(browser, tmp_path):
    """A label map for the content (sky left, grass right) and one for a red-above, blue-below style (sky above)."""
    files = flat_pictures(tmp_path)
    both = np.concatenate([np.asarray(Image.open(files["red.png"]))[:32], np.asarray(Image.open(files["blue.png"]))[32:]])
    Image.fromarray(both).save(tmp_path / "both.png")
    for name, sky in [("cat_map.png", np.s_[:, :48]), ("both_map.png", np.s_[:32])]:
        labels = np.full((64, 96, 3), (40, 160, 60), np.uint8)
        labels[sky] = (135, 206, 235)
        Image.fromarray(labels).save(tmp_path / name)
    with ready_page(browser, create_app(preview_every=4, allowed_hosts=["127.0.0.1"])) as (page, url):
        page.set_input_files("#content-input", str(files["cat.png"]))
        page.set_input_files("#style-input", str(tmp_path / "both.png"))
        page.wait_for_selector("#style-thumbs .thumb .labels-add")
        for box, name in [("#content-thumbs", "cat_map.png"), ("#style-thumbs", "both_map.png")]:
            with page.expect_file_chooser() as chooser:
                page.click(f"{box} .labels-add")
            chooser.value.set_files(str(tmp_path / name))
            page.wait_for_selector(f"{box} .labels.has-labels")
        assert page.locator("#content-thumbs .mask-add").count() == 0  # masks and regions are the styles' only
        name = page.locator("#style-thumbs .labels .name")  # whole beside its two buttons: it read "l…"
        assert name.inner_text() == "labels" and name.evaluate("n => n.scrollWidth <= n.clientWidth")
        job, result = small_recolored_job(page, url)
        assert job["inputs"]["labels"] == ["cat_map.png", "both_map.png"] and red_left_blue_right(result)
        read = page.locator("#labels-read")  # what the maps were read as, a swatch per label
        assert read.is_visible() and read.inner_text().startswith("Label maps read as 2 labels:")
        parts = read.locator(".label-part")
        assert parts.all_inner_texts() == [f"{name}: 50 % of the content, from 50 % of both.png" for name in
                                           ("green (#28a03c)", "sky blue (#87ceeb)")]
        assert parts.locator(".swatch").evaluate_all("s => s.map(e => e.style.background)") == [
            "rgb(40, 160, 60)", "rgb(135, 206, 235)"]
        page.screenshot(path=str(tmp_path / "labels.png"), clip={"x": 0, "y": 0, "width": 560, "height": 520})


def two_part_style_and_map(tmp_path: Path) -> tuple[Path, Path]:
    """both.png, red above and blue below, and its label map: sky above (with a near variant of sky), grass below."""
    files = flat_pictures(tmp_path)
    both = np.concatenate([np.asarray(Image.open(files["red.png"]))[:32], np.asarray(Image.open(files["blue.png"]))[32:]])
    Image.fromarray(both).save(tmp_path / "both.png")
    labels = np.full((64, 96, 3), (40, 160, 60), np.uint8)
    labels[:30] = (135, 206, 235)  # sky, a little less than half: grass comes first in the palette
    labels[30:32] = (140, 200, 230)  # a variant of sky too near to be a colour of its own
    Image.fromarray(labels).save(tmp_path / "both_map.png")
    return tmp_path / "both.png", tmp_path / "both_map.png"


def paint_left_sky(page, size: tuple[str, str] | None = None) -> None:
    """Open the label painter (with a new map of ``size``, if given), check its palette, paint the left 40 % in sky
    (the map starts in grass, the first colour) and use it."""
    page.click("#doodle-open")
    page.wait_for_selector("#doodle-painter:not([hidden])")
    if size:
        page.fill("#doodle-width", size[0])
        page.fill("#doodle-height", size[1])
        page.click("#doodle-new")
    assert page.locator("#doodle-colours .painter-choice").all_inner_texts() == ["green", "sky blue"]
    paint_band(page, "#87ceeb", (0, 0.42), (0.05, 0.95))
    page.click("#doodle-use")
    page.wait_for_selector("#doodle-painter", state="hidden")


def paint_band(page, colour: str, across: tuple[float, float], rows: tuple[float, float]) -> None:
    """In the open label painter, choose ``colour`` and paint horizontal strokes from ``across[0]`` to ``across[1]``
    (fractions of the width) at 8 heights from ``rows[0]`` to ``rows[1]``, with a 60 px brush."""
    page.click(f'#doodle-colours .painter-choice[style*="{colour}"]')  # its tint; its name is a word
    box = page.locator("#doodle-canvas").bounding_box()
    page.fill("#doodle-brush", "60")
    for row in np.linspace(*rows, 8):
        y = box["y"] + row * box["height"]
        page.mouse.move(box["x"] + across[0] * box["width"], y)
        page.mouse.down()
        page.mouse.move(box["x"] + across[1] * box["width"], y, steps=6)
        page.mouse.up()


def test_a_doodle_painted_on_the_page_shapes_a_texture(browser, tmp_path):
    """Texture mode: the doodle box appears, masks do not. The painter offers the example map's colours; the left
    painted sky (the example's red top), the rest left grass (its blue bottom)."""
    both, both_map = two_part_style_and_map(tmp_path)
    with ready_page(browser, create_app(preview_every=4, allowed_hosts=["127.0.0.1"]), height=1200) as (page, url):
        assert page.is_hidden("#doodle")
        page.select_option("#method", "texture")
        page.set_input_files("#style-input", str(both))
        page.wait_for_selector("#style-thumbs .thumb .labels-add")
        assert page.is_hidden("#style-thumbs .mask-add") and page.is_visible("#doodle") and page.is_visible("#doodle-open")
        assert "each colour of the doodle" in page.get_attribute("#style-thumbs .labels-add", "title")  # not "content's"
        with page.expect_file_chooser() as chooser:
            page.click("#style-thumbs .labels-add")
        chooser.value.set_files(str(both_map))
        page.wait_for_selector("#style-thumbs .labels.has-labels")
        assert page.inner_text("#doodle-open") == "Paint a doodle…"
        page.fill("#height", "30")  # a texture's Height, typed before the doodle: the doodle gives the shape instead
        assert page.inner_text("#size-name") == "Width (px)" and page.is_visible('[data-field="height"]')
        paint_left_sky(page, ("96", "64"))
        page.wait_for_selector("#doodle-box .labels.has-labels")
        # the painter's Width and Height beside Settings' read as two sizes of the output: Settings' is its long side
        assert page.inner_text("#size-name").startswith("Size (long side") and page.is_hidden('[data-field="height"]')
        job, result = finished_job(page, url, size="96", min_size="48", iterations="20,20")  # its Height not sent
        assert job["inputs"]["labels"] == ["doodle.png", "both_map.png"] and result.shape == (64, 96, 3)
        assert red_left_blue_right(result)  # the sky painted on the left grew the example's red top
        assert page.is_visible("#explain-result")  # each label's part measured against its part of the example
        why = page.request.get(url + job["urls"]["explain"]).text()
        assert "<td>label sky blue (#87ceeb) from both.png</td><td>pool1</td>" in why  # the file, as uploaded
        page.wait_for_selector("#measured:not([hidden])")  # under the picture: per label, over its layers
        # named as the line of what the labels were read as names them: the colour's name, the file ("#87ceeb (from
        # style 1)" stood under "sky blue (#87ceeb): ... of swirls.png")
        assert re.search(r"(\(|of the way: )label [a-z ]+ \(#[0-9a-f]{6}\) from both\.png -?\d+%, label [a-z ]+ "
                         r"\(#[0-9a-f]{6}\) from both\.png -?\d+%\)[.;]", page.inner_text("#measured")), \
            page.inner_text("#measured")


def test_the_contents_label_map_painted_on_the_page(browser, tmp_path):
    """Transfer: the content's label map painted over the content in the style map's colours."""
    both, both_map = two_part_style_and_map(tmp_path)
    with ready_page(browser, create_app(preview_every=4, allowed_hosts=["127.0.0.1"]), height=1200) as (page, url):
        page.set_input_files("#content-input", str(tmp_path / "cat.png"))
        page.set_input_files("#style-input", str(both))
        page.wait_for_selector("#style-thumbs .thumb .labels-add")
        with page.expect_file_chooser() as chooser:
            page.click("#style-thumbs .labels-add")
        chooser.value.set_files(str(both_map))
        page.wait_for_selector("#style-thumbs .labels.has-labels")
        page.click("#style-thumbs .labels-paint")  # the style's map painter starts from the file it was given
        page.wait_for_selector("#doodle-painter:not([hidden])")
        corners = page.evaluate("""() => [[4, 4], [90, 60]].map(([x, y]) =>
            Array.from(doodle.target.painted.getContext("2d").getImageData(x, y, 1, 1).data))""")
        assert corners == [[135, 206, 235, 255], [40, 160, 60, 255]]
        assert page.inner_text("#doodle-open") == "Paint the content's label map…" and page.is_hidden("#doodle-size")
        paint_left_sky(page)
        page.wait_for_selector("#content-thumbs .labels.has-labels")
        page.screenshot(path=str(tmp_path / "page.png"), clip={"x": 0, "y": 0, "width": 600, "height": 900})
        job, result = small_recolored_job(page, url)
        assert job["inputs"]["labels"] == ["content-labels.png", "both_map.png"] and red_left_blue_right(result)


def test_every_label_map_painted_on_the_page(browser, tmp_path):
    """No map files at all: the style image's map painted over it (sky above, forest below, from the page's own
    colours), then the content's over the content in the colours of the style's map; red paints the left."""
    both, _ = two_part_style_and_map(tmp_path)
    with ready_page(browser, create_app(preview_every=4, allowed_hosts=["127.0.0.1"]), height=1200) as (page, url):
        page.set_input_files("#content-input", str(tmp_path / "cat.png"))
        page.set_input_files("#style-input", str(both))
        page.click("#style-thumbs .labels-paint")
        page.wait_for_selector("#doodle-painter:not([hidden])")
        assert page.inner_text("#doodle-title").startswith("Paint the label map of both.png")
        first, second = page.locator("#doodle-colours .painter-choice").all_inner_texts()[:2]
        assert (first, second) == ("sky blue", "green") and page.is_hidden("#doodle-size")
        paint_band(page, "#228b22", (0.0, 0.999), (0.6, 0.999))  # the map starts in sky; the bottom becomes forest
        page.click("#doodle-use")
        page.wait_for_selector("#style-thumbs .labels.has-labels")
        page.wait_for_selector("#doodle-painter", state="hidden")
        page.click("#doodle-open")
        page.wait_for_selector("#doodle-painter:not([hidden])")
        assert sorted(page.locator("#doodle-colours .painter-choice").all_inner_texts()) == ["green", "sky blue"]
        paint_band(page, "#87ceeb", (0.0, 0.42), (0.0, 0.999))
        paint_band(page, "#228b22", (0.58, 0.999), (0.0, 0.999))
        page.click("#doodle-use")
        page.wait_for_selector("#content-thumbs .labels.has-labels")
        page.wait_for_selector("#doodle-painter", state="hidden")
        page.click("#style-thumbs .labels-paint")  # painted again: it opens on the strokes it had
        page.wait_for_selector("#doodle-painter:not([hidden])")  # opening awaits the palette and the pictures
        assert page.inner_text("#doodle-title").startswith("Paint the label map of both.png")
        page.screenshot(path=str(tmp_path / "page.png"), clip={"x": 0, "y": 0, "width": 600, "height": 1000})
        page.click("#doodle-close")
        job, result = small_recolored_job(page, url)
        assert job["inputs"]["labels"] == ["content-labels.png", "style-1-labels.png"] and red_left_blue_right(result)


def test_a_style_images_new_label_map_starts_in_a_label_of_its_own(browser, tmp_path):
    """A new map of a style image began in the commonest label of the other maps, so what was left unpainted lent
    that label's part (an example's rest grew in another example's part); it begins in a label no map has."""
    both, both_map = two_part_style_and_map(tmp_path)
    app = create_app(allowed_hosts=["127.0.0.1"])
    with ready_page(browser, app, height=1200) as (page, url):
        page.set_input_files("#content-input", str(tmp_path / "cat.png"))
        page.set_input_files("#style-input", [str(both), str(tmp_path / "red.png")])
        page.wait_for_selector("#style-thumbs .thumb:nth-child(2) .labels-add")
        with page.expect_file_chooser() as chooser:  # the first style's map as a file: grass and sky
            page.click("#style-thumbs .thumb:nth-child(1) .labels-add")
        chooser.value.set_files(str(both_map))
        page.wait_for_selector("#style-thumbs .thumb:nth-child(1) .labels.has-labels")
        page.click("#style-thumbs .thumb:nth-child(2) .labels-paint")
        page.wait_for_selector("#doodle-painter:not([hidden])")
        page.click("#doodle-use")  # nothing painted
        page.wait_for_selector("#style-thumbs .thumb:nth-child(2) .labels.has-labels")
        made = next(u for u in app.state.service.store._uploads.values() if u.name == "style-2-labels.png")
        colours = set(map(tuple, np.asarray(Image.open(made.path).convert("RGB")).reshape(-1, 3).tolist()))
        assert len(colours) == 1 and colours.isdisjoint({(40, 160, 60), (135, 206, 235), (140, 200, 230)}), colours


def paint_across(page, x0: float, x1: float) -> None:
    """Strokes across [x0, x1] of the mask painter's width, top to bottom, with the choice that is active."""
    box = page.locator("#painter-canvas").bounding_box()
    for row in np.linspace(0.05, 0.95, 8):
        y = box["y"] + row * box["height"]
        page.mouse.move(box["x"] + x0 * box["width"], y)
        page.mouse.down()
        page.mouse.move(box["x"] + x1 * box["width"], y, steps=6)
        page.mouse.up()


def test_masks_painted_on_the_content(browser, tmp_path):
    """Paint red's region over the whole picture, then blue's over the right half (blue takes it from red), erase
    a band of red's and fill the rest with red again."""
    files = flat_pictures(tmp_path)
    with ready_page(browser, create_app(preview_every=4, allowed_hosts=["127.0.0.1"]), height=1200) as (page, url):
        assert page.is_hidden("#paint-open")  # nothing to paint on yet
        Image.open(files["cat.png"]).save(tmp_path / "cat.tif")  # a picture the server reads, the browser not:
        page.set_input_files("#content-input", str(tmp_path / "cat.tif"))  # painted over as the server's PNG of it
        page.set_input_files("#style-input", [str(files["red.png"]), str(files["blue.png"])])
        page.wait_for_selector("#style-thumbs .thumb:nth-child(2) .mask-add")
        page.wait_for_selector("#content-thumbs img[src$='/frame.png']")
        page.click("#paint-open")
        page.wait_for_selector("#painter:not([hidden])")
        page.fill("#brush", "120")
        paint_across(page, 0.0, 1.0)  # the first style's choice is active at first
        page.click("#painter-use")
        page.wait_for_selector("#error:not([hidden])")
        assert "Paint a region for every style image: blue.png has none." in page.inner_text("#error")
        page.click(".painter-choice[data-index='1']")
        assert page.get_attribute(".painter-choice[data-index='1']", "aria-checked") == "true"
        paint_across(page, 0.62, 1.0)  # blue takes the right from red
        page.click(".painter-choice[data-index='-1']")
        paint_across(page, 0.1, 0.3)  # the eraser leaves a band with no style ...
        page.click(".painter-choice[data-index='0']")
        page.click("#painter-fill")  # ... and red fills it again
        page.click("#painter-use")
        page.wait_for_selector("#style-thumbs .thumb:nth-child(2) .mask.has-mask")
        page.wait_for_selector("#painter", state="hidden")
        job, result = small_recolored_job(page, url)
        assert job["inputs"]["masks"] == ["mask-red.png", "mask-blue.png"] and red_left_blue_right(result)
        for n, name in [(1, "mask-red.png"), (2, "mask-blue.png")]:  # the painted masks, for the command line
            with page.expect_download() as download:
                page.click(f"#style-thumbs .thumb:nth-child({n}) .mask-file")
            assert download.value.suggested_filename == name
            mask = np.asarray(Image.open(download.value.path()).convert("L"))
            left, right = (mask[:, :40], mask[:, 64:]) if n == 1 else (mask[:, 64:], mask[:, :40])
            assert mask.shape == (64, 96) and left.min() == 255 and right.max() == 0, name
        # Another content of the same shape: the masks painted on the cat went on to paint it, unsaid (trial AQ)
        Image.open(files["cat.png"]).transpose(Image.Transpose.FLIP_LEFT_RIGHT).save(tmp_path / "other.png")
        page.set_input_files("#content-input", str(tmp_path / "other.png"))
        page.wait_for_selector("#style-thumbs .thumb:nth-child(2) .mask-add")
        assert page.locator("#style-thumbs .has-mask").count() == 0
        assert "The masks painted on the earlier content were removed with it" in page.inner_text("#error")
        Image.new("L", (40, 40), 255).save(tmp_path / "square.png")  # a mask file of another shape: said at once
        with page.expect_file_chooser() as chooser:
            page.click("#style-thumbs .thumb:nth-child(1) .mask-add")
        chooser.value.set_files(str(tmp_path / "square.png"))
        page.wait_for_selector("#error:has-text('square.png is 40')")
        assert "square.png is 40×40 and other.png 96×64: a mask needs the shape of the content" in \
            page.inner_text("#error") and page.locator("#style-thumbs .has-mask").count() == 0


def a_video_and_a_style(page, tmp_path, styles: tuple[str, ...] = ("red.png",)) -> None:
    """Upload a 4-frame 64x48 clip as the content and a red style (or ``styles``), and wait until all are in."""
    from stylegram.batch import synthetic_video

    files = flat_pictures(tmp_path)
    page.set_input_files("#content-input", str(synthetic_video(tmp_path / "street.mp4", count=4, audio=())))
    page.set_input_files("#style-input", [str(files[name]) for name in styles])
    page.wait_for_selector("#content-thumbs .thumb:not(.pending) video")  # a video plays as its thumbnail
    page.wait_for_selector(f"#style-thumbs .thumb:nth-child({len(styles)}):not(.pending)")


def test_a_video_as_the_content_offers_batchs_settings_and_downloads_a_video(browser, tmp_path):
    pytest.importorskip("distributed", reason="the batch extra is not installed: pip install -e '.[batch]'")
    from stylegram.batch import video

    with ready_page(browser, create_app(allowed_hosts=["127.0.0.1"])) as (page, url):
        a_video_and_a_style(page, tmp_path)
        assert page.inner_text("#content-thumbs .thumb .frames") == "4 frames"
        page.set_input_files("#style-input", str(tmp_path / "street.mp4"))  # showed '4 frames' and + mask, then
        page.wait_for_selector("#error:has-text('street.mp4 is a video: only the content can be one')")  # failed
        assert page.locator("#style-thumbs .thumb").count() == 1  # at Start
        assert page.is_visible("#style-thumbs .mask-add") and page.is_visible("#content-thumbs .labels-add")
        assert page.is_visible("#paint-open") and page.is_visible("#doodle-open")  # on its first frame
        assert page.is_hidden("[data-field=init]") and page.is_visible("[data-field=style_weight]")
        assert page.get_attribute("#temporal", "placeholder") == "0" and page.is_visible("[data-field=temporal_weight]")
        page.select_option("#method", "adain")
        assert page.is_visible("[data-field=alpha]") and page.is_hidden("[data-field=seed]")
        assert page.get_attribute("#temporal", "placeholder") == "0.3" and page.is_hidden("[data-field=temporal_weight]")
        page.fill("#temporal", "0.5")
        page.click("#start")
        page.wait_for_selector("body[data-job-state=done]", timeout=120_000)
        status = page.inner_text("#job-status")  # and how steady it came out, the figure to tune "Frame blend" by
        assert status.startswith("Done after 4 frames. ") and "grey levels of change beyond the motion" in status, status
        assert page.inner_text("#preview-caption") == "frame 4 · 64×48 px"
        assert page.inner_text("#download-result") == "Download video" and page.is_visible("#explain-result")
        page.wait_for_selector("#measured:not([hidden])")  # its last frame measured against the video's
        assert page.inner_text("#measured").startswith("Measured on frame 4: ")
        with page.expect_download() as download:
            page.click("#download-result")
        saved = tmp_path / "result.mp4"
        download.value.save_as(saved)
        frames = list(video.frames(saved))
        assert len(frames) == 4 and frames[0].shape == (48, 64, 3)
        assert frames[0][..., 0].mean() > frames[0][..., 2].mean() + 40  # red, as the style
        assert "no loss curve" in page.text_content("#loss-curve")
        params = page.request.get(url + page.request.get(url + "/api/jobs").json()[-1]["urls"]["params"]).json()
        assert params["command"].endswith("--method adain --temporal 0.5")  # the page's frame blend reached the run
        page.screenshot(path=str(tmp_path / "video.png"), full_page=True)


def test_masks_painted_on_a_videos_first_frame_hold_for_every_frame(browser, tmp_path):
    pytest.importorskip("distributed", reason="the batch extra is not installed: pip install -e '.[batch]'")
    from stylegram.batch import video

    with ready_page(browser, create_app(allowed_hosts=["127.0.0.1"]), height=1200) as (page, url):
        a_video_and_a_style(page, tmp_path, ("red.png", "blue.png"))
        page.click("#paint-open")
        page.wait_for_selector("#painter:not([hidden])")
        backdrop = page.eval_on_selector("#painter-canvas", "c => [c.width, c.height]")
        assert backdrop == [64, 48]  # the video's first frame, painted over at its size
        page.fill("#brush", "120")
        paint_across(page, 0.0, 0.5)
        page.click(".painter-choice[data-index='1']")
        paint_across(page, 0.5, 1.0)
        page.click("#painter-use")
        page.wait_for_selector("#style-thumbs .thumb:nth-child(2) .mask.has-mask")
        page.select_option("#method", "adain")
        page.fill("#temporal", "0")
        page.click("#start")
        page.wait_for_selector("body[data-job-state=done]", timeout=120_000)
        page.screenshot(path=str(tmp_path / "video-masks.png"), full_page=True)
        with page.expect_download() as download:
            page.click("#download-result")
        saved = tmp_path / "result.mp4"
        download.value.save_as(saved)
        for pixels in video.frames(saved):
            west, east = pixels[:, :24].astype(float).mean((0, 1)), pixels[:, 40:].astype(float).mean((0, 1))
            assert west[0] > west[2] + 30 and east[2] > east[0] + 30, (west, east)
        params = page.request.get(url + page.request.get(url + "/api/jobs").json()[-1]["urls"]["params"]).json()
        assert "--style-masks mask-red.png,mask-blue.png" in params["command"]


def test_a_gatys_videos_frame_shows_its_iterations_and_loss_curve_and_stops_mid_frame(browser, tmp_path):
    pytest.importorskip("distributed", reason="the batch extra is not installed: pip install -e '.[batch]'")

    with ready_page(browser, create_app(allowed_hosts=["127.0.0.1"])) as (page, url):
        a_video_and_a_style(page, tmp_path)
        assert "the loss curve of the frame being made appears here" in page.text_content("#loss-curve")
        page.fill("#iterations", "400")
        page.click("#start")
        page.wait_for_selector("#job-status:text-matches('iteration ([5-9]|[1-9][0-9]) of')", timeout=120_000)
        assert page.inner_text("#job-status").startswith("Running: frame 1 of 4, iteration ")
        assert "left in this frame" in page.inner_text("#stats")  # no frame done yet: the rest is not known
        # the total and its terms, drawn at an animation frame after the status
        page.wait_for_selector("#loss-curve polyline >> nth=1", state="attached", timeout=30_000)  # two or more
        assert page.text_content("#loss-curve .title") == "Loss of frame 1 (log scale)"
        assert 0 < page.eval_on_selector("#progress", "p => p.value") < 0.25  # inside the first of 4 frames
        page.wait_for_selector("#preview:not([hidden])")  # the first frame as it forms
        assert page.inner_text("#preview-caption") == "frame 1 as it forms · 64×48 px"
        page.screenshot(path=str(tmp_path / "gatys-video.png"), full_page=True)
        page.click("#stop")
        page.wait_for_selector("body[data-job-state=stopped]", timeout=60_000)
        assert page.inner_text("#job-status") == "Stopped after 0 of 4 frames; a video is written only whole."


def test_a_page_opened_while_a_job_runs_watches_it_and_can_stop_it(browser, pictures):
    """Reloaded (or opened in another tab) mid-run, the page shows the running job again, not an idle form; a tab
    with a job of its own, reloaded, shows its own."""
    with ready_page(browser, create_app(allowed_hosts=["127.0.0.1"])) as (page, url):
        page.set_input_files("#content-input", str(pictures["content"]))
        page.set_input_files("#style-input", str(pictures["style"]))
        page.wait_for_selector("#content-thumbs .thumb:not(.pending)")
        page.wait_for_selector("#style-thumbs .thumb:not(.pending)")
        other = page.context.browser.new_page()  # another window, with a job of its own that waits behind this one's
        other.goto(url)
        other.wait_for_selector("body[data-ready=true]")
        other.set_input_files("#content-input", str(pictures["content"]))
        other.set_input_files("#style-input", str(pictures["style"]))
        other.wait_for_selector("#style-thumbs .thumb:not(.pending)")
        other.fill("#iterations", "2")
        page.fill("#iterations", "2000")
        page.click("#start")
        page.wait_for_selector("#job-status:text-matches('iteration ([5-9]|[1-9][0-9]+) of')", timeout=60_000)
        newcomer = page.context.browser.new_page()  # opened while it runs: shown as another tab's, Start free
        newcomer.goto(url)
        newcomer.wait_for_selector("body[data-ready=true]")
        newcomer.wait_for_selector("#job-status:text-matches('iteration [0-9]+ of')", timeout=30_000)
        assert newcomer.is_visible("#job-owner") and newcomer.is_enabled("#start")  # was disabled: no job of its own
        assert newcomer.is_enabled("#stop") and page.is_hidden("#job-owner")  # the tab's own job is not called another's
        newcomer.close()
        other.click("#start")
        other.wait_for_selector("#job-status:text-matches('Waiting in the queue')", timeout=30_000)
        other.reload()  # watched the first tab's running job, and its Stop stopped that one
        other.wait_for_selector("body[data-ready=true]")
        other.wait_for_selector("#job-status:text-matches('Waiting in the queue')", timeout=30_000)
        other.click("#stop")
        other.wait_for_selector("body[data-job-state=cancelled]", timeout=30_000)
        assert page.get_attribute("body", "data-job-state") == "running"
        other.close()
        page.reload()
        page.wait_for_selector("body[data-ready=true]")
        page.wait_for_selector("#job-status:text-matches('Running: iteration [0-9]+ of')", timeout=30_000)
        # its curve from the start, replayed: drawn at the next animation frame, after the status (which the first
        # replayed record sets, when one point makes a dot and not yet a line); counting at once flaked under load
        page.wait_for_selector("#loss-curve polyline >> nth=1", state="attached", timeout=30_000)  # two or more
        assert page.evaluate("page.points[0].iteration") == 1  # the app's own page state: replayed from iteration 1
        assert page.is_enabled("#stop") and page.get_attribute("body", "data-job-state") == "running"
        assert page.is_disabled("#start")  # Stop first: a second Start queued a job the page could not stop
        assert " left" in page.inner_text("#stats")
        page.click("#stop")
        page.wait_for_selector("body[data-job-state=stopped]", timeout=30_000)
        assert page.inner_text("#job-status").startswith("Stopped after ")
        assert page.is_enabled("#start") and " left" not in page.inner_text("#stats")  # a time left stayed
        assert page.is_visible("#preview")


def test_a_running_job_whose_server_went_away_says_the_server_does_not_answer(browser, pictures):
    """The server killed (a crash, a closed terminal) mid-run: the page went on saying 'Running: iteration 40 of 2000.'
    while its browser tried to reconnect."""
    def serve(port: int = 0) -> tuple[subprocess.Popen, str]:
        served = subprocess.Popen([sys.executable, "-m", "stylegram.cli", "serve", "--port", str(port)], text=True,
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                  env={**os.environ, "OMP_NUM_THREADS": "1"})
        return served, re.search(r"serving on (http://127\.0\.0\.1:\d+/)", served.stdout.readline())[1]

    process, url = serve()
    try:
        page = browser.new_page()
        page.set_default_timeout(60_000)
        page.goto(url)
        page.wait_for_selector("body[data-ready=true]")
        page.set_input_files("#content-input", str(pictures["content"]))
        page.set_input_files("#style-input", str(pictures["style"]))
        page.wait_for_selector("#style-thumbs .thumb:not(.pending)")
        page.wait_for_selector("#content-thumbs .thumb:not(.pending)")
        page.fill("#size", "64")
        page.fill("#iterations", "2000")
        page.click("#start")
        page.wait_for_selector("#job-status:text-matches('Running: iteration [0-9]+ of')")
        process.kill()
        process.wait(timeout=20)
        page.wait_for_selector("#job-status:text-matches('^The server does not answer')", timeout=30_000)
        assert "If it was stopped, the job stopped with it: start the server again (stylegram serve), then press " \
            "Start." in page.inner_text("#job-status")
        assert page.get_attribute("body", "data-job-state") == "running"  # not known to have ended: Stop stays
        process, _ = serve(int(url.rsplit(":", 1)[1].strip("/")))  # started again: it knows no such job
        page.wait_for_selector("#job-status:text-matches('^The job this tab showed is gone: the server was restarted')")
        assert page.is_disabled("#stop") and page.is_enabled("#start")  # it said 'Lost the connection; reload the page'
    finally:
        process.kill()
        closed(browser)


def test_a_file_over_the_upload_limit_is_refused_before_it_is_sent_saying_how_to_raise_it(browser, tmp_path):
    noise = np.random.default_rng(0).integers(0, 255, (800, 800, 3), dtype=np.uint8)
    Image.fromarray(noise).save(tmp_path / "big.png")  # incompressible: some 1.9 MB
    with ready_page(browser, create_app(max_upload_bytes=1_000_000, allowed_hosts=["127.0.0.1"])) as (page, url):
        page.set_input_files("#content-input", str(tmp_path / "big.png"))
        page.wait_for_selector("#error:not([hidden])")
        message = page.inner_text("#error")
        assert "big.png is 1.9 MB, over this server's upload limit of 1.0 MB" in message
        assert message.endswith("(or start the server with stylegram serve --max-upload-mb 2)")
        assert page.locator("#content-thumbs .thumb").count() == 0


def test_earlier_results_stay_on_the_page_to_download(browser, tmp_path):
    files = flat_pictures(tmp_path)
    with ready_page(browser, create_app(allowed_hosts=["127.0.0.1"])) as (page, url):
        assert page.is_hidden("#recent")  # nothing yet
        page.set_input_files("#content-input", str(files["cat.png"]))
        page.set_input_files("#style-input", str(files["red.png"]))
        page.wait_for_selector("#style-thumbs .thumb:not(.pending)")
        page.select_option("#method", "adain")
        first, _ = finished_job(page, url)
        assert page.is_visible("#preview")  # a one-pass job's only picture, sent before its end
        assert page.is_hidden("#recent") and page.is_hidden("#compare-result")  # the one shown is not listed again
        page.evaluate("document.body.dataset.jobState = ''")
        second, _ = finished_job(page, url, alpha="0.5")
        page.wait_for_selector("#recent:not([hidden]) .recent-item")
        items = page.locator("#recent-list .recent-item")
        assert items.count() == 1 and items.locator(".name").first.inner_text() == "adain · cat.png + red.png"
        assert re.fullmatch(r"default settings · [\d.]+ s", items.locator(".settings").inner_text())  # was only
        # the caption, the same for every result from the same pictures
        links = [items.locator("a", has_text=word).bounding_box() for word in ("image", "parameters", "inputs", "why")]
        card = items.bounding_box()
        assert all(card["x"] <= box["x"] and box["x"] + box["width"] <= card["x"] + card["width"] + 1 for box in links)
        long_line = "labels doodle_of_the_launch_pad.png,rocket_map_of_the_towers.png"  # ran over the next card
        assert items.locator(".settings").evaluate("(e, text) => { e.textContent = text; "
                                                   "return e.scrollWidth <= e.parentElement.clientWidth; }", long_line)
        assert items.locator("a.recent-result").get_attribute("href") == first["urls"]["result"]
        assert items.locator("a", has_text="inputs").get_attribute("href") == first["urls"]["inputs"]
        assert items.locator("img").evaluate("img => img.complete && img.naturalWidth") == 96  # the preview loaded
        with page.expect_download() as download:
            items.locator("a", has_text="image").click()
        saved = tmp_path / "earlier.png"
        download.value.save_as(saved)
        assert Image.open(saved).size == (96, 64) and second["id"] != first["id"]
        why = items.locator("a", has_text="why")
        assert why.get_attribute("href") == first["urls"]["explain"] and why.get_attribute("target") == "_blank"
        with page.context.expect_page() as opened:
            why.click()
        opened.value.wait_for_load_state()
        assert opened.value.title() == "Why this style transfer looks as it does"
        assert page.is_visible("#compare-result")  # both made from the same pictures
        with page.context.expect_page() as opened:
            page.click("#compare-result")
        opened.value.wait_for_load_state()
        assert opened.value.title() == "How these style transfers compare"
        assert opened.value.locator("table tr").count() >= 3  # a row per result under the heading
        page.locator("#output").screenshot(path=str(tmp_path / "recent.png"))
        page.select_option("#method", "gatys")
        page.evaluate("document.body.dataset.jobState = ''")
        finished_job(page, url, size="64", iterations="4")  # the start left to auto: the page says which it took
        assert re.fullmatch(r'Done after 4 iterations\. "Start from" auto chose the content in (the style\'s palette|'
                            r"its own colours) as the start\.", page.inner_text("#job-status")), page.inner_text("#job-status")


def test_the_loss_curves_labels_keep_their_size_on_a_narrow_screen(browser):
    """The curve is drawn as wide as it shows (300 to 560 CSS px): on a phone its labels stay 11-13 px, where a fixed
    560 px drawing scaled them to 6-7 px; a window made wider redraws it."""
    with ready_page(browser, create_app(allowed_hosts=["127.0.0.1"])) as (page, url):
        def drawn() -> tuple[float, float, float]:
            return tuple(page.evaluate("""() => { const svg = document.querySelector('#loss-curve');
                return [svg.viewBox.baseVal.width, svg.getBoundingClientRect().width,
                        svg.querySelector('.title').getBoundingClientRect().height]; }"""))

        width, shown, title = drawn()
        assert width == 560 and shown > 560  # a wide window: the full drawing, scaled up
        page.set_viewport_size({"width": 420, "height": 900})
        page.wait_for_timeout(300)  # the resize's redraw, at the next animation frame
        width, shown, title = drawn()
        assert abs(width - shown) <= 2 and 300 <= width < 420
        assert title >= 12  # the 12 px title, at its size


def test_a_setting_out_of_range_is_named_and_a_hidden_one_does_not_block_start(browser):
    """The browser's own check stopped Start on a bad value with a bubble at best, and with nothing on the screen
    when the field belonged to another method (hidden); the page now says which field and what it must be."""
    app = create_app(allowed_hosts=["127.0.0.1"])
    with ready_page(browser, app) as (page, url):
        page.click("#content-samples [data-sample=chelsea]")
        page.click("#style-samples [data-sample=swirls]")
        page.wait_for_selector("#style-thumbs .thumb:not(.pending)")
        page.wait_for_selector("#content-thumbs .thumb:not(.pending)")
        page.fill("#iterations", "2,x")
        page.click("#start")
        page.wait_for_selector("#error:not([hidden])")
        assert page.inner_text("#error") == ("Iterations per scale should be a count per scale, coarse to fine, like "
                                             "20,90 (empty: auto) (it is 2,x).")
        assert page.get_attribute("#iterations", "aria-invalid") == "true"
        page.fill("#iterations", "2")
        page.fill("#size", "5")  # a field before it in the form now wrong: the fixed one's mark was left on
        page.click("#start")
        page.wait_for_function("document.querySelector('#error').textContent.startsWith('Size')")
        assert page.inner_text("#error") == "Size (long side, px) must be at least 16 (it is 5)."
        assert page.get_attribute("#size", "aria-invalid") == "true"
        assert page.get_attribute("#iterations", "aria-invalid") is None
        assert page.evaluate("document.activeElement.id") == "size"
        page.fill("#size", "64")
        assert page.request.get(url + "/api/jobs").json() == []
        # A field of the video settings, hidden for a picture, holds a value out of its range: not sent, not checked.
        assert page.is_hidden("[data-field=temporal]")
        page.evaluate("document.querySelector('#temporal').value = '3'")
        page.click("#start")
        page.wait_for_selector("body[data-job-state=done], body[data-job-state=failed]", timeout=60_000)
        assert page.is_hidden("#error"), page.inner_text("#error")
        # A value between the steps of a field whose arrows step by 0.05 is fine: the server takes it.
        page.select_option("#method", "adain")
        page.fill("#alpha", "0.33")
        page.click("#start")
        for _ in range(120):  # the job list, as the page's own Earlier results read it
            jobs = page.request.get(url + "/api/jobs").json()
            if any(job["method"] == "adain" and job["state"] == "done" for job in jobs):
                break
            page.wait_for_timeout(500)
        assert page.is_hidden("#error"), page.inner_text("#error")
        assert len(jobs) == 2 and "alpha 0.33" in next(job for job in jobs if job["method"] == "adain")["settings"]


def test_a_refused_content_keeps_the_picture_before_it_and_a_decimal_comma_is_a_point(browser, pictures):
    """A text file dropped on a good content picture left the box empty ('Add a content image'); '2,5' typed as a
    style weight ran at 25; a setting the page refused left the result panel saying 'Ready' (or the last job's
    'Done'), the message far below on a phone."""
    with ready_page(browser, create_app(allowed_hosts=["127.0.0.1"])) as (page, url):
        page.set_input_files("#content-input", str(pictures["content"]))
        page.wait_for_selector("#content-thumbs .thumb:not(.pending)")
        kept = page.evaluate("page.content.id")
        drop(page, "#content-drop", pictures["text"], "image/png")
        page.wait_for_selector("#error:not([hidden])")
        assert "notes.txt is not an image" in page.inner_text("#error")
        assert page.evaluate("page.content && page.content.id") == kept
        assert page.locator("#content-thumbs .thumb:visible").count() == 1
        assert "chelsea.png" in page.inner_text("#content-thumbs")
        assert page.inner_text("#job-status") == "Add a style image, then press Start."
        page.set_input_files("#content-input", str(pictures["style"]))  # a good one replaces it, and the old goes
        page.wait_for_selector("#content-thumbs .thumb:not(.pending) >> text=swirls.png")
        assert page.locator("#content-thumbs .thumb").count() == 1 and page.evaluate("page.content.name") == "swirls.png"
        assert page.request.get(f"{url}/api/uploads/{kept}").status == 404

        page.click("#style_weight")
        page.keyboard.type("2,5")
        assert page.input_value("#style_weight") == "2.5"
        page.fill("#size", "5")
        page.click("#start")
        page.wait_for_selector("#error:not([hidden])")
        assert page.inner_text("#job-status") == "Not started: see the message under the settings."


def test_a_tab_whose_job_a_restarted_server_lost_says_so(browser):
    """After a restart the page said 'Ready: press Start.' as if nothing had run (the server keeps jobs in memory)."""
    with ready_page(browser, create_app(allowed_hosts=["127.0.0.1"])) as (page, url):
        page.evaluate("sessionStorage.setItem('stylegram.job', 'a-job-of-the-server-before')")
        page.reload()
        page.wait_for_selector("body[data-ready=true]")
        assert page.inner_text("#job-status").startswith("The job this tab showed is gone: the server was restarted")
        assert page.evaluate("sessionStorage.getItem('stylegram.job')") is None  # said once
