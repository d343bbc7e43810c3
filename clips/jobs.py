"""Queued work on the jobs' state machines (clips.models.Job): sending a job's task, the progress
callback a running task hands to pipeline code, and the sweep that any worker runs to requeue
work whose worker died (lease expired) or whose queue message was lost with a dead worker."""

import logging
import time
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django_q.tasks import async_task

from pipeline.errors import Cancelled

from .leases import lease_s
from .models import ClipJob, Job, StagePart, StageRun, Video

logger = logging.getLogger(__name__)
PROGRESS_WRITE_INTERVAL_S = 1.0
JOB_MODELS = (StageRun, StagePart, ClipJob)


def send(job: Job) -> None:
    """Queues the job's task once the current transaction commits (the task carries the attempt)."""
    name, args = job.task()
    label = f"{type(job).__name__.lower()}{job.pk}-{job.attempt}"
    transaction.on_commit(lambda: async_task(name, *args, task_name=label))


def progress_writer(job: Job, attempt: int, *, after_write=None):
    """A pipeline Progress callback for a running job: writes at most once a second, renewing the
    lease with each write, and raises Cancelled once the job is cancelled or was requeued."""
    last_write = 0.0

    def report(fraction: float, message: str = "") -> None:
        nonlocal last_write
        now = time.monotonic()
        if now - last_write < PROGRESS_WRITE_INTERVAL_S and fraction < 1:
            return
        last_write = now
        fraction = round(min(max(fraction, 0.0), 1.0), 4)
        if not job.renew(attempt, lease_s=lease_s(), progress=fraction, message=message[:500]):
            raise Cancelled()
        if after_write is not None:
            after_write()

    return report


def recover_expired() -> int:
    """Requeues every job whose lease ran out (its worker died, on any machine), or fails it once
    it was requeued Job.MAX_TRIES times; then resends lost queue messages. Returns requeued count."""
    requeued = 0
    for model in JOB_MODELS:
        for job in model.expired():
            with transaction.atomic():
                if job.recover():
                    logger.warning(
                        "Requeued %s (attempt %s): its worker %s stopped renewing", job, job.attempt, job.worker
                    )
                    send(job)
                    requeued += 1
                else:
                    job.refresh_from_db()
                    if job.state == Job.State.FAILED:
                        _gave_up(job)
    resend_lost()
    return requeued


def _gave_up(job: Job) -> None:
    """A job failed for good: the stage it belongs to fails with it (a part fails its stage)."""
    run = job.run if isinstance(job, StagePart) else job if isinstance(job, StageRun) else None
    if run is None:
        return
    if run is not job:
        run.finish(run.attempt, Job.State.FAILED, f"Part {job.index + 1}: {job.message}")
        for part in run.parts.filter(state__in=Job.ACTIVE_STATES):
            part.cancel()
    Video.objects.filter(pk=run.video_id).update(status=Video.Status.FAILED)


def resend_lost() -> int:
    """Resends the task of every job queued for longer than a lease while the broker holds nothing.

    A broker hands tasks to a worker cluster before a process is free to run them; when that cluster
    dies they are gone (Redis) or only come back after the retry time (ORM broker). An empty broker
    with work still queued means that happened, or that a busy worker holds the message: a second
    copy is harmless either way, since only the copy whose attempt matches can claim the job.
    """
    from django_q.brokers import get_broker

    try:
        if get_broker().queue_size():
            return 0
    except Exception:  # broker unreachable: the next sweep tries again
        logger.warning("Could not read the queue size", exc_info=True)
        return 0
    cutoff = timezone.now() - timedelta(seconds=lease_s())
    resent = 0
    for model in JOB_MODELS:
        for job in model.objects.filter(state=Job.State.QUEUED, queued_at__lt=cutoff):
            with transaction.atomic():
                # Bump queued_at so the next sweep waits another lease before resending again.
                rows = model.objects.filter(
                    pk=job.pk, attempt=job.attempt, state=Job.State.QUEUED, queued_at=job.queued_at
                )
                if rows.update(queued_at=timezone.now()):
                    send(job)
                    resent += 1
    if resent:
        logger.warning("Resent %s queued task(s) that no worker had picked up", resent)
    return resent
