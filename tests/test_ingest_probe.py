"""Ingest of local files: what is accepted, what is refused and with which message."""

import json
import shutil
import subprocess
import wave
from pathlib import Path

import pytest

from pipeline import ingest, schemas, stages
from pipeline.errors import InputError
from pipeline.probe import probe
from tests.ingest_support import lavfi_video, run


def ingest_file(path: Path, workdir: Path, **options) -> schemas.MediaInfo:
    events = []
    info = stages.get_stage("ingest").run(
        workdir, schemas.PipelineOptions(source=str(path), **options), lambda f, m="": events.append(f)
    )
    assert events and all(0.0 <= f <= 1.0 for f in events)
    return info


@pytest.fixture(scope="module")
def good_video(tmp_path_factory) -> Path:
    return lavfi_video(tmp_path_factory.mktemp("media") / "talk.mp4", seconds=8, extra=["-movflags", "+faststart"])


def test_it_ingests_a_video_and_extracts_16k_mono_audio(good_video, tmp_path):
    info = ingest_file(good_video, tmp_path / "work")
    assert info.media_file == "source.mp4"
    assert info.title == "talk"
    assert (info.width, info.height, info.fps) == (160, 90, 10.0)
    assert info.duration == pytest.approx(8.0, abs=0.1)
    assert (info.video_codec, info.audio_codec) == ("h264", "aac")
    with wave.open(str(tmp_path / "work" / "audio.wav")) as wav:
        assert (wav.getnchannels(), wav.getframerate(), wav.getsampwidth()) == (1, 16000, 2)
        assert wav.getnframes() / 16000 == pytest.approx(8.0, abs=0.1)
    saved = stages.get_stage("ingest").load_output(tmp_path / "work")
    assert saved == info


@pytest.mark.parametrize("name", ['it\'s my "best" talk 🎤 (final).mp4', "-v:1 [draft] $HOME.MP4"])
def test_it_accepts_names_with_spaces_quotes_and_emoji(good_video, tmp_path, name):
    odd = tmp_path / name
    shutil.copy(good_video, odd)
    info = ingest_file(odd, tmp_path / "work")
    assert info.title == odd.stem
    assert info.media_file == "source.mp4"
    assert (tmp_path / "work" / info.media_file).is_file()


def test_a_file_already_in_the_workdir_is_used_in_place(good_video, tmp_path):
    upload = tmp_path / "work" / "uploads" / "My clip.mp4"
    upload.parent.mkdir(parents=True)
    shutil.copy(good_video, upload)
    info = ingest_file(upload, tmp_path / "work")
    assert info.media_file == "uploads/My clip.mp4"
    assert not list((tmp_path / "work").glob("source.*"))


def test_rerunning_replaces_the_outputs_and_clears_a_killed_run(good_video, tmp_path):
    workdir = tmp_path / "work"
    webm = tmp_path / "talk.mkv"
    run(["ffmpeg", "-v", "error", "-i", str(good_video), "-c", "copy", str(webm)])
    ingest_file(webm, workdir)
    assert (workdir / "source.mkv").is_file()
    (workdir / ".fetch-x1").mkdir()  # what a killed run leaves behind
    (workdir / ".fetch-x1" / "media.mp4.part").write_bytes(b"partial")
    (workdir / ".source.mp4.part").write_bytes(b"partial")
    (workdir / ".audio.abc.wav").write_bytes(b"partial")
    info = ingest_file(good_video, workdir)
    assert sorted(p.name for p in workdir.iterdir()) == ["audio.wav", "media.json", "source.mp4"]
    assert json.loads((workdir / "media.json").read_text())["media_file"] == info.media_file


def refusal(path: Path, tmp_path: Path, **options) -> str:
    with pytest.raises(InputError) as caught:
        stages.get_stage("ingest").run(
            tmp_path / "work", schemas.PipelineOptions(source=str(path), **options), lambda f, m="": None
        )
    assert not (tmp_path / "work" / "media.json").exists()
    return str(caught.value)


def test_it_refuses_an_empty_file(tmp_path):
    empty = tmp_path / "empty.mp4"
    empty.touch()
    assert "empty (0 bytes)" in refusal(empty, tmp_path)


def test_it_refuses_a_missing_file(tmp_path):
    assert "File not found" in refusal(tmp_path / "nothing.mp4", tmp_path)


def test_it_refuses_text_named_mp4(tmp_path):
    text = tmp_path / "notes.mp4"
    text.write_text("These are my meeting notes, not a video.\n")
    assert "text file, not a video" in refusal(text, tmp_path)


def test_it_refuses_random_bytes_named_mp4(tmp_path):
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(bytes(range(256)) * 64)
    assert "not a video ffmpeg can read" in refusal(junk, tmp_path)


