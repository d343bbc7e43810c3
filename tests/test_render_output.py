"""Rendered clips: size, audio, poster, subtitle timing, face in frame, odd names, limits, stage."""

import json
import shutil

import numpy as np
import pytest

from pipeline import render, stages
from pipeline.errors import InputError
from pipeline.render import render_clip
from pipeline.sample import Shot
from pipeline.schemas import ClipProposal, ClipsResult, MediaInfo, PipelineOptions, Transcript, Word
from pipeline.stages import write_model
from tests.media_support import ODD_NAME, detect_faces, face_video, frame_at, head, probe

pytestmark = pytest.mark.slow

SHOTS = [Shot(3.0, "0x2f5d50", (head(0, 300),)), Shot(2.0, "0x3b3f7a", (head(380),))]
# Source-absolute word times; the clip below starts at 1.0 s.
WORDS = [
    Word(text="Hello", start=1.2, end=1.6),
    Word(text="captions.", start=1.6, end=2.0),
    Word(text="Later", start=3.4, end=3.9),
]
CLIP = (1.0, 4.5)


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    folder = tmp_path_factory.mktemp("render") / "odd 'dir', [é]; ü:"
    folder.mkdir()
    return face_video(folder / ODD_NAME, SHOTS, speech="Hello captions. Later we talk.")


@pytest.fixture(scope="module")
def with_subtitles(source):
    out = source.parent / f"out {ODD_NAME}"
    return out, render_clip(source, *CLIP, out, words=WORDS, subtitle_style="clean")


@pytest.fixture(scope="module")
def without_subtitles(source, tmp_path_factory):
    out = tmp_path_factory.mktemp("plain") / "plain.mp4"
    return out, render_clip(source, *CLIP, out)


def caption_ink(a: np.ndarray, b: np.ndarray) -> float:
    """Fraction of the caption area (lower part of the frame) where two frames clearly differ."""
    height = a.shape[0]
    area = slice(int(height * 0.55), int(height * 0.92))
    return float((np.abs(a[area].astype(int) - b[area].astype(int)).max(axis=2) > 60).mean())


def test_the_preview_has_its_size_audio_poster_and_subtitle_files(with_subtitles):
    out, result = with_subtitles
    info = probe(out)
    video = next(s for s in info["streams"] if s["codec_type"] == "video")
    audio = [s for s in info["streams"] if s["codec_type"] == "audio"]
    assert (video["codec_name"], video["width"], video["height"]) == ("h264", 540, 960)
    assert len(audio) == 1 and audio[0]["codec_name"] == "aac"
    assert abs(float(info["format"]["duration"]) - 3.5) < 0.2
    assert (result.width, result.height, result.preview, result.warning) == (540, 960, True, "")
    assert result.video_file == out.name and result.poster_file == out.with_suffix(".jpg").name
    assert frame_at(out.with_suffix(".jpg"), 0).shape == (960, 540, 3)
    srt = out.with_suffix(".srt").read_text()
    assert srt.startswith("1\n00:00:00,200 --> 00:00:01,400\nHello captions.\n\n2\n00:00:02,400 --> ")
    assert out.with_suffix(".vtt").read_text().startswith("WEBVTT")
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".")], "temporary files left behind"


def test_subtitles_appear_at_the_right_time(with_subtitles, without_subtitles):
    subbed, plain = with_subtitles[0], without_subtitles[0]
    for t, visible in ((0.1, False), (0.6, True), (1.3, True), (1.6, False), (2.7, True), (3.4, False)):
        ink = caption_ink(frame_at(subbed, t), frame_at(plain, t))
        assert (ink > 0.001) == visible, f"at {t} s caption ink {ink:.4f}"


def test_the_face_stays_in_the_output_frame(without_subtitles):
    out, _ = without_subtitles
    for t in (0.1, 1.0, 1.9, 2.2, 3.3):  # the source cuts at clip time 2.0
        faces = detect_faces(frame_at(out, t))
        assert faces, f"no face in the output at {t} s"
        x, y, w, h = faces[0]
        assert x >= -2 and x + w <= 542 and y >= -2 and y + h <= 962


def test_final_and_other_aspect_ratios(source, tmp_path):
    sizes = {}
    for aspect, preview in (("9:16", False), ("1:1", True), ("16:9", True)):
        out = tmp_path / f"{aspect.replace(':', 'x')}.mp4"
        result = render_clip(source, 0.5, 1.5, out, aspect=aspect, preview=preview, words=WORDS)
        video = next(s for s in probe(out)["streams"] if s["codec_type"] == "video")
        assert (video["width"], video["height"]) == (result.width, result.height)
        sizes[aspect] = (result.width, result.height)
    assert sizes == {"9:16": (1080, 1920), "1:1": (540, 540), "16:9": (640, 360)}


