"""Videos and their stage runs: creating a video, walking it through the pipeline one stage
record at a time, and requeueing stages whose worker died."""

import logging
import os
import socket
import time

from django.db import transaction
from django.utils import timezone
from django_q.tasks import async_task

from pipeline import stages
from pipeline.errors import Cancelled, InputError

from .. import stage_results
from ..models import StageRun, Video
from ..options import pipeline_options

logger = logging.getLogger(__name__)
PROGRESS_WRITE_INTERVAL_S = 1.0


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@transaction.atomic
def video_create(*, owner, source: str, upload=None, url: str = "", start: bool = True, **options) -> Video:
    """A new video from an uploaded file or a URL; starts the pipeline unless start=False."""
    video = Video(owner=owner, source=source, source_url=url, **options)
    if video.clip_preset in Video.PRESET_BOUNDS_S:
        video.min_clip_s, video.max_clip_s = Video.PRESET_BOUNDS_S[video.clip_preset]
    if upload is not None:
        video.original = upload
        if not video.title:
            video.title = os.path.splitext(os.path.basename(upload.name))[0][:300]
    video.save()
    if start:
        video_start(video=video)
    return video


@transaction.atomic
def video_start(*, video: Video) -> None:
    """(Re)starts the pipeline from the first stage that is not done."""
    for stage in stages.STAGES:
        StageRun.objects.get_or_create(video=video, stage=stage.name)
    first_open = video.stage_runs.exclude(state=StageRun.State.DONE).order_by("id").first()
    if first_open is None:
        _set_video_status(video, Video.Status.READY)
        return
    stage_enqueue(run=first_open)


@transaction.atomic
def video_cancel(*, video: Video) -> None:
    runs = StageRun.objects.select_for_update().filter(video=video, state__in=StageRun.ACTIVE_STATES)
    runs.update(state=StageRun.State.CANCELLED, message="Cancelled", finished_at=timezone.now())
    _set_video_status(video, Video.Status.CANCELLED)


def _set_video_status(video: Video, status: str) -> None:
    video.status = status
    Video.objects.filter(pk=video.pk).update(status=status)


@transaction.atomic
def stage_enqueue(*, run: StageRun) -> None:
    """Queues one stage. The attempt number travels with the task: a stale copy of the task
    (redelivered by the broker after a crash) sees a newer attempt and does nothing."""
    run = StageRun.objects.select_for_update().get(pk=run.pk)
    run.attempt += 1
    run.state = StageRun.State.QUEUED
    run.progress = 0
    run.message = "Waiting for a worker"
    run.worker = ""
    run.queued_at = timezone.now()
    run.started_at = run.finished_at = None
    run.save()
    # Later stages depend on this one's output: they go back to waiting.
    later = stages.STAGE_NAMES[stages.STAGE_NAMES.index(run.stage) + 1 :]
    StageRun.objects.filter(video_id=run.video_id, stage__in=later).update(
        state=StageRun.State.PENDING, progress=0, message="", started_at=None, finished_at=None, worker=""
    )
    _set_video_status(run.video, Video.Status.PROCESSING)
    video_id, stage, attempt = run.video_id, run.stage, run.attempt
    transaction.on_commit(
        lambda: async_task(
            "clips.tasks.run_stage", video_id, stage, attempt, task_name=f"video{video_id}-{stage}-{attempt}"
        )
    )


def stage_retry(*, run: StageRun) -> None:
    if run.state not in (StageRun.State.FAILED, StageRun.State.CANCELLED):
        raise ValueError("Only a failed or cancelled stage can be retried")
    stage_enqueue(run=run)


def _claim(video_id: int, stage: str, attempt: int) -> StageRun | None:
    with transaction.atomic():
        run = StageRun.objects.select_for_update().filter(video_id=video_id, stage=stage).first()
        if run is None or run.attempt != attempt or run.state not in StageRun.ACTIVE_STATES:
            return None
        run.state = StageRun.State.RUNNING
        run.started_at = timezone.now()
        run.worker = worker_id()
        run.message = "Starting"
        run.save()
        return run


