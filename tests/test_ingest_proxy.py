"""Ingest writes a browser-playable proxy only for files browsers do not play (real ffmpeg)."""

import subprocess
from pathlib import Path

import pytest

from pipeline import ingest, proxy, schemas
from tests.media_support import probe


def make_video(
    path: Path, *, size: str, vcodec: list[str], acodec: list[str], seconds: float = 6, fps: int = 25
) -> Path:
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-y",
         "-f", "lavfi", "-i", f"testsrc=s={size}:r={fps}:d={seconds}",
         "-f", "lavfi", "-i", f"sine=f=300:r=48000:d={seconds}",
         *vcodec, *acodec, "-shortest", str(path)],
        check=True, capture_output=True,
    )  # fmt: skip
    return path


H264 = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
VP9 = ["-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "300k"]
AAC, OPUS = ["-c:a", "aac"], ["-c:a", "libopus"]


def ingest_file(path: Path, workdir: Path) -> schemas.MediaInfo:
    return ingest.run(workdir, schemas.PipelineOptions(source=str(path)), lambda fraction, message="": None)


def streams(path: Path) -> tuple[dict, dict, float]:
    info = probe(path)
    video = next(s for s in info["streams"] if s["codec_type"] == "video")
    audio = next(s for s in info["streams"] if s["codec_type"] == "audio")
    return video, audio, float(info["format"]["duration"])


def video_packets_md5(path: Path) -> str:
    return subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(path), "-map", "0:v:0", "-c", "copy", "-bsf:v", "h264_mp4toannexb",
         "-f", "md5", "-"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip


def test_an_h264_aac_mp4_up_to_1080p_plays_as_it_is(tmp_path):
    source = make_video(tmp_path / "talk.mp4", size="1280x720", vcodec=H264, acodec=AAC)
    info = ingest_file(source, tmp_path / "work")
    assert info.proxy_file == ""
    assert not (tmp_path / "work" / proxy.PROXY_FILE).exists()


def test_a_webm_from_a_link_gets_a_small_h264_proxy(tmp_path):
    source = make_video(tmp_path / "talk.webm", size="854x480", vcodec=VP9, acodec=OPUS)
    info = ingest_file(source, tmp_path / "work")
    assert (info.media_file, info.proxy_file) == ("source.webm", "proxy.mp4")  # the original is kept for finals
    video, audio, duration_s = streams(tmp_path / "work" / info.proxy_file)
    assert (video["codec_name"], video["pix_fmt"], int(video["width"])) == ("h264", "yuv420p", proxy.PROXY_WIDTH)
    assert int(video["height"]) == 360  # the picture's shape is kept, so crop fractions still fit
    assert audio["codec_name"] == "aac"
    assert duration_s == pytest.approx(info.duration, abs=0.1)


def test_a_4k_h264_mp4_is_shrunk_for_the_browser(tmp_path):
    source = make_video(tmp_path / "talk.mp4", size="2560x1440", vcodec=H264, acodec=AAC, fps=5)
    info = ingest_file(source, tmp_path / "work")
    assert info.proxy_file == "proxy.mp4" and (info.width, info.height) == (2560, 1440)
    video, _, _ = streams(tmp_path / "work" / info.proxy_file)
    assert (int(video["width"]), int(video["height"])) == (640, 360)


def test_h264_in_another_container_is_copied_not_encoded_again(tmp_path):
    source = make_video(tmp_path / "talk.mkv", size="640x360", vcodec=H264, acodec=OPUS)
    info = ingest_file(source, tmp_path / "work")
    video, audio, _ = streams(tmp_path / "work" / info.proxy_file)
    assert (video["codec_name"], int(video["width"]), audio["codec_name"]) == ("h264", 640, "aac")
    # the very same compressed frames: the video stream was copied, only the sound re-encoded
    assert video_packets_md5(tmp_path / "work" / info.proxy_file) == video_packets_md5(source)


def test_a_rerun_with_a_playable_file_drops_the_old_proxy(tmp_path):
    workdir = tmp_path / "work"
    ingest_file(make_video(tmp_path / "talk.webm", size="320x240", vcodec=VP9, acodec=OPUS), workdir)
    assert (workdir / proxy.PROXY_FILE).exists()
    info = ingest_file(make_video(tmp_path / "talk.mp4", size="320x240", vcodec=H264, acodec=AAC), workdir)
    assert info.proxy_file == "" and not (workdir / proxy.PROXY_FILE).exists()
