"""Browser previews in chromium: the card plays the source cropped by CSS along the clip's crop
path, captions highlight the word being spoken, new bounds update the preview without any
render, and the final rendered after approval uses the crop the page showed.

The render stage runs for real (ffmpeg + MediaPipe) on a composed video whose face moves from
left to right; the page is sampled with screenshots and MediaPipe finds the face in them."""

import cv2
import numpy as np
import pytest

from clips import jobs, tasks
from clips.models import Clip, Transcript
from clips.options import pipeline_options
from pipeline import browser_preview, crop_plan, render, stages
from pipeline.sample import Shot
from pipeline.schemas import Transcript as TranscriptFile
from pipeline.schemas import Word
from pipeline.stages import write_model

from .conftest import ARTIFACTS_DIR
from .media_support import WIDTH, detect_faces, face_box, face_video, head
from .preview_support import serve_media_through_the_app, video_before_render
from .test_browser_keyboard import chromium, logged_in_page  # noqa: F401 - the fixture
from .test_browser_review import shot

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SHOTS = [Shot(12.0, "0x2f5d50", (head(0, WIDTH - 240),))]  # the face crosses the frame in 12 s
WORDS = [{"text": f"word{i}", "start": round(0.3 + 0.6 * i, 2), "end": round(0.8 + 0.6 * i, 2)} for i in range(19)]
CLIP_S = (1.0, 9.0)
KARAOKE_YELLOW = "rgb(255, 229, 0)"  # BUILTIN_CAPTION_STYLES["karaoke"].highlight_colour


@pytest.fixture(scope="module")
def moving_face(tmp_path_factory):
    return face_video(tmp_path_factory.mktemp("moving") / "moving.mp4", SHOTS, speech="one two three four five")


@pytest.fixture
def reviewable(admin_user, media_root, moving_face, monkeypatch):
    """A video whose render stage ran for real (browser previews: analysis and poster only)."""
    serve_media_through_the_app(monkeypatch)
    video = video_before_render(
        admin_user, moving_face, words=WORDS, clip_s=CLIP_S, duration_s=12.0, subtitle_style="karaoke"
    )
    result = stages.get_stage("render").run(video.workdir, pipeline_options(video), lambda fraction, message="": None)
    clip = Clip.objects.create(
        video=video, index=0, start_s=CLIP_S[0], end_s=CLIP_S[1], score=0.8,
        text=" ".join(w["text"] for w in WORDS if CLIP_S[0] <= w["start"] < CLIP_S[1]),
    )  # fmt: skip
    from clips.stage_results import import_render

    import_render(video, result)
    return video, Clip.objects.get(pk=clip.pk)


@pytest.fixture
def no_task_queued(monkeypatch):
    """Every task the web process would hand to the queue, recorded instead."""
    queued = []
    monkeypatch.setattr(jobs, "async_task", lambda *args, **kwargs: queued.append(args))
    return queued


def open_clips(page, live_server, video):
    page.goto(f"{live_server.url}/videos/{video.pk}/clips/")
    page.wait_for_selector(".preview[data-ready]")


def seek(page, card, t):
    """Seek the card's preview to clip time t and wait until that frame is on screen."""
    page.evaluate(
        """([card, t]) => new Promise(resolve => {
            const preview = document.querySelector(card + ' .preview');
            const video = preview.querySelector('video.preview-main');
            preview.cliperPreview.seek(t);
            const done = () => requestAnimationFrame(() => requestAnimationFrame(resolve));
            video.addEventListener('seeked', done, { once: true });
        })""",
        [card, t],
    )
    page.wait_for_function(
        "([card]) => { const v = document.querySelector(card + ' video.preview-main'); return v.readyState >= 2 && !v.seeking; }",
        arg=[card],
    )


