"""Denial of service: clicks that queue unbounded work, and ffmpeg pipes that deadlock."""

import os
import stat
import sys
import threading
from pathlib import Path

import pytest
from django.urls import reverse

from clips.models import ClipJob
from pipeline import face_analysis, ingest
from pipeline.errors import InputError
from pipeline.probe import VideoInfo

from .ui_support import make_processed_video

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def clip(editor, media_root):
    return make_processed_video(editor, media_root, clips=1).clips.get()


def test_regenerate_clicks_are_capped_per_clip_and_hour(
    client, editor, clip, settings, django_capture_on_commit_callbacks
):
    settings.CLIP_WORK_PER_HOUR = {**settings.CLIP_WORK_PER_HOUR, "regenerate": 3}
    client.force_login(editor)
    url = reverse("copy_regenerate", args=[clip.pk])
    with django_capture_on_commit_callbacks(execute=False) as queued:
        pages = [client.post(url, **HTMX).content.decode() for _ in range(6)]
    assert all("requests in the last hour" not in page for page in pages[:3])
    assert all("3 regenerate requests in the last hour" in page for page in pages[3:])
    assert len(queued) <= 1  # and of the three allowed, one job at a time
    assert ClipJob.objects.filter(clip=clip, kind=ClipJob.Kind.COPY).count() == 1


def test_re_renders_from_new_bounds_are_capped_per_clip_and_hour(
    client, editor, clip, settings, django_capture_on_commit_callbacks
):
    settings.CLIP_WORK_PER_HOUR = {**settings.CLIP_WORK_PER_HOUR, "re-render": 2}
    client.force_login(editor)
    url = reverse("clip_bounds", args=[clip.pk])
    with django_capture_on_commit_callbacks(execute=False):
        pages = [client.post(url, {"start_s": 0.5 + i * 0.5, "end_s": 4.4}, **HTMX).content.decode() for i in range(4)]
    assert "Bounds snapped" in pages[0] and "Bounds snapped" in pages[1]
    assert all("2 re-render requests in the last hour" in page for page in pages[2:])


FAKE_FFMPEG = """#!{python}
import sys
# A real ffmpeg warns once per damaged frame; a long file fills any pipe nobody reads.
for _ in range(20000):
    sys.stderr.write("[h264 @ 0x55] error while decoding MB 12 34, bytestream -5\\n")
sys.stderr.flush()
args = sys.argv[1:]
if "pipe:1" in args and "rawvideo" in args:
    vf = args[args.index("-vf") + 1]
    width, height = vf.split("scale=")[1].split(":")[:2]
    frame = bytes(int(width) * int(height) * 3)
    for _ in range(3):
        sys.stdout.buffer.write(frame)
    sys.exit(0)
print("out_time_us=1000000", flush=True)
sys.exit(1)
"""


@pytest.fixture
def noisy_ffmpeg(tmp_path, monkeypatch):
    """An ffmpeg stand-in that writes 1.2 MB to stderr before any output: the pipe is 64 KB."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "ffmpeg"
    fake.write_text(FAKE_FFMPEG.format(python=sys.executable))
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return fake


def finishes(target, timeout_s=30.0):
    outcome = {}

    def run():
        try:
            outcome["value"] = target()
        except BaseException as exc:  # noqa: BLE001 - reported below
            outcome["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout_s)
    assert not thread.is_alive(), "deadlocked on a full stderr pipe"
    return outcome


def test_audio_extraction_survives_a_flood_of_ffmpeg_warnings(noisy_ffmpeg, tmp_path):
    media = tmp_path / "talk.mp4"
    media.write_bytes(b"\x00")
    outcome = finishes(lambda: ingest.extract_audio(media, tmp_path / "audio.wav", duration_s=5))
    assert isinstance(outcome.get("error"), InputError)  # the fake exits 1: refused, not hung


def test_face_analysis_survives_a_flood_of_ffmpeg_warnings(noisy_ffmpeg, tmp_path):
    media = tmp_path / "talk.mp4"
    media.write_bytes(b"\x00")
    video = VideoInfo(width=64, height=48, fps=10.0, duration_s=2.0, has_audio=True)
    outcome = finishes(lambda: face_analysis._analyse(Path(media), video, 0.0, 1.0, 3, None))
    assert "error" not in outcome, outcome.get("error")
    assert len(outcome["value"].times) >= 1
