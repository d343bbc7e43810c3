"""The queue and the stage records, on SQLite and PostgreSQL."""

from datetime import timedelta

import pytest
from django.utils import timezone
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


def test_stages_whose_lease_ran_out_are_requeued_by_any_worker(video, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        services.video_start(video=video)
    past, future = timezone.now() - timedelta(seconds=1), timezone.now() + timedelta(seconds=60)
    # The worker running ingest died somewhere (another machine: no pid to look at); transcribe's renews.
    StageRun.objects.filter(video=video, stage="ingest").update(state="running", lease_until=past, worker="gone:1")
    StageRun.objects.filter(video=video, stage="transcribe").update(state="running", lease_until=future, attempt=1)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert services.recover_expired() == 1
    ingest = video.stage_runs.get(stage="ingest")
    assert ingest.state == "queued" and ingest.attempt == 2 and ingest.tries == 1 and len(callbacks) == 1
    assert video.stage_runs.get(stage="transcribe").state == "running"
    services.stage_execute(video_id=video.pk, stage="ingest", attempt=1)  # the dead worker's copy
    assert video.stage_runs.get(stage="ingest").attempt == 2


def test_work_whose_worker_keeps_dying_fails_after_max_tries(video, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        services.video_start(video=video)
    past = timezone.now() - timedelta(seconds=1)
    rows = StageRun.objects.filter(video=video, stage="ingest")
    for tries in range(StageRun.MAX_TRIES + 1):
        assert rows.get().tries == tries
        rows.update(state="running", lease_until=past)
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            services.recover_expired()
        assert len(callbacks) == (1 if tries < StageRun.MAX_TRIES else 0)
    ingest = rows.get()
    assert ingest.state == "failed" and "stopped responding" in ingest.message
    video.refresh_from_db()
    assert video.status == Video.Status.FAILED
    with django_capture_on_commit_callbacks(execute=False):
        services.stage_retry(run=ingest)  # a person's retry starts counting again
    assert rows.get().tries == 0 and rows.get().state == "queued"


def test_a_queued_task_lost_with_its_worker_is_sent_again(video, django_capture_on_commit_callbacks, settings):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.video_start(video=video)
    assert len(callbacks) == 1  # ...and never delivered: the broker is empty
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.recover_expired()
    assert callbacks == []  # queued for less than a lease: it may simply be waiting
    StageRun.objects.filter(video=video, stage="ingest").update(queued_at=timezone.now() - timedelta(minutes=5))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.recover_expired()
        services.recover_expired()  # a second sweep right after waits another lease
    assert len(callbacks) == 1
    assert video.stage_runs.get(stage="ingest").attempt == 1  # the same task again, not a new attempt
