"""The whole pipeline through the app: the queue walks the stage records to reviewable clips."""

import json

import pytest

from clips import services
from clips.models import Clip, Copy, StageRun, Video

from .pipeline_support import short_talk, upload_video

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


@pytest.fixture(scope="module")
def talk(tmp_path_factory):
    return short_talk(tmp_path_factory.mktemp("talk"))


def test_a_video_goes_through_every_stage_to_reviewable_clips(admin_user, talk, media_root, run_queue):
    with run_queue():
        video = upload_video(admin_user, talk)
    video.refresh_from_db()
    runs = {run.stage: run for run in video.stage_runs.all()}
    assert {name: run.state for name, run in runs.items()} == dict.fromkeys(runs, "done"), [r.message for r in runs.values()]
    assert video.status == Video.Status.READY
    assert video.duration_s > 20 and video.detected_language == "en"
    assert len(video.transcript.words) > 50 and video.transcript.topics
    clips = list(video.clips.all())
    on_disk = json.loads((video.workdir / "clips.json").read_text())["clips"]
    assert len(clips) == len(on_disk) >= 1
    for clip in clips:
        assert clip.copy.text and not clip.copy.failure_reason
        assert (media_root / clip.preview).stat().st_size > 10_000
        assert (media_root / clip.poster).exists() and (media_root / clip.subtitles_vtt).exists()


def test_rerunning_stages_replaces_their_output_without_duplicates(admin_user, talk, run_queue):
    with run_queue():
        video = upload_video(admin_user, talk)
    clip_count, copy_count = video.clips.count(), Copy.objects.filter(clip__video=video).count()
    assert clip_count >= 1 and copy_count == clip_count
    for stage in ("clips", "copy"):
        run = video.stage_runs.get(stage=stage)
        StageRun.objects.filter(pk=run.pk).update(state=StageRun.State.FAILED)
        run.refresh_from_db()
        with run_queue():
            services.stage_retry(run=run)  # reruns this stage and every later one
    assert video.clips.count() == clip_count
    assert Copy.objects.filter(clip__video=video).count() == clip_count
    assert Clip.objects.filter(video=video).values("index").distinct().count() == clip_count


@pytest.mark.parametrize(
    "name, content, expected",
    [
        ("empty.mp4", b"", "empty"),
        ("notes.mp4", b"These are my meeting notes, not a video.\n" * 50, "not a video"),
    ],
)
def test_bad_uploads_fail_ingest_with_a_message(admin_user, tmp_path, name, content, expected, run_queue):
    path = tmp_path / name
    path.write_bytes(content)
    with run_queue():
        video = upload_video(admin_user, path)
    run = video.stage_runs.get(stage="ingest")
    assert run.state == "failed"
    assert expected in run.message.lower()
    assert "Internal error" not in run.message
    assert video.stage_runs.get(stage="transcribe").state == "pending"


def test_a_failed_stage_keeps_earlier_stages_and_retry_continues(admin_user, talk, settings, run_queue):
    settings.CLIPER = {**settings.CLIPER, "RENDER_MAX_BYTES": 2000}  # far too small for any render
    with run_queue():
        video = upload_video(admin_user, talk)
    render = video.stage_runs.get(stage="render")
    assert render.state == "failed" and "space" in render.message.lower()
    assert video.clips.count() >= 1 and all(c.copy.text for c in video.clips.all())
    settings.CLIPER = {**settings.CLIPER, "RENDER_MAX_BYTES": 0}
    with run_queue():
        services.stage_retry(run=render)
    video.refresh_from_db()
    assert video.status == Video.Status.READY
    assert all(c.preview for c in video.clips.all())
