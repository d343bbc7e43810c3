"""The reframe/render/sample commands, cancellation, and the offline sample talk."""

import json

import numpy as np
import pytest

from pipeline import face_analysis
from pipeline.cli import build_parser
from pipeline.errors import Cancelled
from pipeline.render import render_clip
from pipeline.sample import DEFAULT_SCRIPTS, Shot, make_sample_talk
from pipeline.schemas import CropPath, Transcript, Word
from pipeline.stages import write_model
from tests.media_support import face_video, head, probe

pytestmark = pytest.mark.slow


def run_command(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    return args.handler(args)


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli")
    return face_video(folder / "talk.mp4", [Shot(2.0, faces=(head(100),)), Shot(2.0, "0x3b3f7a", (head(400),))])


def test_reframe_command_writes_the_crop_path(source, tmp_path):
    out = tmp_path / "crop.json"
    assert (
        run_command(
            ["reframe", str(source), "--start", "0.5", "--end", "3.5", "--strategy", "centered", "-o", str(out)]
        )
        == 0
    )
    path = CropPath.model_validate_json(out.read_text())
    assert (path.width, path.height) == (202, 360) and len(path.cuts) == 1
    assert len(path.times) == len(path.xs) == len(path.ys) == path.frames_analysed > 0


def test_render_command_with_transcript_and_karaoke(source, tmp_path, capsys):
    transcript = tmp_path / "transcript.json"
    words = [Word(text="Hi", start=0.6, end=0.9), Word(text="there.", start=0.9, end=1.4)]
    write_model(transcript, Transcript(language="en", duration=4.0, words=words))
    out = tmp_path / "clip.mp4"
    argv = ["render", str(source), "--start", "0.5", "--end", "2.5", "--aspect", "1:1", "--transcript", str(transcript)]
    assert run_command([*argv, "--subtitles", "karaoke", "--preview", "-o", str(out)]) == 0
    result = json.loads(capsys.readouterr().out)
    video = next(s for s in probe(out)["streams"] if s["codec_type"] == "video")
    assert (video["width"], video["height"]) == (540, 540)
    assert out.with_suffix(".srt").read_text().startswith("1\n00:00:00,100 --> ")
    assert result["video_file"] == "clip.mp4" and result["vtt_file"] == "clip.vtt"


def test_render_command_forces_a_layout_and_refuses_an_unknown_face(source, tmp_path):
    from pipeline.errors import InputError
    from tests.media_support import frame_at

    auto, fit = tmp_path / "auto.mp4", tmp_path / "fit.mp4"
    argv = ["render", str(source), "--start", "0.5", "--end", "1.5", "--subtitles", "none", "--preview"]
    assert run_command([*argv, "-o", str(auto)]) == 0
    assert run_command([*argv, "--layout", "fit", "-o", str(fit)]) == 0
    followed = frame_at(auto, 0.5).astype(float)  # a 9:16 crop on the face fills the frame
    fitted = frame_at(fit, 0.5).astype(float)  # the whole picture in the middle, a blurred band above
    band = fitted[:250]
    assert np.abs(np.diff(band, axis=1)).mean() < 0.5 * np.abs(np.diff(followed[:250], axis=1)).mean()
    with pytest.raises(InputError, match="No face 7"):
        run_command([*argv, "--follow-face", "7", "-o", str(tmp_path / "x.mp4")])
    with pytest.raises(SystemExit):  # argparse: not one of the layout choices
        run_command([*argv, "--layout", "<script>", "-o", str(tmp_path / "y.mp4")])


def test_cancelling_stops_ffmpeg_and_keeps_the_earlier_file(source, tmp_path):
    (tmp_path / "out").mkdir()
    out = tmp_path / "out" / "clip.mp4"
    out.write_bytes(b"earlier")
    messages = []

    def cancel_when_rendering(fraction, message=""):
        messages.append(message)
        if message == "Rendering":
            raise Cancelled()

    with pytest.raises(Cancelled):
        render_clip(source, 0, 4.0, out, preview=False, progress=cancel_when_rendering)
    assert messages[-1] == "Rendering"
    assert out.read_bytes() == b"earlier" and [p.name for p in out.parent.iterdir()] == ["clip.mp4"]


def test_the_sample_talk_is_a_talking_head_video_with_speech(tmp_path):
    out = make_sample_talk(tmp_path / "sample talk.mp4", width=320, height=180, text="Coffee first. Then space travel.")
    info = probe(out)
    kinds = {s["codec_type"]: s for s in info["streams"]}
    assert kinds["video"]["codec_name"] == "h264" and kinds["audio"]["codec_name"] == "aac"
    assert (kinds["video"]["width"], kinds["video"]["height"]) == (320, 180)
    assert 1.5 < float(info["format"]["duration"]) < 6.0
    path = face_analysis.crop_path(out, 0, float(info["format"]["duration"]) - 0.1)
    assert path.faces_seen > 0.8 * path.frames_analysed and len(path.cuts) >= 1


def test_the_default_script_is_a_few_minutes_on_several_topics():
    words = DEFAULT_SCRIPTS["en"].split()
    assert 330 <= len(words) <= 480  # about 2-3 minutes at espeak-ng's 160 words a minute
    assert DEFAULT_SCRIPTS["en"].count("\n\n") >= 3
