"""The render stage as analysis only: crop paths and posters per clip in score order, no encode;
new bounds replanned from the stored face samples; the final uses the crop the preview showed.
Real ffmpeg and MediaPipe on a composed video whose face moves at a known speed."""

import json
import shutil

import pytest

from pipeline import browser_preview, config, crop_plan, face_analysis, render, stages
from pipeline.errors import InputError
from pipeline.sample import Shot
from pipeline.schemas import ClipProposal, ClipsResult, MediaInfo, PipelineOptions, Transcript, Word
from pipeline.stages import write_model
from tests.media_support import HEIGHT, WIDTH, detect_faces, face_box, face_video, frame_at, head

pytestmark = pytest.mark.slow

# One 12 s shot: the head moves from the left edge to the right edge at a constant speed.
SHOTS = [Shot(12.0, "0x2f5d50", (head(0, WIDTH - 240),))]
WORDS = [Word(text=f"w{i}", start=0.5 + i * 0.5, end=0.9 + i * 0.5) for i in range(22)]
CLIPS = [(1.0, 5.0, 0.4), (6.0, 10.0, 0.9)]  # start, end, score: the second is the better one


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    return face_video(tmp_path_factory.mktemp("moving") / "moving.mp4", SHOTS)


def workdir_with(source, workdir, clips=CLIPS):
    workdir.mkdir(parents=True, exist_ok=True)
    shutil.copy(source, workdir / "media.mp4")
    media = MediaInfo(media_file="media.mp4", duration=12.0, width=WIDTH, height=HEIGHT, fps=25)
    write_model(workdir / "media.json", media)
    write_model(workdir / "transcript.json", Transcript(language="en", duration=12.0, words=WORDS))
    proposals = [ClipProposal(start=s, end=e, text="x", score=score) for s, e, score in clips]
    write_model(workdir / "clips.json", ClipsResult(topics=[], clips=proposals))
    return workdir


@pytest.fixture(scope="module")
def prepared(source, tmp_path_factory):
    """A work directory after the render stage, and the order in which it prepared the clips."""
    workdir = workdir_with(source, tmp_path_factory.mktemp("work"))
    order = []
    original = render.prepare_preview

    def recording(workdir, clip_index, options, progress=None, **kwargs):
        order.append(clip_index)
        return original(workdir, clip_index, options, progress, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(render, "prepare_preview", recording)
        patch.setattr(config.current(), "render_parallel", 1)
        result = stages.get_stage("render").run(workdir, PipelineOptions(), lambda fraction, message="": None)
    return workdir, result, order


def face_centre_x(t: float) -> float:
    x, _, w, _ = face_box(SHOTS, t)
    return x + w / 2


def test_the_render_stage_makes_clips_reviewable_best_first_without_encoding(prepared):
    workdir, result, order = prepared
    assert order == [1, 0]  # score order
    assert sorted(p.name for p in (workdir / "renders").glob("*.mp4")) == []
    saved = json.loads((workdir / "renders.json").read_text())["renders"]
    assert [r["clip_index"] for r in saved] == [0, 1] and all(r["video_file"] == "" for r in saved)
    for index, (start_s, end_s, _) in enumerate(CLIPS):
        planned = browser_preview.load_preview(workdir, index)
        assert (planned.start, planned.end, planned.aspect) == (start_s, end_s, "9:16")
        assert (workdir / planned.poster_file).stat().st_size > 1000
        samples = browser_preview.load_samples(workdir, index)
        assert samples.start == start_s - browser_preview.ANALYSIS_MARGIN_S or samples.start == 0.0
        assert samples.end == min(12.0, end_s + browser_preview.ANALYSIS_MARGIN_S)


def test_the_planned_crop_keeps_the_moving_face_in_the_picture(prepared):
    workdir, _, _ = prepared
    crop = browser_preview.load_preview(workdir, 0).crop
    assert crop.faces_seen > 0 and not crop.warning
    xs, _ = crop_plan.positions_per_frame(crop, 100, 25)  # clip 0 is 4 s long
    for frame in (0, 50, 99):
        centre = face_centre_x(1.0 + frame / 25)
        assert xs[frame] <= centre <= xs[frame] + crop.width
    assert xs[99] - xs[0] > 60  # it followed the face to the right


def test_new_bounds_inside_the_margin_are_planned_without_decoding(prepared, monkeypatch):
    workdir, _, _ = prepared

    def no_decoding(*args, **kwargs):
        raise AssertionError("face analysis ran again")

    monkeypatch.setattr(face_analysis, "face_samples", no_decoding)
    planned = browser_preview.replan(workdir, 0, 2.5, 6.5, PipelineOptions())
    assert planned is not None and (planned.start, planned.end) == (2.5, 6.5)
    assert browser_preview.load_preview(workdir, 0) == planned
    xs, _ = crop_plan.positions_per_frame(planned.crop, 100, 25)
    for frame in (0, 99):
        assert xs[frame] <= face_centre_x(2.5 + frame / 25) <= xs[frame] + planned.crop.width
    # beyond what was analysed: None, the caller queues a new analysis
    assert browser_preview.replan(workdir, 0, 0.0, 11.5, PipelineOptions()) is None


def test_the_final_renders_the_crop_the_preview_showed(source, tmp_path, monkeypatch):
    workdir = workdir_with(source, tmp_path / "work", clips=[(1.0, 5.0, 0.5)])
    stages.get_stage("render").run(workdir, PipelineOptions(subtitle_style="none"), lambda fraction, message="": None)
    planned = browser_preview.replan(workdir, 0, 2.0, 5.5, PipelineOptions())  # a reviewer moved the bounds
    monkeypatch.setattr(face_analysis, "face_samples", lambda *a, **k: pytest.fail("the final analysed again"))
    final = render.render_workdir_clip(
        workdir, 0, PipelineOptions(subtitle_style="none"), preview=False, start_s=2.0, end_s=5.5
    )
    assert (final.width, final.height) == (1080, 1920)
    scale = 1080 / planned.crop.width
    xs, _ = crop_plan.positions_per_frame(planned.crop, 88, 25)
    for t in (0.5, 3.0):
        final_faces = detect_faces(frame_at(workdir / final.video_file, t))
        source_faces = detect_faces(frame_at(workdir / "media.mp4", 2.0 + t))
        assert len(final_faces) == 1 and len(source_faces) == 1
        fx, _, fw, _ = final_faces[0]
        sx, _, sw, _ = source_faces[0]
        # the face where the preview's crop path puts it, within a few source pixels
        assert (fx + fw / 2) / scale + xs[round(t * 25)] == pytest.approx(sx + sw / 2, abs=6)


def test_server_previews_are_kept_as_a_fallback(source, tmp_path):
    workdir = workdir_with(source, tmp_path / "work", clips=[(1.0, 3.0, 0.5)])
    result = stages.get_stage("render").run(
        workdir, PipelineOptions(server_previews=True), lambda fraction, message="": None
    )
    assert result.renders[0].video_file == "renders/clip_0_preview.mp4"
    assert (workdir / result.renders[0].video_file).stat().st_size > 10_000
    assert browser_preview.load_preview(workdir, 0).video_file == "renders/clip_0_preview.mp4"


def test_bounds_outside_the_media_are_refused(source, tmp_path):
    with pytest.raises(InputError):
        browser_preview.analyse_faces(source, 20.0, 25.0)
