"""Finishing in chromium: a caption style change redraws the preview frame, a preset saved from
the editor is the default of the next video, and three approved clips download as a zip of
three 1080x1920 finals rendered by a real worker."""

import io
import zipfile

import numpy as np
import pytest

from clips.models import CaptionPreset, Video

from .media_support import probe
from .test_browser_review import browser, shot  # noqa: F401 - the chromium fixture
from .ui_support import real_video

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def login(page, live_server):
    page.goto(live_server.url + "/accounts/login/")
    page.fill("input[name=username]", "root")
    page.fill("input[name=password]", "pw-root")
    page.click("button[type=submit]")
    page.wait_for_selector("h1:has-text('Videos')")


def frame_pixels(page, live_server) -> np.ndarray:
    import cv2

    page.wait_for_function(
        "() => { const i = document.getElementById('caption-frame'); return i && i.complete && i.naturalWidth > 0; }"
    )
    src = page.get_attribute("#caption-frame", "src")
    data = page.request.get(live_server.url + src).body()
    return cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)


@pytest.mark.timeout(300)
def test_a_style_change_redraws_the_frame_and_a_saved_preset_styles_the_next_video(
    live_server,
    admin_user,
    settings,
    browser,  # noqa: F811
):
    settings.CLIPER = {**settings.CLIPER, "ALLOW_PRIVATE_URLS": True}
    video = real_video(admin_user, settings.MEDIA_ROOT)
    page = browser.new_page()
    login(page, live_server)
    page.goto(live_server.url + video.get_absolute_url())
    page.wait_for_selector("#captions")
    before_src = page.get_attribute("#caption-frame", "src")
    before = frame_pixels(page, live_server)
    assert before.shape == (960, 540, 3)

    page.select_option("#captions select[name=font]", "Bebas Neue")
    page.fill("#captions input[name=text_colour]", "#00ff00")
    page.check("#captions input[name=box]")
    page.wait_for_function(
        "() => document.getElementById('caption-frame') && document.getElementById('caption-frame').src.indexOf('box=on') > 0"
    )
    after_src = page.get_attribute("#caption-frame", "src")
    assert after_src != before_src and "Bebas" in after_src
    after = frame_pixels(page, live_server)
    changed = (np.abs(before.astype(int) - after.astype(int)).max(axis=2) > 40).mean()
    assert changed > 0.003, f"only {changed:.4f} of the frame changed"
    green = (after[..., 1] > 180) & (after[..., 0] < 100) & (after[..., 2] < 100)  # BGR: the new text colour
    assert green.sum() > 50
    shot(page, "caption_editor")

    page.fill("#captions input[name=name]", "Brand green")
    page.check("#captions input[name=make_default]")
    page.click("#save-preset")
    page.wait_for_selector("#captions :text('Preset “Brand green” saved.')")
    preset = CaptionPreset.objects.get(name="Brand green")
    assert preset.is_default and preset.style["font"] == "Bebas Neue" and preset.style["box"]

    page.goto(live_server.url + "/")
    page.click("#new-video summary")
    selected = page.eval_on_selector("select[name=caption_preset]", "s => s.options[s.selectedIndex].text")
    assert selected.startswith("Brand green")
    page.fill("input[name=url]", "http://127.0.0.1:9/next-talk.mp4")
    page.fill("input[name=title]", "Next talk")
    page.click("#new-video-form button[type=submit]")
    page.wait_for_selector("h1:has-text('Next talk')")
    new = Video.objects.get(title="Next talk")
    assert new.caption_preset == preset and new.caption_style == preset.style


@pytest.mark.timeout(600)
def test_three_approved_clips_download_as_three_1080x1920_finals(
    live_server,
    worker,
    admin_user,
    settings,
    browser,  # noqa: F811 - the fixture imported above
    tmp_path,
):
    video = real_video(admin_user, settings.MEDIA_ROOT, clips=3)
    w = worker()
    page = browser.new_page()
    login(page, live_server)
    page.goto(f"{live_server.url}/videos/{video.pk}/clips/")
    page.wait_for_selector(".clip-card")
    assert page.inner_text("#approved-count") == "0 of 3 approved"
    for number, card in enumerate(page.locator(".clip-card").all(), 1):
        clip_id = card.get_attribute("data-clip")
        page.click(f"#clip-{clip_id} [data-action=approve]")
        page.wait_for_selector(f"#clip-{clip_id}.approved")
        # the counter follows without a reload
        page.wait_for_function(
            f"() => document.getElementById('approved-count').textContent.trim() === '{number} of 3 approved'"
        )
    bar = page.inner_text("#approved-bar")
    assert "Final render missing for clips 1, 2 and 3" in bar or "rendering" in bar
    assert page.get_attribute("#download-approved", "aria-disabled") == "true"
    if page.locator("#render-finals").count():
        page.click("#render-finals")
    try:
        page.wait_for_selector("#download-approved:not([aria-disabled])", timeout=420_000)
    except Exception:
        pytest.fail(f"finals did not render\n{page.inner_text('#approved-bar')}\nworker log:\n{w.log()[-4000:]}")
    shot(page, "finals_ready")
    with page.expect_download() as download_info:
        page.click("#download-approved")
    zip_path = tmp_path / "approved.zip"
    download_info.value.save_as(zip_path)
    archive = zipfile.ZipFile(zip_path)
    mp4s = sorted(n for n in archive.namelist() if n.endswith(".mp4"))
    assert mp4s == ["clip_01.mp4", "clip_02.mp4", "clip_03.mp4"]
    for name in mp4s:
        path = tmp_path / name
        path.write_bytes(archive.read(name))
        streams = probe(path)["streams"]
        picture = next(s for s in streams if s["codec_type"] == "video")
        assert (picture["width"], picture["height"]) == (1080, 1920)
        assert any(s["codec_type"] == "audio" for s in streams)
    manifest = io.StringIO(archive.read("manifest.csv").decode())
    assert len(manifest.getvalue().strip().splitlines()) == 4
