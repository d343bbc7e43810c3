"""In chromium, without the pipeline (rows written directly): keyboard review, the live caption
counter and inline errors, two people saving the same caption, bulk approve, upload progress."""

import os

import pytest

from clips.models import Clip, Copy

from .test_browser_review import CHROMIUM_ARGS, LAPTOP, PHONE, shot
from .ui_support import make_processed_video

pytestmark = pytest.mark.browser


@pytest.fixture
def chromium(tmp_path):
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


def logged_in_page(chromium, live_server, username, size=LAPTOP):
    context = chromium.new_context(viewport=size)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(live_server.url + "/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", f"pw-{username}")
    page.click("button[type=submit]")
    page.wait_for_selector("h1:has-text('Videos')")
    return page


def test_keyboard_review_counter_errors_and_bulk(live_server, admin_user, media_root, settings, chromium):
    settings.CLIPER = {**settings.CLIPER, "PLATFORM": "x", "MANDATORY_HASHTAGS": ["#Brand"]}
    video = make_processed_video(admin_user, media_root, clips=4)
    ids = list(video.clips.order_by("index").values_list("pk", flat=True))
    page = logged_in_page(chromium, live_server, "root")
    page.goto(f"{live_server.url}/videos/{video.pk}/clips/")

    # j selects the first card, a approves it and moves on, r rejects the second
    page.keyboard.press("j")
    page.wait_for_selector(f"#clip-{ids[0]}.current")
    page.keyboard.press("a")
    page.wait_for_selector(f"#clip-{ids[0]}.approved")
    page.wait_for_selector(f"#clip-{ids[1]}.current")
    page.keyboard.press("r")
    page.wait_for_selector(f"#clip-{ids[1]}.rejected")
    page.wait_for_selector(f"#clip-{ids[2]}.current")
    page.keyboard.press("k")
    page.keyboard.press("k")
    page.wait_for_selector(f"#clip-{ids[0]}.current")

    # e opens the editor with focus in the caption; the counter follows typing (x: 280 characters)
    page.keyboard.press("e")
    box = page.locator(f"#copy-{ids[0]} .caption-input")
    box.wait_for()
    page.wait_for_function("() => document.activeElement.classList.contains('caption-input')")  # after htmx settles
    box.fill("y" * 300)
    counter = page.locator(f"#copy-{ids[0]} .counter")
    assert "over" in counter.get_attribute("class")
    assert counter.locator(".chars").inner_text() == str(300 + 2 + len("#talk #clip1"))
    page.click(f"#copy-{ids[0]} button[type=submit]")
    page.wait_for_selector(f"#copy-{ids[0]} .field-error")
    errors = page.inner_text(f"#copy-{ids[0]}")
    assert "the x limit is 280" in errors and "Mandatory hashtag missing: #Brand" in errors
    shot(page, "caption_errors")
    page.locator(f"#copy-{ids[0]} .caption-input").fill("Short and sweet")
    page.locator(f"#copy-{ids[0]} .hashtags-input").fill("#talk #brand")
    page.click(f"#copy-{ids[0]} button[type=submit]")
    page.wait_for_selector(f"#copy-{ids[0]} :text('Caption saved')")
    assert Copy.objects.get(clip_id=ids[0]).hashtags == ["#talk", "#brand"]
    # Approval is of what was seen: the edited caption sends the clip back to review.
    page.wait_for_selector(f"#clip-{ids[0]}:not(.approved)")

    # x selects cards for the bulk action; "Approve selected" approves them
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("x")
    page.keyboard.press("j")
    page.keyboard.press("x")
    page.click("#bulk-form button[value=approve]")
    page.wait_for_selector("text=2 clips approved.")
    # the first was approved, then its caption edited: an edit sends it back for review
    assert list(Clip.objects.filter(video=video).order_by("index").values_list("status", flat=True)) == [
        "proposed",
        "rejected",
        "approved",
        "approved",
    ]
    shot(page, "clips_keyboard_reviewed")
    shot(page, "clips_keyboard_reviewed_phone", PHONE)


def test_two_people_saving_one_caption_see_a_conflict_and_lose_nothing(
    live_server, editor, django_user_model, media_root, chromium
):
    from .conftest import make_user

    make_user(django_user_model, "otto", "Editor")
    video = make_processed_video(editor, media_root, clips=1)
    clip_id = video.clips.get().pk
    pages = [logged_in_page(chromium, live_server, name) for name in ("edna", "otto")]
    for page in pages:
        page.goto(f"{live_server.url}/videos/{video.pk}/clips/")
        page.click(f"#copy-{clip_id} [data-action=edit]")
        page.wait_for_selector(f"#copy-{clip_id} .caption-input")
    edna, otto = pages
    edna.fill(f"#copy-{clip_id} .caption-input", "Edna's words")
    edna.click(f"#copy-{clip_id} button[type=submit]")
    edna.wait_for_selector(f"#copy-{clip_id} :text('Caption saved')")
    otto.fill(f"#copy-{clip_id} .caption-input", "Otto's words")
    otto.click(f"#copy-{clip_id} button[type=submit]")
    otto.wait_for_selector(f"#copy-{clip_id} .conflict")
    assert otto.inner_text(f"#copy-{clip_id} .their-text").startswith("Edna's words")
    assert otto.input_value(f"#copy-{clip_id} .caption-input") == "Otto's words"
    shot(otto, "caption_conflict")
    otto.click(f"#copy-{clip_id} button[type=submit]")  # a deliberate overwrite
    otto.wait_for_selector(f"#copy-{clip_id} :text('Caption saved (version 3)')")
    assert Copy.objects.get(clip_id=clip_id).text == "Otto's words"


def test_an_upload_shows_its_progress_and_opens_the_video(
    live_server, editor, media_root, chromium, tmp_path, monkeypatch
):
    from django_q.conf import Conf

    monkeypatch.setattr(Conf, "SYNC", False)  # no worker here: the queued first stage just waits
    page = logged_in_page(chromium, live_server, "edna")
    bar_values = []
    page.on("console", lambda message: bar_values.append(message.text) if message.text.startswith("bar ") else None)
    page.evaluate("""() => document.addEventListener('htmx:xhr:progress', () => setTimeout(() =>
        console.log('bar ' + document.querySelector('.upload-progress progress').value), 0))""")
    shot(page, "videos_new_form")
    movie = tmp_path / "my-talk.mp4"
    movie.write_bytes(os.urandom(4 * 1024 * 1024))
    page.set_input_files("#new-video-form input[name=upload]", str(movie))
    assert not page.is_visible("#new-video-form input[name=min_clip_s]")
    page.select_option("#new-video-form select[name=clip_preset]", "custom")
    page.fill("#new-video-form input[name=min_clip_s]", "20")
    page.fill("#new-video-form input[name=max_clip_s]", "40")
    page.click("#new-video-form button[type=submit]")
    page.wait_for_url("**/videos/*/")
    assert "my-talk" in page.inner_text("h1") and page.locator(".stage").count() == 5
    assert "bar 100" in bar_values  # the upload bar reached 100 %
    video = editor.videos.get()
    assert (video.min_clip_s, video.max_clip_s) == (20, 40)
    assert (media_root / video.original.name).stat().st_size == 4 * 1024 * 1024
