"""The whole pipeline through the app: the queue walks the stage records to reviewable clips."""

import json
import subprocess

import pytest

from clips import previews, services
from clips.models import Copy, StageRun, Video

from .pipeline_support import short_talk, upload_video

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


@pytest.fixture(scope="module")
def talk(tmp_path_factory):
    return short_talk(tmp_path_factory.mktemp("talk"))


def test_a_video_goes_through_every_stage_to_reviewable_clips(admin_user, talk, media_root, run_queue, settings):
    with run_queue():
        video = upload_video(admin_user, talk)
    video.refresh_from_db()
    runs = {run.stage: run for run in video.stage_runs.all()}
    assert {name: run.state for name, run in runs.items()} == dict.fromkeys(runs, "done"), [
        r.message for r in runs.values()
    ]
    assert video.status == Video.Status.READY
    assert video.duration_s > 20 and video.detected_language == "en"
    assert len(video.transcript.words) > 50 and video.transcript.topics
    clips = list(video.clips.all())
    on_disk = json.loads((video.workdir / "clips.json").read_text())["clips"]
    assert len(clips) == len(on_disk) >= 1
    for clip in clips:
        assert clip.copy.text and not clip.copy.failure_reason
        # reviewable in the browser: a crop path for the clip's bounds and a poster, no encode
        preview = previews.card_preview(clip)
        assert preview and preview["crop"]["times"] and preview["cues"] and preview["media"].endswith("source.mp4")
        assert (media_root / clip.poster).stat().st_size > 1000 and not clip.preview

    # Review actions that go back to the worker: final render, new bounds, fresh copy.
    clip = clips[0]
    with run_queue():
        services.clip_request_final(clip=clip)
    clip.refresh_from_db()
    assert clip.final_state == "done" and clip.final_progress == 1.0, clip.render_warning
    assert probe_size(media_root / clip.final) == (1080, 1920)
    with run_queue() as tasks:
        services.clip_set_bounds(clip=clip, start_s=clip.start_s + 1.3, end_s=clip.end_s - 0.7)
    clip.refresh_from_db()
    words = video.transcript.words
    assert clip.start_s in {w["start"] for w in words} and clip.end_s in {w["end"] for w in words}
    # planned again from the stored face samples at once: no task went to the worker
    assert clip.final_state == "" and previews.card_preview(clip)["start"] == clip.start_s
    assert not tasks
    version = clip.copy.version
    with run_queue():
        services.copy_regenerate(clip=clip)
    clip.copy.refresh_from_db()
    assert clip.copy.version == version + 1 and clip.copy.text
    clips = list(video.clips.all())

    # With server-rendered previews, a full disk during a render fails that stage with a
    # message; earlier outputs stay intact.
    plan_file = {clip.pk: video.workdir / "renders" / f"clip_{clip.index}_preview.json" for clip in clips}
    previews_before = {clip.pk: plan_file[clip.pk].read_bytes() for clip in clips}
    settings.CLIPER = {**settings.CLIPER, "RENDER_MAX_BYTES": 2000, "SERVER_PREVIEWS": True}
    render = video.stage_runs.get(stage="render")
    StageRun.objects.filter(pk=render.pk).update(state=StageRun.State.FAILED)
    render.refresh_from_db()
    with run_queue():
        services.stage_retry(run=render)
    render.refresh_from_db()
    assert render.state == "failed" and "space" in render.message.lower(), render.message
    for clip in video.clips.all():
        assert clip.copy.text and plan_file[clip.pk].read_bytes() == previews_before[clip.pk]

    # Retrying after the fix, and rerunning earlier stages, replaces output without duplicates.
    settings.CLIPER = {**settings.CLIPER, "RENDER_MAX_BYTES": 0, "SERVER_PREVIEWS": False}
    clips_run = video.stage_runs.get(stage="clips")
    StageRun.objects.filter(pk=clips_run.pk).update(state=StageRun.State.FAILED)
    clips_run.refresh_from_db()
    with run_queue():
        services.stage_retry(run=clips_run)  # reruns clips and every later stage
    video.refresh_from_db()
    assert video.status == Video.Status.READY
    assert video.clips.count() == len(clips)
    assert Copy.objects.filter(clip__video=video).count() == len(clips)
    assert all(previews.card_preview(clip) for clip in video.clips.all())


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


def probe_size(path):
    out = subprocess.run(
        [
            "ffprobe",
            "-v",
            "error",
            "-select_streams",
            "v:0",
            "-show_entries",
            "stream=width,height",
            "-of",
            "csv=p=0",
            str(path),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    width, height = out.strip().split(",")
    return int(width), int(height)
