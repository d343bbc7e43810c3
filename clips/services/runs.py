"""Videos and their stage runs: creating a video, walking it through the pipeline one stage
record at a time (a stage that fans out runs as parts, one task each), and requeueing work
whose worker died (its lease ran out)."""

import hashlib
import logging
import os
import uuid
from contextlib import contextmanager

from django.db import transaction
from django.db.models import Avg, Count, Q
from django.utils import timezone

from pipeline import stages
from pipeline.errors import Cancelled, InputError

from .. import jobs, leases, stage_results
from ..models import ClipJob, Job, StagePart, StageRun, Video
from ..options import pipeline_options

logger = logging.getLogger(__name__)


def video_create(*, owner, source: str, upload=None, url: str = "", start: bool = True, **options) -> Video:
    """A new video from an uploaded file or a URL; starts the pipeline unless start=False.

    The upload is stored before the row is written, outside any transaction: moving (or, across
    file systems, copying) gigabytes must not hold SQLite's write lock meanwhile."""
    video = Video(owner=owner, source=source, source_url=url, **options)
    if video.clip_preset in Video.PRESET_BOUNDS_S:
        video.min_clip_s, video.max_clip_s = Video.PRESET_BOUNDS_S[video.clip_preset]
    stored = ""
    if upload is not None:
        if not video.title:
            video.title = os.path.splitext(os.path.basename(upload.name))[0][:300]
        field = Video._meta.get_field("original")
        stored = field.storage.save(field.generate_filename(video, upload.name), upload)
        video.original.name = stored
    try:
        with transaction.atomic():
            video.save()
            if start:
                video_start(video=video)
    except BaseException:
        if stored:
            Video._meta.get_field("original").storage.delete(stored)  # no row points at it
        raise
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
    """Cancels the video's active stages, their parts and its clips' queued or running work."""
    for rows in (
        StageRun.objects.filter(video=video),
        StagePart.objects.filter(run__video=video),
        ClipJob.objects.filter(clip__video=video),
    ):
        for job in rows.filter(state__in=Job.ACTIVE_STATES):
            job.cancel()
    _set_video_status(video, Video.Status.CANCELLED)


def _set_video_status(video: Video, status: str) -> None:
    video.status = status
    Video.objects.filter(pk=video.pk).update(status=status)


@transaction.atomic
def stage_enqueue(*, run: StageRun) -> bool:
    """Queues one stage (a queued one again, under a new attempt) unless it is running. The attempt
    number travels with the task: a stale copy of the task (an older attempt, or one redelivered by
    the broker after a crash) does nothing."""
    if not run.queue(from_states=[state for state in StageRun.State.values if state != StageRun.State.RUNNING]):
        return False
    # Later stages depend on this one's output: they go back to waiting.
    later = stages.STAGE_NAMES[stages.STAGE_NAMES.index(run.stage) + 1 :]
    StageRun.objects.filter(video_id=run.video_id, stage__in=later).update(
        state=StageRun.State.PENDING, progress=0, message="", started_at=None, finished_at=None, worker=""
    )
    for part in StagePart.objects.filter(run__video_id=run.video_id, state__in=Job.ACTIVE_STATES).exclude(run=run):
        part.cancel()  # parts of a later stage, now waiting again: their tasks must do nothing
    _set_video_status(run.video, Video.Status.PROCESSING)
    jobs.send(run)
    return True


def stage_retry(*, run: StageRun) -> None:
    if run.state not in (StageRun.State.FAILED, StageRun.State.CANCELLED):
        raise ValueError("Only a failed or cancelled stage can be retried")
    stage_enqueue(run=run)


