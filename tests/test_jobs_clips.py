"""Work on one clip (final render, re-rendered preview, fresh copy): one request wins, stale
renders are thrown away, dead workers' renders come back, temporary files never collide."""

import threading
from datetime import timedelta

import pytest
from django.db import close_old_connections
from django.utils import timezone

from clips import jobs, services
from clips.models import Clip, ClipJob
from pipeline import render
from pipeline.schemas import RenderResult

from .ui_support import make_processed_video

pytestmark = pytest.mark.postgres


@pytest.mark.django_db(transaction=True)
def test_two_quick_final_requests_queue_one_render(approver, media_root, monkeypatch):
    video = make_processed_video(approver, media_root, clips=1)
    clip = video.clips.get()
    sent, barrier, results = [], threading.Barrier(2), []
    monkeypatch.setattr(jobs, "async_task", lambda name, *args, **kw: sent.append((name, args)))

    def click():
        try:
            barrier.wait()  # both requests read the clip before either writes
            results.append(services.clip_request_final(clip=Clip.objects.get(pk=clip.pk), user=approver))
        finally:
            close_old_connections()

    threads = [threading.Thread(target=click) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    job = ClipJob.objects.get(clip=clip, kind="final")
    assert sum(result is not None for result in results) == 1
    assert job.state == "queued" and job.attempt == 1
    assert sent == [("clips.tasks.run_clip_job", (job.pk, 1))]


def test_approving_queues_the_final_once(approver, media_root, django_capture_on_commit_callbacks):
    video = make_processed_video(approver, media_root, clips=2)
    clip = video.clips.get(index=0)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.clip_review(clip=clip, user=approver, approve=True)
        services.clip_review(clip=clip, user=approver, approve=True)  # a second click
    assert len(callbacks) == 1 and clip.final_state == Clip.FinalState.QUEUED
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.clip_review(clip=video.clips.get(index=1), user=approver, approve=False)
    assert callbacks == [] and video.clips.get(index=1).final_state == Clip.FinalState.NONE
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert services.clips_request_finals(video=video, user=approver) == 0  # on its way already
    assert callbacks == []
    services.clip_review(clip=clip, user=approver, approve=False)  # changed their mind
    assert clip.job("final").state == "cancelled" and clip.final_state == Clip.FinalState.NONE


def test_a_final_whose_bounds_changed_while_rendering_is_thrown_away(
    approver, media_root, monkeypatch, django_capture_on_commit_callbacks
):
    video = make_processed_video(approver, media_root, clips=1)
    clip = video.clips.get()
    with django_capture_on_commit_callbacks(execute=False):
        job = services.clip_request_final(clip=clip, user=approver)
    written = []

    def render_while_a_reviewer_edits(workdir, clip_index, options, *, start_s, end_s, attempt, **kwargs):
        assert (start_s, end_s) == (clip.start_s, clip.end_s)  # the bounds it was asked for
        with django_capture_on_commit_callbacks(execute=False):
            services.clip_set_bounds(clip=Clip.objects.get(pk=clip.pk), start_s=start_s + 1, end_s=end_s)
        out = render.clip_render_path(workdir, clip_index, False, attempt)
        out.write_bytes(b"stale final")
        written.append(out)
        return RenderResult(
            clip_index=clip_index, video_file=out.relative_to(workdir).as_posix(), width=1, height=1, preview=False
        )

    monkeypatch.setattr(render, "render_workdir_clip", render_while_a_reviewer_edits)
    services.clip_job_execute(job_id=job.pk, attempt=job.attempt)
    clip.refresh_from_db()
    assert written and not written[0].exists()
    assert clip.final == "" and clip.final_state == Clip.FinalState.NONE
    assert ClipJob.objects.get(pk=job.pk).state == "cancelled"


def test_a_final_whose_worker_died_is_rendered_again(approver, media_root, django_capture_on_commit_callbacks):
    video = make_processed_video(approver, media_root, clips=1)
    clip = video.clips.get()
    with django_capture_on_commit_callbacks(execute=False):
        job = services.clip_request_final(clip=clip, user=approver)
    assert job.claim(1, worker="elsewhere:7", lease_s=60)
    assert clip.final_state == Clip.FinalState.RENDERING
    ClipJob.objects.filter(pk=job.pk).update(lease_until=timezone.now() - timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert services.recover_expired() == 1
    job.refresh_from_db()
    assert (job.state, job.attempt, job.tries) == ("queued", 2, 1) and len(callbacks) == 1
    assert clip.final_state == Clip.FinalState.QUEUED
    services.clip_job_execute(job_id=job.pk, attempt=1)  # the dead worker's task, redelivered
    assert ClipJob.objects.get(pk=job.pk).attempt == 2


@pytest.mark.slow
def test_two_renders_of_one_clip_at_once_use_their_own_temporary_files(tmp_path):
    from pipeline.sample import Shot
    from tests.media_support import face_video, head, probe

    source = face_video(tmp_path / "src.mp4", [Shot(2.0, "0x2f5d50", (head(0, 300),))], speech="Hello there.")
    out = tmp_path / "renders" / "clip_0_final.mp4"
    results, errors = [], []

    def one():
        try:
            results.append(render.render_clip(source, 0.0, 1.5, out, preview=True))
        except Exception as exc:  # noqa: BLE001 - the assertion reports it
            errors.append(exc)

    threads = [threading.Thread(target=one) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(results) == 2
    assert any(s["codec_type"] == "video" for s in probe(out)["streams"])
    assert sorted(p.name for p in out.parent.iterdir()) == ["clip_0_final.jpg", "clip_0_final.mp4"]
