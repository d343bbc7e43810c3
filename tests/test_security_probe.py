"""Files that make ffmpeg read other files: an HLS playlist or a concat list disguised as .mp4
is refused by ffprobe and by every later ffmpeg call of an ingested file."""

import subprocess

import pytest

from pipeline import ingest, schemas
from pipeline.errors import InputError
from pipeline.probe import input_args, probe
from tests.ingest_support import lavfi_video


@pytest.fixture(scope="module")
def secret_video(tmp_path_factory):
    # Stands for any local file the server can read (another user's upload, a config file).
    return lavfi_video(tmp_path_factory.mktemp("secret") / "other-users-talk.mp4", seconds=6)


def disguised(tmp_path, secret_video):
    hls = tmp_path / "talk.mp4"
    hls.write_text(f"#EXTM3U\n#EXT-X-TARGETDURATION:6\n#EXTINF:6.0,\nfile:{secret_video}\n#EXT-X-ENDLIST\n")
    concat = tmp_path / "concat.mp4"
    concat.write_text(f"ffconcat version 1.0\nfile '{secret_video}'\n")
    return hls, concat


def test_a_playlist_named_mp4_is_refused_by_the_probe(tmp_path, secret_video):
    for path in disguised(tmp_path, secret_video):
        with pytest.raises(InputError, match="playlist or list of files, not a video"):
            probe(path)


def test_the_ingest_stage_refuses_a_playlist_upload(tmp_path, secret_video):
    hls, _ = disguised(tmp_path, secret_video)
    options = schemas.PipelineOptions(source=str(hls))
    with pytest.raises(InputError, match="playlist"):
        ingest.run(tmp_path / "work", options, lambda f, m="": None)
    assert not (tmp_path / "work" / "audio.wav").exists()


def test_ffmpeg_calls_of_an_ingested_file_refuse_playlists_too(tmp_path, secret_video):
    """Later stages read the ingested file again: the same input options must hold there."""
    hls, _ = disguised(tmp_path, secret_video)
    cmd = ["ffmpeg", "-nostdin", "-v", "error", *input_args(hls), "-t", "1", "-f", "null", "-"]
    result = subprocess.run(cmd, capture_output=True, text=True)
    assert result.returncode != 0 and "not on whitelist" in result.stderr
    with pytest.raises(InputError):
        ingest.extract_audio(hls, tmp_path / "audio.wav")


def test_ordinary_containers_still_probe(tmp_path):
    for ext in ("mp4", "mkv", "webm", "mov", "avi", "ts"):
        extra = ["-c:v", "libvpx", "-c:a", "libopus"] if ext == "webm" else []
        path = lavfi_video(tmp_path / f"talk.{ext}", seconds=6, extra=extra) if ext != "webm" else None
        if path is None:
            path = tmp_path / "talk.webm"
            subprocess.run(
                ["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=s=160x90:r=10:d=6",
                 "-f", "lavfi", "-i", "sine=d=6", "-c:v", "libvpx", "-c:a", "libopus", str(path)],
                check=True,
            )  # fmt: skip
        assert probe(path).duration == pytest.approx(6, abs=0.5), ext


def test_no_ffmpeg_call_in_the_pipeline_opens_an_input_without_the_whitelist():
    """Every `-i` goes through probe.input_args; sample.py only reads what it generated itself."""
    import re
    from pathlib import Path

    pipeline_dir = Path(__file__).resolve().parent.parent / "pipeline"
    offenders = []
    for module in pipeline_dir.rglob("*.py"):
        if module.name in ("probe.py", "sample.py"):
            continue
        for number, line in enumerate(module.read_text().splitlines(), 1):
            if re.search(r"""["']-i["']""", line):
                offenders.append(f"{module.relative_to(pipeline_dir)}:{number}")
    assert offenders == []