def face_in_frame(page, card) -> tuple[float, float]:
    """(face centre x, frame width) in CSS pixels, found by MediaPipe in a screenshot of the frame."""
    frame = page.locator(f"{card} .preview-frame")
    png = frame.screenshot(animations="disabled", caret="initial")
    ARTIFACTS_DIR.mkdir(exist_ok=True)
    (ARTIFACTS_DIR / "preview_frame.png").write_bytes(png)  # the last one sampled, to look at
    image = cv2.cvtColor(cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
    faces = detect_faces(image)
    assert len(faces) == 1, f"{len(faces)} faces in the preview frame"
    x, _, w, _ = faces[0]
    css_width = frame.bounding_box()["width"]
    return (x + w / 2) * css_width / image.shape[1], css_width


def source_face_centre_x(t_source: float) -> float:
    x, _, w, _ = face_box(SHOTS, t_source)
    return x + w / 2


def test_the_preview_crop_follows_the_moving_face(live_server, reviewable, chromium):  # noqa: F811
    video, clip = reviewable
    planned = browser_preview.load_preview(video.workdir, 0)
    page = logged_in_page(chromium, live_server, "root")
    open_clips(page, live_server, video)
    card = f"#clip-{clip.pk}"
    seen = []
    for t in (0.5, 7.0):
        seek(page, card, t)
        crop_x = float(page.get_attribute(f"{card} .preview-frame", "data-crop-x"))
        face_x, frame_width = face_in_frame(page, card)
        # where the face must appear if the CSS crop is the planned crop at this time
        expected = (source_face_centre_x(CLIP_S[0] + t) - crop_x) / planned.crop.width * frame_width
        assert face_x == pytest.approx(expected, abs=0.06 * frame_width)
        assert 0.1 * frame_width < face_x < 0.9 * frame_width  # and it is well inside the picture
        seen.append(crop_x)
        shot(page, f"preview_crop_{t:.0f}s")
    face_moved = source_face_centre_x(CLIP_S[0] + 7.0) - source_face_centre_x(CLIP_S[0] + 0.5)
    assert seen[1] - seen[0] > 0.5 * face_moved  # the visible region moved with the face


def test_captions_highlight_the_word_being_spoken(live_server, reviewable, chromium):  # noqa: F811
    video, clip = reviewable
    page = logged_in_page(chromium, live_server, "root")
    open_clips(page, live_server, video)
    card = f"#clip-{clip.pk}"
    for word in (WORDS[3], WORDS[9]):
        t = (word["start"] + word["end"]) / 2 - CLIP_S[0]
        seek(page, card, t)
        spoken = page.locator(f"{card} .caption-word.spoken")
        assert spoken.count() == 1 and spoken.inner_text() == word["text"]
        assert spoken.evaluate("e => getComputedStyle(e).color") == KARAOKE_YELLOW
        others = page.locator(f"{card} .caption-word:not(.spoken)")
        assert others.count() >= 1 and others.first.evaluate("e => getComputedStyle(e).color") == "rgb(255, 255, 255)"


def test_new_bounds_update_the_preview_without_a_render(live_server, reviewable, chromium, no_task_queued):  # noqa: F811
    video, clip = reviewable
    renders_before = sorted(p.name for p in (video.workdir / "renders").iterdir())
    page = logged_in_page(chromium, live_server, "root")
    open_clips(page, live_server, video)
    card = f"#clip-{clip.pk}"
    page.click(f"{card} details.bounds summary")
    page.fill(f"{card} input[name=start_s]", "3.2")
    page.fill(f"{card} input[name=end_s]", "10.0")
    page.click(f"{card} .bounds-form button[type=submit]")
    page.wait_for_selector(f"{card} .ok:has-text('Bounds snapped')")
    page.wait_for_selector(f"{card} .preview[data-ready]")
    clip.refresh_from_db()
    assert (clip.start_s, clip.end_s) == (WORDS[5]["start"], WORDS[15]["end"])  # snapped to words
    data = page.evaluate(f"JSON.parse(document.querySelector('{card} .preview script').textContent)")
    assert (data["start"], data["end"]) == (clip.start_s, clip.end_s)
    seek(page, card, 0.2)
    first_word = page.locator(f"{card} .caption-word").first.inner_text()
    assert first_word == WORDS[5]["text"]
    crop_x = float(page.get_attribute(f"{card} .preview-frame", "data-crop-x"))
    face_x, frame_width = face_in_frame(page, card)
    planned = browser_preview.load_preview(video.workdir, 0)
    expected = (source_face_centre_x(clip.start_s + 0.2) - crop_x) / planned.crop.width * frame_width
    assert face_x == pytest.approx(expected, abs=0.06 * frame_width)
    assert no_task_queued == []  # no render (nor analysis) task
    assert sorted(p.name for p in (video.workdir / "renders").iterdir()) == renders_before
    assert "Preparing the preview" not in page.inner_text(card)


def test_the_final_uses_the_crop_the_page_showed(live_server, reviewable, chromium, monkeypatch, no_task_queued):  # noqa: F811
    video, clip = reviewable
    page = logged_in_page(chromium, live_server, "root")
    open_clips(page, live_server, video)
    card = f"#clip-{clip.pk}"
    page.click(f"{card} [data-action=approve]")
    page.wait_for_selector(f"{card}.approved")
    # approving queued the final: run that task here, as the worker would, and see its crop
    assert [task[0] for task in no_task_queued] == ["clips.tasks.run_clip_job"]
    used = {}
    original = render.render_clip

    def recording(*args, **kwargs):
        used["crop"] = kwargs["crop"]
        return original(*args, **kwargs)

    monkeypatch.setattr(render, "render_clip", recording)
    tasks.run_clip_job(*no_task_queued[0][1:])
    clip.refresh_from_db()
    assert clip.final_state == Clip.FinalState.DONE
    fps = used["crop"].fps
    frame_count = round((clip.end_s - clip.start_s) * fps)
    final_xs, final_ys = crop_plan.positions_per_frame(used["crop"], frame_count, fps)
    for frame in range(0, frame_count, 17):
        t = frame / fps
        shown = page.evaluate(f"document.querySelector('{card} .preview').cliperPreview.cropAt({t})")
        assert abs(shown["x"] - final_xs[frame]) <= 2 and abs(shown["y"] - final_ys[frame]) <= 2, t


def play_through(page, card, from_t, until_t) -> list[float]:
    """Play the card from clip time from_t (the Play button, a real click) and the clip times seen
    on every animation frame until until_t."""
    seek(page, card, from_t)
    page.click(f"{card} .preview-play")
    return page.evaluate(
        """([card, until]) => new Promise(resolve => {
            const preview = document.querySelector(card + ' .preview');
            const video = preview.querySelector('video.preview-main');
            const start = preview.cliperPreview.state.data.start, began = performance.now(), seen = [];
            const tick = () => {
                const t = video.currentTime - start;
                if (!video.paused && !video.seeking) seen.push(t);
                if (t > until || performance.now() - began > 10000) { video.pause(); resolve(seen); return; }
                requestAnimationFrame(tick);
            };
            requestAnimationFrame(tick);
        })""",
        [card, until_t],
    )


def test_a_trimmed_clip_skips_the_pauses_its_final_cuts(live_server, reviewable, chromium, monkeypatch, no_task_queued):  # noqa: F811
    video, clip = reviewable
    # nothing said between 4.5 and 7.5 s of the source (the sound there is silent too)
    words = [w for w in WORDS if not 4.5 <= w["start"] < 7.5]
    Transcript.objects.filter(video=video).update(words=words)
    write_model(
        video.workdir / "transcript.json",
        TranscriptFile(language="en", duration=12.0, words=[Word(**w) for w in words]),
    )
    Clip.objects.filter(pk=clip.pk).update(trim_silence=True)
    page = logged_in_page(chromium, live_server, "root")
    open_clips(page, live_server, video)
    card = f"#clip-{clip.pk}"
    cuts = page.evaluate(f"document.querySelector('{card} .preview').cliperPreview.cuts")
    gap = (
        max(w["end"] for w in words if w["end"] < 4.5) - CLIP_S[0],
        min(w["start"] for w in words if w["start"] >= 7.5) - CLIP_S[0],
    )
    assert len(cuts) == 1 and gap[0] < cuts[0][0] < cuts[0][1] < gap[1] and cuts[0][1] - cuts[0][0] > 2.0
    seen = play_through(page, card, cuts[0][0] - 0.6, cuts[0][1] + 0.4)
    assert seen and max(seen) > cuts[0][1]  # it played past the pause...
    inside = [t for t in seen if cuts[0][0] + 0.1 < t < cuts[0][1] - 0.1]
    assert not inside, f"played {len(inside)} frames of a pause the final cuts"  # ...without showing it
    assert any(t < cuts[0][0] for t in seen)

    # the final, rendered as the worker would after approval, cuts exactly these pauses
    page.click(f"{card} [data-action=approve]")
    page.wait_for_selector(f"{card}.approved")
    planned = {}
    original = render._trim_plan

    def recording(*args, **kwargs):
        planned["trim"] = original(*args, **kwargs)
        return planned["trim"]

    monkeypatch.setattr(render, "_trim_plan", recording)
    tasks.run_clip_job(*no_task_queued[-1][1:])
    clip.refresh_from_db()
    assert clip.final_state == Clip.FinalState.DONE
    final_cuts = [t for cut in planned["trim"].cuts for t in cut]
    assert final_cuts == pytest.approx([t for cut in cuts for t in cut], abs=1e-6)
