"""The queue and the stage records, on SQLite and PostgreSQL."""

import os
import socket

import pytest
from django_q.models import Success
from django_q.tasks import async_task

from clips import services
from clips.models import StageRun, Video

from .conftest import wait_for

pytestmark = pytest.mark.postgres


def test_a_real_qcluster_runs_a_task_from_the_orm_broker(worker):
    w = worker()
    task_id = async_task("clips.tasks.ping", 42)
    result = wait_for(lambda: Success.objects.filter(id=task_id).first(), timeout_s=60, what=f"task; log:\n{w.log()}")
    assert result.result == {"pong": 42}


@pytest.fixture
def video(admin_user):
    return services.video_create(owner=admin_user, source=Video.Source.URL, url="http://127.0.0.1:9/none", start=False)


def test_starting_a_video_queues_its_first_stage_and_waits_the_rest(video, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.video_start(video=video)
    states = {run.stage: run.state for run in video.stage_runs.all()}
    assert states == {
        "ingest": "queued",
        "transcribe": "pending",
        "clips": "pending",
        "copy": "pending",
        "render": "pending",
    }
    assert len(callbacks) == 1
    video.refresh_from_db()
    assert video.status == Video.Status.PROCESSING


def test_a_stale_task_does_nothing(video, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        services.video_start(video=video)
        run = video.stage_runs.get(stage="ingest")
        services.stage_enqueue(run=run)  # attempt 2 supersedes attempt 1
    services.stage_execute(video_id=video.pk, stage="ingest", attempt=1)
    run.refresh_from_db()
    assert run.state == "queued" and run.attempt == 2 and run.started_at is None


def test_a_user_error_fails_the_stage_with_its_message(video, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        services.video_start(video=video)
    services.stage_execute(video_id=video.pk, stage="ingest", attempt=1)
    run = video.stage_runs.get(stage="ingest")
    assert run.state == "failed"
    assert run.message and "Internal error" not in run.message
    video.refresh_from_db()
    assert video.status == Video.Status.FAILED
    assert video.stage_runs.get(stage="transcribe").state == "pending"


def test_cancel_stops_active_stages(video, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        services.video_start(video=video)
    services.video_cancel(video=video)
    assert video.stage_runs.get(stage="ingest").state == "cancelled"
    services.stage_execute(video_id=video.pk, stage="ingest", attempt=1)
    assert video.stage_runs.get(stage="ingest").state == "cancelled"  # the queued task became a no-op
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.stage_retry(run=video.stage_runs.get(stage="ingest"))
    assert video.stage_runs.get(stage="ingest").state == "queued" and len(callbacks) == 1


def test_stages_left_running_by_a_dead_worker_are_requeued(video, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        services.video_start(video=video)
    dead_pid = os.fork()
    if dead_pid == 0:
        os._exit(0)
    os.waitpid(dead_pid, 0)
    StageRun.objects.filter(video=video, stage="ingest").update(
        state="running", worker=f"{socket.gethostname()}:{dead_pid}"
    )
    StageRun.objects.filter(video=video, stage="transcribe").update(
        state="running", worker=f"{socket.gethostname()}:{os.getpid()}"
    )
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert services.recover_stalled_stages() == 1
    ingest = video.stage_runs.get(stage="ingest")
    assert ingest.state == "queued" and ingest.attempt == 2 and len(callbacks) == 1