def stage_execute(*, video_id: int, stage: str, attempt: int) -> None:
    """Runs one stage in the worker (or plans its parts), records how it went, queues what is next."""
    run = StageRun.objects.filter(video_id=video_id, stage=stage).select_related("video").first()
    if run is None or not run.claim(attempt, worker=leases.worker_label(), lease_s=leases.lease_s()):
        logger.info("Skipping stale task video=%s stage=%s attempt=%s", video_id, stage, attempt)
        return
    video = run.video
    workdir = video.workdir
    workdir.mkdir(parents=True, exist_ok=True)
    stage_def = stages.get_stage(stage)
    specs = None
    with leases.Lease(run, attempt), recording_failures(run, attempt, f"Stage {stage} of video {video_id}"):
        progress = jobs.progress_writer(run, attempt)
        if stage_def.fans_out:
            specs = stage_def.plan(workdir, pipeline_options(video), progress)
        else:
            try:
                output = stage_def.run(workdir, pipeline_options(video), progress)  # checks and writes its file
            except InputError:
                if stage == "ingest":
                    _discard_refused_upload(video)
                raise
            with transaction.atomic():
                current = StageRun.objects.select_for_update().get(pk=run.pk)
                if current.attempt != attempt or current.state != StageRun.State.RUNNING:
                    return  # cancelled or superseded while finishing: keep the files, change nothing
                _complete(current, output)
    if specs is not None:  # after the lease thread stopped: from here on the parts hold leases
        _queue_parts(run, attempt, specs)


def _discard_refused_upload(video: Video) -> None:
    """An upload ingest refused (not a video, too long, a playlist...) is deleted, not kept: it
    is of no use and may be hostile. The message on the page says why."""
    if video.source == Video.Source.UPLOAD and video.original:
        video.original.delete(save=False)
        Video.objects.filter(pk=video.pk).update(original="")


def _complete(run: StageRun, output) -> None:
    """Inside a transaction: imports a stage's output, marks it done and queues the next stage."""
    video = run.video
    stage_results.IMPORTERS[run.stage](video, output)
    message = getattr(output, "message", "") or getattr(output, "note", "") or "Done"
    run.finish(run.attempt, StageRun.State.DONE, message)
    following = stages.next_stage(run.stage)
    if following is None:
        _set_video_status(video, Video.Status.READY)
    else:
        stage_enqueue(run=StageRun.objects.get(video=video, stage=following.name))


INPUTS_KEY = "inputs"  # in a part's spec: what else its result depends on (see _inputs_fingerprint)


def _inputs_fingerprint(run: StageRun) -> str:
    """The run's options and the earlier stages' output files as they are now (size, modification
    time): a finished part is only reused while these are unchanged."""
    video = run.video
    digest = hashlib.sha256(pipeline_options(video).model_dump_json().encode())
    for earlier in stages.STAGES[: stages.STAGE_NAMES.index(run.stage)]:
        try:
            stat = earlier.output_path(video.workdir).stat()
        except OSError:
            continue
        digest.update(f"{earlier.name}:{stat.st_size}:{stat.st_mtime_ns};".encode())
    return digest.hexdigest()[:32]


@transaction.atomic
def _queue_parts(run: StageRun, attempt: int, specs: list[dict]) -> None:
    """One queued task per spec; the stage waits for them and holds no lease of its own meanwhile
    (the parts do). A part already done for the same spec and inputs (a retry after another part
    failed, or after a cancel) is kept with its result: a retry redoes only what is missing."""
    current = StageRun.objects.select_for_update().get(pk=run.pk)
    if current.attempt != attempt or current.state != StageRun.State.RUNNING:
        return
    fingerprint = _inputs_fingerprint(current)
    specs = [{**spec, INPUTS_KEY: fingerprint} for spec in specs]
    kept = [
        part.pk
        for part in current.parts.filter(state=Job.State.DONE, index__lt=len(specs))
        if part.spec == specs[part.index]
    ]
    current.parts.exclude(pk__in=kept).delete()
    kept_indexes = set(current.parts.values_list("index", flat=True))
    now = timezone.now()
    parts = StagePart.objects.bulk_create(
        StagePart(run=current, index=i, spec=spec, state=Job.State.QUEUED, attempt=1, queued_at=now)
        for i, spec in enumerate(specs)
        if i not in kept_indexes
    )
    label = stages.get_stage(current.stage).fans_out
    StageRun.objects.filter(pk=current.pk).update(
        lease_until=None,
        progress=len(kept_indexes) / len(specs) if specs else 0,
        message=f"{len(kept_indexes)} of {len(specs)} {label} done",
        updated_at=now,
    )
    for part in parts:
        jobs.send(part)
    if not parts:
        _join_if_complete(current)


