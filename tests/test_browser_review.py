"""End to end in chromium: log in, make the sample video, watch it process, edit a caption,
approve two clips (keyboard and mouse), download the approved zip. Screenshots of the main
pages at laptop and phone widths go to test-artifacts/."""

import os
import time
import zipfile

import pytest

from pipeline.sample import TALK_EN

from .conftest import ARTIFACTS_DIR

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LAPTOP, PHONE = {"width": 1366, "height": 900}, {"width": 390, "height": 844}
# Three of the sample's four topics (~110 s of speech): at least two clips of the "short" preset,
# quicker to process than the whole sample.
TEST_TALK = "\n\n".join(TALK_EN.split("\n\n")[i] for i in (0, 1, 3))


@pytest.fixture
def browser(tmp_path):
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # live_server + sync Playwright
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),
            executable_path="/usr/bin/chromium",
            args=CHROMIUM_ARGS,
            headless=True,
            viewport=LAPTOP,
            accept_downloads=True,
        )
        context.set_default_timeout(20_000)
        try:
            yield context
        finally:
            context.close()


def shot(page, name, size=LAPTOP):
    ARTIFACTS_DIR.mkdir(exist_ok=True)
    page.set_viewport_size(size)
    page.wait_for_timeout(200)
    page.screenshot(path=str(ARTIFACTS_DIR / f"{name}.png"), full_page=True)
    page.set_viewport_size(LAPTOP)


def wait_until_processed(page, worker, timeout_s=420):
    """Waits for the video page to reload into its finished state; fails fast on a failed stage."""
    deadline, halfway_shot = time.monotonic() + timeout_s, False
    while time.monotonic() < deadline:
        if page.locator("#review-clips").count():
            return
        failed = page.locator(".stage.failed .stage-message")
        if failed.count():
            pytest.fail(f"a stage failed: {failed.first.inner_text()}\nworker log:\n{worker.log()[-4000:]}")
        if not halfway_shot and page.locator(".stage.running").count():
            shot(page, "video_processing")
            halfway_shot = True
        page.wait_for_timeout(1000)
    pytest.fail(f"processing did not finish in {timeout_s} s\nworker log:\n{worker.log()[-4000:]}")


@pytest.mark.timeout(900)
def test_sample_to_approved_zip(live_server, worker, admin_user, settings, monkeypatch, browser, tmp_path):
    settings.CLIPER = {**settings.CLIPER, "WHISPER_MODEL": "tiny.en", "PLATFORM": "tiktok", "MANDATORY_HASHTAGS": []}
    monkeypatch.setenv("CLIPER_SAMPLE_TEXT", TEST_TALK)  # read by the worker that makes the sample
    # The live server answers /media/ itself, unauthenticated and without byte ranges; send
    # those requests to the app's own permission-checking media view, as in production.
    from django.test.testcases import _MediaFilesHandler

    monkeypatch.setattr(_MediaFilesHandler, "_should_handle", lambda self, path: False)
    w = worker()
    page = browser.new_page()

    page.goto(live_server.url + "/accounts/login/")
    shot(page, "login")
    page.fill("input[name=username]", "root")
    page.fill("input[name=password]", "pw-root")
    page.click("button[type=submit]")
    page.wait_for_selector("h1:has-text('Videos')")
    shot(page, "videos_empty")

    page.click("#try-sample")
    page.wait_for_selector("#progress")
    assert "Sample talk" in page.inner_text("h1")
    wait_until_processed(page, w)
    assert page.inner_text("#video-status") == "Ready for review"
    assert page.locator(".stage.done").count() == 5
    shot(page, "video_done")
    shot(page, "video_done_phone", PHONE)

    # a chapter seeks the player
    chapters = page.locator(".chapter[data-seek]")
    assert chapters.count() >= 1
    last = chapters.nth(chapters.count() - 1)
    seek_s = float(last.get_attribute("data-seek"))
    last.click()
    page.wait_for_function(f"() => document.getElementById('player').currentTime >= {seek_s} - 0.5")
    assert page.evaluate("document.getElementById('player').error") is None

    page.click("#review-clips")
    page.wait_for_selector(".clip-card")
    cards = page.locator(".clip-card")
    assert cards.count() >= 2, "the sample should give at least two clips"
    # browser previews: the source cropped along each clip's crop path, captions drawn as HTML
    page.wait_for_selector(".clip-card .preview[data-ready]")
    assert page.locator(".clip-card .preview[data-ready]").count() >= 2
    shot(page, "clips")
    shot(page, "clips_phone", PHONE)

    # edit the first clip's caption from the keyboard: j selects it, e opens the editor
    first_id = cards.nth(0).get_attribute("data-clip")
    page.keyboard.press("j")
    page.keyboard.press("e")
    editor_box = page.locator(f"#copy-{first_id} textarea.caption-input")
    editor_box.wait_for()
    new_text = "Coffee, explained in one minute by an astronaut."
    editor_box.fill(new_text)
    tags = page.locator(f"#copy-{first_id} .hashtags-input").input_value().split()
    expected_chars = len(new_text) + (2 + len(" ".join(tags)) if tags else 0)  # text, blank line, tags
    assert int(page.locator(f"#copy-{first_id} .chars").inner_text()) == expected_chars
    shot(page, "caption_editing")
    page.click(f"#copy-{first_id} button[type=submit]")
    page.wait_for_selector(f"#copy-{first_id} :text('Caption saved')")

    # approve clip 1 with the keyboard ("a" also moves on) and clip 2 with the mouse
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.keyboard.press("a")
    page.wait_for_selector(f"#clip-{first_id}.approved")
    second_id = cards.nth(1).get_attribute("data-clip")
    page.click(f"#clip-{second_id} [data-action=approve]")
    page.wait_for_selector(f"#clip-{second_id}.approved")
    page.reload()
    assert "2 of" in page.inner_text("h1")
    shot(page, "clips_reviewed")

    # The zip holds finals only: render the two that are missing, then download.
    assert "Final render missing" in page.inner_text("#approved-bar")
    if page.locator("#render-finals").count():
        page.click("#render-finals")
    page.wait_for_selector("#download-approved:not([aria-disabled])", timeout=400_000)
    with page.expect_download() as download_info:
        page.click("#download-approved")
    zip_path = tmp_path / "approved.zip"
    download_info.value.save_as(zip_path)
    archive = zipfile.ZipFile(zip_path)
    names = set(archive.namelist())
    assert {"manifest.csv", "manifest.json"} <= names
    mp4s = sorted(n for n in names if n.endswith(".mp4"))
    assert len(mp4s) == 2 and all(archive.getinfo(n).file_size > 10_000 for n in mp4s)
    assert len([n for n in names if n.endswith(".srt")]) == 2
    captions = [archive.read(n).decode() for n in sorted(names) if n.endswith(".txt")]
    assert captions[0].startswith(new_text)

    page.goto(live_server.url + "/dashboard/")
    shot(page, "dashboard")
    page.goto(live_server.url + "/")
    shot(page, "videos")
    shot(page, "videos_phone", PHONE)