def _progress_reporter(run: StageRun):
    last_write = 0.0

    def report(fraction: float, message: str = "") -> None:
        nonlocal last_write
        now = time.monotonic()
        if now - last_write < PROGRESS_WRITE_INTERVAL_S and fraction < 1:
            return
        last_write = now
        updated = StageRun.objects.filter(pk=run.pk, attempt=run.attempt, state=StageRun.State.RUNNING).update(
            progress=round(min(max(fraction, 0.0), 1.0), 4), message=message[:500], updated_at=timezone.now()
        )
        if not updated:
            raise Cancelled()

    return report


def stage_execute(*, video_id: int, stage: str, attempt: int) -> None:
    """Runs one stage in the worker, records how it went, and queues the next stage."""
    run = _claim(video_id, stage, attempt)
    if run is None:
        logger.info("Skipping stale task video=%s stage=%s attempt=%s", video_id, stage, attempt)
        return
    video = run.video
    workdir = video.workdir
    workdir.mkdir(parents=True, exist_ok=True)
    stage_def = stages.get_stage(stage)
    try:
        output = stage_def.run(workdir, pipeline_options(video), _progress_reporter(run))  # writes its file
        with transaction.atomic():
            current = StageRun.objects.select_for_update().get(pk=run.pk)
            if current.attempt != attempt or current.state != StageRun.State.RUNNING:
                return  # cancelled or superseded while finishing: keep the files, change nothing
            stage_results.IMPORTERS[stage](video, output)
            message = getattr(output, "message", "") or getattr(output, "note", "") or "Done"
            _finish(current, StageRun.State.DONE, message, progress=1.0)
            following = stages.next_stage(stage)
            if following is None:
                _set_video_status(video, Video.Status.READY)
            else:
                stage_enqueue(run=StageRun.objects.get(video=video, stage=following.name))
    except Cancelled:
        logger.info("Stage %s of video %s cancelled", stage, video_id)
    except InputError as exc:
        _fail(run, attempt, str(exc))
    except OSError as exc:
        logger.exception("Stage %s of video %s hit an OS error", stage, video_id)
        _fail(run, attempt, f"{exc.strerror or exc} (file system). Free space or fix permissions, then retry.")
    except Exception as exc:  # a bug: keep the trace in the log, a short message on the page
        logger.exception("Stage %s of video %s crashed", stage, video_id)
        _fail(run, attempt, f"Internal error: {type(exc).__name__}: {exc}"[:500])


def _finish(run: StageRun, state: str, message: str, progress: float | None = None) -> None:
    run.state = state
    run.message = message[:2000]
    run.finished_at = timezone.now()
    if progress is not None:
        run.progress = progress
    run.save()


def _fail(run: StageRun, attempt: int, message: str) -> None:
    with transaction.atomic():
        current = StageRun.objects.select_for_update().get(pk=run.pk)
        if current.attempt != attempt or current.state != StageRun.State.RUNNING:
            return
        _finish(current, StageRun.State.FAILED, message)
        _set_video_status(current.video, Video.Status.FAILED)


def recover_stalled_stages() -> int:
    """Requeues stages left 'running' by a worker process on this host that no longer exists
    (killed, OOM, machine restart). Returns how many were requeued."""
    host = socket.gethostname()
    requeued = 0
    for run in StageRun.objects.filter(state=StageRun.State.RUNNING, worker__startswith=f"{host}:"):
        pid = int(run.worker.rsplit(":", 1)[1])
        if _pid_alive(pid):
            continue
        logger.warning("Requeueing %s: its worker %s is gone", run, run.worker)
        stage_enqueue(run=run)
        requeued += 1
    # Final renders whose worker died stay "rendering" forever otherwise.
    return requeued


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie (killed, not yet reaped) is not alive
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True
