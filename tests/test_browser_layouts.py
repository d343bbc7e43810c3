"""Speaker layouts in the browser preview: a `split` clip shows each person in their own half,
framed as the final frames them, and a `fit` clip shows the whole picture over a blurred copy.

The render stage runs for real on a composed two-person video (ffmpeg, MediaPipe, the speaker
analysis); the reviewer's layout choice re-plans it, as the framing form does. The page is
sampled with screenshots in which MediaPipe looks for the faces."""

import cv2
import numpy as np
import pytest

from clips.models import Clip
from clips.options import pipeline_options
from pipeline import browser_preview, render
from pipeline.sample import Shot

from .conftest import ARTIFACTS_DIR
from .media_support import HEAD_SIZE, HEIGHT, WIDTH, detect_faces, face_box, face_video, head
from .preview_support import serve_media_through_the_app, video_before_render
from .test_browser_keyboard import chromium, logged_in_page  # noqa: F401 - the fixture
from .test_browser_preview import no_task_queued, open_clips, seek  # noqa: F401 - the fixture

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SHOTS = [Shot(10.0, "0x2f5d50", (head(10), head(WIDTH - 10 - HEAD_SIZE)))]  # two people, far apart
WORDS = [{"text": f"word{i}", "start": round(0.3 + 0.6 * i, 2), "end": round(0.8 + 0.6 * i, 2)} for i in range(15)]
CLIP_S = (1.0, 8.0)


@pytest.fixture(scope="module")
def two_people(tmp_path_factory):
    return face_video(tmp_path_factory.mktemp("two") / "two.mp4", SHOTS, speech="one two three four five six")


@pytest.fixture
def layout_clip(admin_user, media_root, two_people, monkeypatch):
    """layout_clip(layout): a video whose render stage ran for real, with the reviewer's layout applied."""
    serve_media_through_the_app(monkeypatch)

    def prepare(layout):
        video = video_before_render(admin_user, two_people, words=WORDS, clip_s=CLIP_S, duration_s=10.0)
        clip = Clip.objects.create(
            video=video, index=0, start_s=CLIP_S[0], end_s=CLIP_S[1], score=0.8, text="x", layout=layout
        )  # fmt: skip
        render.prepare_preview(video.workdir, 0, pipeline_options(video), layout=layout)
        return video, clip

    return prepare


def opened(live_server, chromium, layout_clip, layout):  # noqa: F811
    """The clips page of a clip prepared with `layout`: (video, clip, its crop path, page, card selector)."""
    video, clip = layout_clip(layout)
    crop = browser_preview.load_preview(video.workdir, 0).crop
    assert {shot.layout for shot in crop.speakers.layouts} == {layout}
    page = logged_in_page(chromium, live_server, "root")
    open_clips(page, live_server, video)
    return video, clip, crop, page, f"#clip-{clip.pk}"


def frame_picture(page, card) -> np.ndarray:
    png = page.locator(f"{card} .preview-frame").screenshot(animations="disabled", caret="initial")
    ARTIFACTS_DIR.mkdir(exist_ok=True)
    (ARTIFACTS_DIR / "layout_frame.png").write_bytes(png)
    return cv2.cvtColor(cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)


def face_centres(image) -> list[tuple[float, float]]:
    return sorted((x + w / 2, y + h / 2) for x, y, w, h in detect_faces(image))


def source_centre(index: int, t_source: float) -> tuple[float, float]:
    x, y, w, h = face_box(SHOTS, t_source, index)
    return x + w / 2, y + h / 2


def test_a_split_clip_shows_each_person_in_their_own_half(live_server, layout_clip, chromium):  # noqa: F811
    video, clip, crop, page, card = opened(live_server, chromium, layout_clip, "split")
    assert page.get_attribute(f"{card} .preview-frame", "data-layout") == "split"
    t = 3.0
    seek(page, card, t)
    segment = next(s for s in crop.speakers.layouts[0].segments if s.start <= t < s.end)
    image = frame_picture(page, card)
    height, width = image.shape[:2]
    halves = {"top": (image[: height // 2], segment.top), "bottom": (image[height // 2 :], segment.bottom)}
    for name, (half, box) in halves.items():
        faces = face_centres(half)
        assert len(faces) == 1, f"{len(faces)} faces in the {name} half"
        # the person whose face the half's source box holds, where that box puts them
        person = min((0, 1), key=lambda i: abs(source_centre(i, CLIP_S[0] + t)[0] - (box.x + box.width / 2)))
        expected_x = (source_centre(person, CLIP_S[0] + t)[0] - box.x) / box.width * width
        assert faces[0][0] == pytest.approx(expected_x, abs=0.08 * width), name
    top_box, bottom_box = segment.top, segment.bottom
    assert abs((top_box.x + top_box.width / 2) - (bottom_box.x + bottom_box.width / 2)) > WIDTH / 3  # two people


def test_a_fit_clip_shows_the_whole_picture_over_a_blurred_copy(live_server, layout_clip, chromium):  # noqa: F811
    video, clip, crop, page, card = opened(live_server, chromium, layout_clip, "fit")
    seek(page, card, 3.0)
    image = frame_picture(page, card)
    height, width = image.shape[:2]
    band = height * HEIGHT / WIDTH * width / height  # the picture, contained: full width, centred
    top = int((height - band) / 2)
    faces = face_centres(image)
    assert len(faces) == 2, f"{len(faces)} faces in the fitted frame"
    for (x, y), person in zip(faces, (0, 1)):
        source_x, _ = source_centre(person, CLIP_S[0] + 3.0)
        assert x == pytest.approx(source_x / WIDTH * width, abs=0.05 * width)
        assert top < y < top + band
    above = image[: max(1, top - 4)]
    assert not detect_faces(np.ascontiguousarray(above))  # a blurred copy there, no sharp picture
    assert 3 < above.mean() < image[top : top + int(band)].mean()  # darkened, not black


def test_a_layout_chosen_on_the_card_plays_at_once_without_a_task(live_server, layout_clip, chromium, no_task_queued):  # noqa: F811
    video, clip, _, page, card = opened(live_server, chromium, layout_clip, "split")
    page.click(f"{card} details.framing-override summary")
    page.select_option(f"{card} details.framing-override select[name=layout]", "fit")
    page.click(f"{card} details.framing-override button[type=submit]")
    page.wait_for_selector(f"{card} .ok:has-text('the preview shows it')")
    page.wait_for_selector(f"{card} .preview[data-ready]")
    seek(page, card, 3.0)
    assert page.get_attribute(f"{card} .preview-frame", "data-layout") == "fit"
    assert len(face_centres(frame_picture(page, card))) == 2  # both people, the whole picture
    clip.refresh_from_db()
    assert clip.layout == "fit" and no_task_queued == []  # no analysis, no render
