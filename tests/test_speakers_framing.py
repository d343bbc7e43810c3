"""Speaker-aware framing on real footage (../shared/media): two-person panels composed from real
GRID clips, a real crowd, real close-ups and single faces; voice clusters on pyannote's sample."""

import wave
from pathlib import Path

import numpy as np
import pytest

from pipeline import browser_preview, layouts, render, speakers, voices
from pipeline.crop_plan import positions_per_frame
from pipeline.face_analysis import crop_path, probe_video
from tests import speaker_panels as panels
from tests.media_support import detect_faces, frame_at

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not panels.available(), reason=panels.MISSING)]
MEDIA = panels.MEDIA_DIR
Turn = panels.Turn


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("speakers")


@pytest.fixture(scope="module")
def conversation(folder):
    """Clear turns; the first speaker sits off-centre and smaller, not where a tracker starts."""
    turns = [Turn(0, 0.3, 2.3), Turn(1, 0.5, 2.9), Turn(0, 0.2, 2.5), Turn(1, 0.4, 2.8)]
    panel = panels.compose(
        folder / "conversation.mp4", ("brbk7n", "lwbsza"), turns, places=((10, 230), (560, 90)), scales=(1.3, 1.6)
    )
    return panel, crop_path(panel.path, 0, probe_video(panel.path).duration_s)


@pytest.fixture(scope="module")
def quick_exchange(folder):
    turns = [Turn(1, 0.5, 1.5), Turn(0, 0.6, 1.6), Turn(1, 1.3, 2.3), Turn(0, 1.5, 2.5), Turn(1, 0.6, 1.7)]
    panel = panels.compose(folder / "quick.mp4", ("sbia1a", "id2_vcd_swwp2s"), turns, places=((690, 40), (40, 190)))
    return panel, crop_path(panel.path, 0, probe_video(panel.path).duration_s)


@pytest.fixture(scope="module")
def interjection(folder):
    """The right person talks, the left says one word ("blue", ~0.4 s), the right goes on."""
    turns = [Turn(1, 0.6, 2.7), Turn(0, 0.85, 1.3), Turn(1, 0.5, 2.7)]
    panel = panels.compose(folder / "interjection.mp4", ("lbbc2a", "swiz3n"), turns, places=((620, 120), (20, 60)))
    return panel, crop_path(panel.path, 0, probe_video(panel.path).duration_s)


def test_the_speaker_is_framed_at_turns_and_held(conversation):
    panel, path = conversation
    figures = panels.score(path, panel)
    assert [s.layout for s in path.speakers.layouts] == ["speaker"]
    assert path.speakers.summary == "2 speakers, cuts on turns"
    assert figures["speaker_shown"] >= 0.9, figures
    assert figures["listener_only"] <= 0.05, figures
    cuts = [0.0, *path.switches, path.times[-1]]
    assert len(path.switches) == 3 and min(np.diff(cuts)) >= layouts.HOLD_S
    xs, _ = positions_per_frame(path, int(path.times[-1] * 25), 25)
    steps = np.abs(np.diff(xs))
    assert (steps[steps > 0] > 100).all(), "the crop panned instead of cutting"
    faces = {f.id: f for f in path.speakers.faces}
    assert all(faces[t.face].speaking_s > 1.5 for t in path.speakers.turns if t.face >= 0)


def test_the_rendered_frames_show_the_speaker(conversation, folder):
    panel, path = conversation
    out = folder / "conversation_preview.mp4"
    render.render_clip(panel.path, 0, path.times[-1], out, crop=path)
    for start, end, who in panel.speech:
        t = (start + end) / 2
        picture, source = frame_at(out, t), frame_at(panel.path, t)
        errors = []
        for person in (0, 1):  # the output against a 9:16 crop centred on each person
            x = int(np.clip(panel.face_centres[person] - path.width / 2, 0, path.source_width - path.width))
            import cv2

            expected = cv2.resize(source[:, x : x + path.width], (picture.shape[1], picture.shape[0]))
            errors.append(float(np.abs(picture.astype(int) - expected.astype(int)).mean()))
        assert errors[who] < errors[1 - who], f"at {t:.1f} s the output looks like the listener {errors}"
        assert detect_faces(picture), f"no face in the output at {t:.1f} s"