def part_execute(*, part_id: int, attempt: int) -> None:
    """Runs one part of a fanned-out stage; the worker finishing the last part joins them."""
    part = StagePart.objects.filter(pk=part_id).select_related("run__video").first()
    if part is None:
        return
    if part.run.state != StageRun.State.RUNNING:
        part.cancel()  # its stage stopped meanwhile: nothing will wait for this part
        return
    if not part.claim(attempt, worker=leases.worker_label(), lease_s=leases.lease_s()):
        logger.info("Skipping stale task part=%s attempt=%s", part_id, attempt)
        return
    run, video = part.run, part.run.video
    stage_def = stages.get_stage(run.stage)
    with leases.Lease(part, attempt), recording_failures(part, attempt, f"{part}"):
        progress = jobs.progress_writer(part, attempt, after_write=lambda: _sum_progress(run))
        result = stage_def.run_part(video.workdir, pipeline_options(video), part.spec, progress)
        with transaction.atomic():
            if part.finish(attempt, Job.State.DONE, "Done", result=result.model_dump(mode="json")):
                _join_if_complete(run)


def _sum_progress(run: StageRun) -> None:
    """The stage record shows the mean progress of its parts and how many are done."""
    parts = StagePart.objects.filter(run=run)
    figures = parts.aggregate(mean=Avg("progress"), total=Count("id"), done=Count("id", filter=Q(state="done")))
    label = stages.get_stage(run.stage).fans_out
    StageRun.objects.filter(pk=run.pk, attempt=run.attempt, state=StageRun.State.RUNNING).update(
        progress=round(figures["mean"] or 0, 4),
        message=f"{figures['done']} of {figures['total']} {label} done",
        updated_at=timezone.now(),
    )


def _join_if_complete(run: StageRun) -> None:
    """Inside a transaction: once every part is done, joins their results into the stage's output."""
    current = StageRun.objects.select_for_update().select_related("video").get(pk=run.pk)
    if current.state != StageRun.State.RUNNING or current.lease_until is not None:
        return  # cancelled, superseded, or still planning
    parts = list(current.parts.order_by("index"))
    if any(part.state != Job.State.DONE for part in parts):
        _sum_progress(current)
        return
    video = current.video
    output = stages.get_stage(current.stage).join(video.workdir, pipeline_options(video), [p.result for p in parts])
    _complete(current, output)


@contextmanager
def recording_failures(job: Job, attempt: int, what: str):
    """Turns what a task raises into the job's (and its stage's) failed state and message."""
    try:
        yield
    except Cancelled:
        logger.info("%s cancelled", what)
    except InputError as exc:
        _fail(job, attempt, str(exc))
    except OSError as exc:
        logger.exception("%s hit an OS error", what)
        # strerror only: str(exc) names paths on this server, which are nobody's business.
        reason = exc.strerror or type(exc).__name__
        _fail(job, attempt, f"{reason} (file system). Free space or fix permissions, then retry.")
    except Exception as exc:  # a bug: the trace goes to the log, only a reference to the page
        reference = uuid.uuid4().hex[:8]
        logger.exception("%s crashed (reference %s)", what, reference)
        _fail(job, attempt, f"Internal error ({type(exc).__name__}, reference {reference}): see the worker log.")


def _fail(job: Job, attempt: int, message: str) -> None:
    with transaction.atomic():
        if not job.finish(attempt, Job.State.FAILED, message):
            return
        if isinstance(job, StagePart):  # one part failing fails its stage; the others stop
            run = job.run
            run.finish(run.attempt, Job.State.FAILED, f"Part {job.index + 1}: {message}")
            for part in run.parts.filter(state__in=Job.ACTIVE_STATES):
                part.cancel()
            _set_video_status(run.video, Video.Status.FAILED)
        elif isinstance(job, StageRun):
            _set_video_status(job.video, Video.Status.FAILED)


def recover_expired() -> int:
    """Requeues work whose worker died (its lease ran out), on any machine. Returns how many."""
    return jobs.recover_expired()