def test_user_text_with_override_tags_renders_literally(source, without_subtitles, tmp_path):
    out = tmp_path / "tags.mp4"
    tag_words = [Word(text="{\\fs400\\pos(270,100)}W", start=1.2, end=2.0)]
    render_clip(source, *CLIP, out, words=tag_words, subtitle_style="bold")
    subbed, plain = frame_at(out, 0.6), frame_at(without_subtitles[0], 0.6)
    differs = np.abs(subbed.astype(int) - plain.astype(int)).max(axis=2) > 60
    rows = np.flatnonzero(differs.mean(axis=1) > 0.01)
    assert len(rows) and rows.min() > 960 * 0.55, "the text escaped its caption area"


def test_karaoke_highlights_the_spoken_word(source, tmp_path):
    out = tmp_path / "karaoke.mp4"
    render_clip(source, *CLIP, out, words=WORDS, subtitle_style="karaoke")
    lower = frame_at(out, 0.4)[int(960 * 0.55) : int(960 * 0.92)].astype(int)
    highlight = (lower[..., 0] > 200) & (lower[..., 1] > 180) & (lower[..., 2] < 90)  # yellow
    assert highlight.sum() > 50


def test_a_size_limit_fails_cleanly_and_keeps_the_earlier_file(source, tmp_path):
    (tmp_path / "out").mkdir()
    out = tmp_path / "out" / "limited.mp4"
    out.write_bytes(b"earlier render")
    with pytest.raises(InputError, match="Not enough disk space"):
        render_clip(source, *CLIP, out, max_bytes=2000)
    assert out.read_bytes() == b"earlier render"
    assert sorted(p.name for p in out.parent.iterdir()) == ["limited.mp4"]


def test_unreadable_media_is_an_input_error(tmp_path):
    bad = tmp_path / "not a video.mp4"
    bad.write_text("hello")
    with pytest.raises(InputError):
        render_clip(bad, 0, 1, tmp_path / "out.mp4")


def workdir_with(source, tmp_path, clips):
    shutil.copy(source, tmp_path / "media.mp4")
    write_model(tmp_path / "media.json", MediaInfo(media_file="media.mp4", duration=5.0, width=640, height=360, fps=25))
    write_model(tmp_path / "transcript.json", Transcript(language="en", duration=5.0, words=WORDS))
    proposals = [ClipProposal(start=s, end=e, text="x", score=0.5) for s, e in clips]
    write_model(tmp_path / "clips.json", ClipsResult(topics=[], clips=proposals))
    return tmp_path


def test_the_render_stage_renders_a_preview_per_clip_and_records_failures(source, tmp_path):
    """With server-rendered previews (the fallback setting); browser previews: test_preview_pipeline."""
    workdir = workdir_with(source, tmp_path, [(1.0, 2.5), (30.0, 40.0), (2.5, 4.0)])
    fractions = []
    options = PipelineOptions(subtitle_style="karaoke", server_previews=True)
    result = stages.get_stage("render").run(workdir, options, lambda f, m="": fractions.append(f))
    saved = json.loads((workdir / "renders.json").read_text())["renders"]
    assert [r["clip_index"] for r in saved] == [0, 1, 2] == [r.clip_index for r in result.renders]
    assert saved[0]["video_file"] == "renders/clip_0_preview.mp4" and (workdir / saved[2]["video_file"]).exists()
    assert saved[0]["srt_file"] == "renders/clip_0_preview.srt" and (workdir / saved[0]["poster_file"]).exists()
    assert saved[1]["video_file"] == "" and saved[1]["warning"].startswith("Render failed")
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert (workdir / "renders" / "clip_0_faces.json").exists()  # kept for the final render

    final = render.render_workdir_clip(workdir, 0, PipelineOptions(), preview=False)
    assert (final.video_file, final.width, final.height, final.preview) == (
        "renders/clip_0_final.mp4",
        1080,
        1920,
        False,
    )
    assert (workdir / final.vtt_file).read_text().startswith("WEBVTT")


def test_the_render_stage_fails_when_every_clip_fails(source, tmp_path):
    workdir = workdir_with(source, tmp_path, [(30.0, 40.0)])
    with pytest.raises(InputError, match="No clip could be rendered"):
        stages.get_stage("render").run(workdir, PipelineOptions(), lambda f, m="": None)