def test_quick_exchanges_are_split_into_two_halves(quick_exchange, folder):
    panel, path = quick_exchange
    assert [s.layout for s in path.speakers.layouts] == ["split"]
    assert panels.score(path, panel)["listener_only"] == 0
    segment = path.speakers.layouts[0].segments[0]
    assert segment.top.width * 8 == pytest.approx(segment.top.height * 9, abs=16)  # a 9:8 half
    out = folder / "quick_preview.mp4"
    render.render_clip(panel.path, 0, path.times[-1], out, crop=path)
    picture = frame_at(out, 2.0)
    assert picture.shape == (960, 540, 3)
    for half in (picture[:480], picture[480:]):
        assert len(detect_faces(np.ascontiguousarray(half))) == 1, "each half shows one face"


@pytest.fixture(scope="module")
def talking_at_once(folder):
    """Real overlapping speech: in three of five turns both people say their own sentence at once."""
    both = panels.BOTH
    turns = [Turn(0, 0.4, 2.8), Turn(both, 0.5, 2.9), Turn(1, 0.4, 2.8), Turn(both, 0.3, 2.7), Turn(both, 0.6, 2.9)]
    panel = panels.compose(folder / "overlap.mp4", ("lwbsza", "sbia1a"), turns, places=((80, 150), (700, 60)))
    return panel, crop_path(panel.path, 0, probe_video(panel.path).duration_s)


def test_people_talking_at_once_are_split(talking_at_once):
    panel, path = talking_at_once
    assert [s.layout for s in path.speakers.layouts] == ["split"]
    assert path.speakers.layouts[0].reason == layouts.REASONS["overlap"]
    assert panels.score(path, panel)["speaker_shown"] == 1.0


def test_a_one_word_interjection_never_cuts(interjection):
    panel, path = interjection
    assert [s.layout for s in path.speakers.layouts] == ["speaker"]
    assert path.switches == [], "the crop flickered to the interjection"
    talker = next(f.id for f in path.speakers.faces if abs(f.box.x + f.box.width / 2 - panel.face_centres[1]) < 150)
    assert path.speakers.layouts[0].segments[0].faces == [talker]


def test_a_reviewer_override_is_planned_without_the_video(conversation):
    panel, path = conversation
    split = speakers.replan(path, aspect="9:16", choice="split")
    assert [s.layout for s in split.speakers.layouts] == ["split"] and split.speakers.choice == "split"
    assert split.speakers.layouts[0].reason == "reviewer's choice: split"
    listener = path.speakers.faces[0].id
    followed = speakers.replan(path, aspect="9:16", follow=listener)
    assert followed.switches == [] and followed.speakers.follow_face == listener
    centre = path.speakers.faces[0].box.x + path.speakers.faces[0].box.width / 2
    assert all(x <= centre <= x + path.width for x in followed.xs)
    back = speakers.replan(followed, aspect="9:16")
    assert back.xs == path.xs and back.switches == path.switches


def test_a_crowd_is_fitted_over_a_blurred_copy(folder):
    source = MEDIA / "crowd" / "station.mp4"
    path = crop_path(source, 0, 3.0)
    assert [s.layout for s in path.speakers.layouts] == ["fit"] and "wide shot" in path.speakers.summary
    out = folder / "crowd.mp4"
    render.render_clip(source, 0, 3.0, out, crop=path)
    picture = frame_at(out, 1.0).astype(float)
    band, middle = picture[:300], picture[400:560]  # 16:9 picture scaled to 540 wide is 304 high, centred
    assert np.abs(np.diff(band, axis=1)).mean() < 0.5 * np.abs(np.diff(middle, axis=1)).mean(), "not blurred"
    assert band.mean() < middle.mean() + 10


def test_a_close_up_wider_than_the_crop_is_fitted():
    path = crop_path(MEDIA / "hdtf" / "WDA_AlexandriaOcasioCortez_000.mp4", 0, 4.0)
    assert [s.layout for s in path.speakers.layouts] == ["fit"]
    assert path.speakers.summary == "close-up wider than the crop: fit"


def test_a_single_face_renders_exactly_as_before(folder):
    source = MEDIA / "liveportrait" / "d0.mp4"
    today = crop_path(source, 0, 3.0, speaker_aware=False)
    now = crop_path(source, 0, 3.0)
    assert now.speakers.summary == "1 face: follows it" and now.speakers.analysis_cpu_s == 0.0
    assert (now.xs, now.ys, now.switches) == (today.xs, today.ys, [])
    outputs = []
    for name, path in (("before", today), ("now", now)):
        out = folder / f"single_{name}.mp4"
        render.render_clip(source, 0, 3.0, out, crop=path)
        outputs.append([frame_at(out, t) for t in (0.2, 1.5, 2.8)])
    assert all((a == b).all() for a, b in zip(*outputs))