def test_it_refuses_a_truncated_mp4_with_its_index_at_the_end(good_video, tmp_path):
    cut = tmp_path / "cut.mp4"
    run(["ffmpeg", "-v", "error", "-i", str(good_video), "-c", "copy", str(cut)])  # moov after the data
    cut.write_bytes(cut.read_bytes()[:20000])
    assert "truncated or damaged" in refusal(cut, tmp_path)


def test_it_refuses_a_truncated_mp4_with_its_index_first(good_video, tmp_path):
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(good_video.read_bytes()[: good_video.stat().st_size // 4])
    message = refusal(cut, tmp_path)
    assert "truncated" in message and "should last 8.0 s" in message
    assert not list((tmp_path / "work").glob("source.*"))  # nothing left behind


def test_it_refuses_an_image(tmp_path):
    from skimage import data, io

    for name in ("photo.png", "photo.jpg"):
        io.imsave(tmp_path / name, data.astronaut())
        assert "still image" in refusal(tmp_path / name, tmp_path)


def test_it_refuses_audio_only(tmp_path):
    song = tmp_path / "voice.m4a"
    run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=d=6", "-c:a", "aac", str(song)])
    assert "sound but no picture" in refusal(song, tmp_path)


def test_it_refuses_video_without_audio(tmp_path):
    mute = lavfi_video(tmp_path / "mute.mp4", seconds=6, audio=None)
    assert "no sound track" in refusal(mute, tmp_path)


def test_it_accepts_a_silent_audio_track(tmp_path):
    quiet = lavfi_video(tmp_path / "quiet.mp4", seconds=6, audio="anullsrc=r=16000:cl=mono")
    assert ingest_file(quiet, tmp_path / "work").duration == pytest.approx(6.0, abs=0.1)


def test_it_refuses_a_one_second_video(tmp_path):
    short = lavfi_video(tmp_path / "short.mp4", seconds=1)
    assert "too short to make clips" in refusal(short, tmp_path)


def test_it_refuses_a_video_over_the_duration_limit(tmp_path):
    # One frame per hour: an 11-hour video in a few kilobytes.
    long = tmp_path / "long.mkv"
    run([
        "ffmpeg", "-v", "error", "-f", "lavfi", "-i", "color=s=16x16:r=1/3600:d=39600",
        "-f", "lavfi", "-i", "sine=r=8000:d=2", "-c:v", "mpeg4", "-c:a", "aac", str(long),
    ])  # fmt: skip
    assert "lasts 11 h 00 min; the limit is 10 h 00 min" in refusal(long, tmp_path)


def test_the_duration_limit_is_a_setting(good_video, tmp_path):
    assert "the limit is 5.0 s" in refusal(good_video, tmp_path, max_duration_s=5)


def test_it_refuses_a_codec_ffmpeg_cannot_decode(tmp_path):
    avi = tmp_path / "odd.avi"
    run([
        "ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=s=160x90:r=10:d=6", "-f", "lavfi",
        "-i", "sine=r=16000:d=6", "-c:v", "mpeg4", "-c:a", "pcm_s16le", str(avi),
    ])  # fmt: skip
    avi.write_bytes(avi.read_bytes().replace(b"FMP4", b"QQ9Z"))  # a FourCC no decoder knows
    assert "format ffmpeg cannot decode (codec tag QQ9Z)" in refusal(avi, tmp_path)


def test_it_refuses_a_file_over_the_upload_limit(good_video, tmp_path):
    message = refusal(good_video, tmp_path, max_upload_bytes=1000)
    assert "the limit is 1 kB" in message


def test_save_upload_streams_to_disk_and_stops_at_the_limit(tmp_path):
    uploads = tmp_path / "uploads"
    assert ingest.save_upload(iter([b"a" * 10, b"b" * 10]), uploads / "video.mp4", max_bytes=20) == 20
    assert (uploads / "video.mp4").read_bytes() == b"a" * 10 + b"b" * 10
    with pytest.raises(InputError, match="larger than the 15 bytes limit"):
        ingest.save_upload(iter([b"a" * 10, b"b" * 10]), uploads / "big.mp4", max_bytes=15)
    assert sorted(p.name for p in uploads.iterdir()) == ["video.mp4"]


def test_probe_cli_prints_media_info(good_video):
    out = subprocess.run(
        [".venv/bin/python", "-m", "pipeline", "probe", str(good_video)],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["width"] == 160


def test_probe_alone_names_the_file(good_video):
    info = probe(good_video, max_duration_s=60)
    assert info.media_file == "talk.mp4" and info.size_bytes == good_video.stat().st_size