def test_voice_clusters_follow_the_real_speakers_of_pyannotes_sample():
    import pyannote.audio

    folder = Path(pyannote.audio.__file__).parent / "sample"
    if not (folder / "sample.wav").exists():
        pytest.skip("pyannote-audio's sample.wav is not installed")
    with wave.open(str(folder / "sample.wav")) as wav:
        audio = np.frombuffer(wav.readframes(wav.getnframes()), np.int16).astype(np.float32) / 32768
    reference = []
    for line in (folder / "sample.rttm").read_text().splitlines():
        fields = line.split()
        reference.append((float(fields[3]), float(fields[3]) + float(fields[4]), fields[7]))
    turns = [t for t in voices.speech_turns(audio) if t[1] - t[0] >= voices.MIN_TURN_S]
    embeddings = voices.embed_many([audio[int(a * 16000) : int(b * 16000)] for a, b in turns])
    # one batch for all turns is the same as one call per turn (resemblyzer's embed_utterance)
    for i in (0, len(turns) // 2, len(turns) - 1):
        a, b = turns[i]
        np.testing.assert_allclose(embeddings[i], voices.embed(audio[int(a * 16000) : int(b * 16000)]), atol=1e-5)
    labels = voices.cluster(embeddings, 2)
    names = sorted({r[2] for r in reference})
    overlap = np.zeros((2, 2))
    for (a, b), label in zip(turns, labels):
        for start, end, name in reference:
            overlap[label, names.index(name)] += max(0.0, min(b, end) - max(a, start))
    agreement = max(overlap[0, 0] + overlap[1, 1], overlap[0, 1] + overlap[1, 0]) / overlap.sum()
    assert len(set(labels)) == 2 and agreement >= 0.75, f"{agreement:.2f} of speech in the right cluster"
    same = embeddings[np.array(labels) == labels[0]]
    assert (same @ embeddings[0]).mean() > 0.6  # unit vectors, not noise


def test_mel_frames_put_a_tone_in_its_band_at_resemblyzers_frame_rate():
    t = np.arange(16000) / 16000
    frames = voices.mel_frames(0.5 * np.sin(2 * np.pi * 1000 * t))
    assert frames.shape == (1 + 16000 // 160, 40)  # centred 25 ms frames every 10 ms, as librosa
    filters = voices._mel_filters()
    bin_hz = 16000 / 400
    band = int(frames[50].argmax())
    assert abs(filters[band].argmax() * bin_hz - 1000) <= 2 * bin_hz
    assert frames[50, band] > 100 * np.median(frames[50])


def test_the_workdir_render_keeps_the_analysis_and_honours_an_override(conversation, tmp_path):
    import shutil

    from pipeline.schemas import ClipProposal, ClipsResult, MediaInfo, PipelineOptions
    from pipeline.stages import write_model

    panel, _ = conversation
    shutil.copy(panel.path, tmp_path / "media.mp4")
    duration = probe_video(panel.path).duration_s
    write_model(
        tmp_path / "media.json", MediaInfo(media_file="media.mp4", duration=duration, width=1280, height=720, fps=25)
    )
    write_model(
        tmp_path / "clips.json",
        ClipsResult(topics=[], clips=[ClipProposal(start=0, end=duration, text="x", score=0.5)]),
    )
    options = PipelineOptions(subtitle_style="none")
    render.prepare_preview(tmp_path, 0, options)  # the render stage's work for the clip
    samples = browser_preview.load_samples(tmp_path, 0)
    assert samples.lips_measured and len(samples.mouths) > 50, "the lips needed a decode of their own"
    stored = render.cached_crop(tmp_path, 0)
    assert stored.speakers.summary == "2 speakers, cuts on turns" and stored.switches
    assert all((tmp_path / f.thumbnail).stat().st_size > 500 for f in stored.speakers.faces)
    render.prepare_preview(tmp_path, 0, options, layout="split")  # the reviewer's override
    assert render.cached_crop(tmp_path, 0).speakers.choice == "split"
    final = render.render_workdir_clip(tmp_path, 0, options, preview=False, words=[], layout="split")
    picture = frame_at(tmp_path / final.video_file, 2.0)
    for half in (picture[:960], picture[960:]):
        assert len(detect_faces(np.ascontiguousarray(half))) == 1, "the final ignored the split override"
