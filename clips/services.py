"""Writes: creating videos, walking the pipeline through stage records, review actions."""

import logging
import os
from contextlib import contextmanager

from django.db import transaction
from django.db.models import Avg, Count, Q
from django.utils import timezone

from pipeline import stages
from pipeline.errors import Cancelled, InputError

from . import jobs, leases, stage_results
from .models import Clip, ClipJob, Job, StagePart, StageRun, Video
from .options import pipeline_options

logger = logging.getLogger(__name__)


# --- videos ------------------------------------------------------------------------------


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


# --- stage runs ----------------------------------------------------------------------------


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
    with leases.Lease(run, attempt), _recording_failures(run, attempt, f"Stage {stage} of video {video_id}"):
        progress = jobs.progress_writer(run, attempt)
        if stage_def.fans_out:
            specs = stage_def.plan(workdir, pipeline_options(video), progress)
        else:
            output = stage_def.run(workdir, pipeline_options(video), progress)
            if stage_def.output_model is not type(output):
                raise TypeError(f"stage {stage} returned {type(output).__name__}")
            with transaction.atomic():
                current = StageRun.objects.select_for_update().get(pk=run.pk)
                if current.attempt != attempt or current.state != StageRun.State.RUNNING:
                    return  # cancelled or superseded while finishing: keep the files, change nothing
                _complete(current, output)
    if specs is not None:  # after the lease thread stopped: from here on the parts hold leases
        _queue_parts(run, attempt, specs)


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


@transaction.atomic
def _queue_parts(run: StageRun, attempt: int, specs: list[dict]) -> None:
    """Replaces the stage's parts by one queued task per spec; the stage waits for them and holds
    no lease of its own meanwhile (the parts do)."""
    current = StageRun.objects.select_for_update().get(pk=run.pk)
    if current.attempt != attempt or current.state != StageRun.State.RUNNING:
        return
    current.parts.all().delete()
    now = timezone.now()
    parts = StagePart.objects.bulk_create(
        StagePart(run=current, index=i, spec=spec, state=Job.State.QUEUED, attempt=1, queued_at=now)
        for i, spec in enumerate(specs)
    )
    label = stages.get_stage(current.stage).fans_out
    StageRun.objects.filter(pk=current.pk).update(
        lease_until=None, progress=0, message=f"0 of {len(parts)} {label} done", updated_at=now
    )
    for part in parts:
        jobs.send(part)
    if not parts:
        _join_if_complete(current)


def part_execute(*, part_id: int, attempt: int) -> None:
    """Runs one part of a fanned-out stage; the worker finishing the last part joins them."""
    part = StagePart.objects.filter(pk=part_id).select_related("run__video").first()
    if part is None or part.run.state != StageRun.State.RUNNING:
        return
    if not part.claim(attempt, worker=leases.worker_label(), lease_s=leases.lease_s()):
        logger.info("Skipping stale task part=%s attempt=%s", part_id, attempt)
        return
    run, video = part.run, part.run.video
    stage_def = stages.get_stage(run.stage)
    with leases.Lease(part, attempt), _recording_failures(part, attempt, f"{part}"):
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
def _recording_failures(job: Job, attempt: int, what: str):
    """Turns what a task raises into the job's (and its stage's) failed state and message."""
    try:
        yield
    except Cancelled:
        logger.info("%s cancelled", what)
    except InputError as exc:
        _fail(job, attempt, str(exc))
    except OSError as exc:
        logger.exception("%s hit an OS error", what)
        _fail(job, attempt, f"{exc.strerror or exc} (file system). Free space or fix permissions, then retry.")
    except Exception as exc:  # a bug: keep the trace in the log, a short message on the page
        logger.exception("%s crashed", what)
        _fail(job, attempt, f"Internal error: {type(exc).__name__}: {exc}"[:500])


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


# --- clips ----------------------------------------------------------------------------------


@transaction.atomic
def clip_review(*, clip: Clip, user, approve: bool) -> Clip:
    """Approves or rejects a clip; approving queues its final render."""
    was_approved = clip.status == Clip.Status.APPROVED
    clip.status = Clip.Status.APPROVED if approve else Clip.Status.REJECTED
    clip.reviewed_by = user
    clip.reviewed_at = timezone.now()
    clip.save(update_fields=["status", "reviewed_by", "reviewed_at"])
    if approve and not was_approved:
        clip_request_final(clip=clip, user=user)
    return clip


def snap_to_words(words: list[dict], start_s: float, end_s: float) -> tuple[float, float]:
    """Moves clip bounds to the nearest word start / word end so a cut never splits a word."""
    if not words:
        return start_s, end_s
    snapped_start = min((w["start"] for w in words), key=lambda t: abs(t - start_s))
    ends_after = [w["end"] for w in words if w["end"] > snapped_start]
    snapped_end = min(ends_after, key=lambda t: abs(t - end_s)) if ends_after else end_s
    return snapped_start, snapped_end


@transaction.atomic
def clip_set_bounds(*, clip: Clip, start_s: float, end_s: float) -> Clip:
    """New start/end snapped to word boundaries; the text follows; the preview is re-rendered and
    a final of the old bounds is called off (or dropped if it was ready)."""
    words = clip.video.transcript.words if hasattr(clip.video, "transcript") else []
    start_s, end_s = snap_to_words(words, start_s, end_s)
    if end_s - start_s < 1:
        raise ValueError("A clip must be at least one second long")
    clip.start_s, clip.end_s = start_s, end_s
    inside = [w["text"] for w in words if w["start"] >= start_s - 1e-6 and w["end"] <= end_s + 1e-6]
    if inside:
        clip.text = " ".join(inside)
    clip.save()
    clip.forget_final()
    preview = clip.job(ClipJob.Kind.PREVIEW)
    if preview is not None and preview.is_active:
        preview.cancel()  # it renders the old bounds: the new request below replaces it
    _send(clip.request_job(ClipJob.Kind.PREVIEW))
    return clip


@transaction.atomic
def clip_request_final(*, clip: Clip, user=None) -> ClipJob | None:
    """Queues the full-quality render of the clip's current bounds; None when one is already
    queued, rendering or ready (two quick clicks queue one render)."""
    return _send(clip.request_final())


def clips_request_finals(*, video: Video, user=None) -> int:
    """Queues the final of every approved clip of the video that has none; returns how many."""
    queued = 0
    for clip in video.clips.filter(status=Clip.Status.APPROVED):
        queued += clip_request_final(clip=clip, user=user) is not None
    return queued


@transaction.atomic
def copy_regenerate(*, clip: Clip, user=None) -> ClipJob | None:
    """Queues fresh copy for one clip; None when a regeneration is already on its way."""
    return _send(clip.request_job(ClipJob.Kind.COPY))


def _send(job: ClipJob | None) -> ClipJob | None:
    if job is not None:
        jobs.send(job)
    return job


def clip_job_execute(*, job_id: int, attempt: int) -> None:
    """Runs one clip's final render, preview render or copy regeneration in the worker."""
    job = ClipJob.objects.filter(pk=job_id).select_related("clip__video").first()
    if job is None or not job.claim(attempt, worker=leases.worker_label(), lease_s=leases.lease_s()):
        logger.info("Skipping stale task clip job=%s attempt=%s", job_id, attempt)
        return
    with leases.Lease(job, attempt), _recording_failures(job, attempt, f"{job}"):
        progress = jobs.progress_writer(job, attempt)
        if job.kind == ClipJob.Kind.COPY:
            _regenerate_copy(job, attempt)
        else:
            _render(job, attempt, progress)


def _render(job: ClipJob, attempt: int, progress) -> None:
    """Renders the bounds the job was asked for; the result is kept only if the job still is this
    attempt's and the clip still has those bounds (checked and recorded in one transaction)."""
    from pipeline.render import render_workdir_clip
    from pipeline.schemas import Word

    clip, video = job.clip, job.clip.video
    preview = job.kind == ClipJob.Kind.PREVIEW
    words = [Word(**w) for w in video.transcript.words] if hasattr(video, "transcript") else []
    try:
        result = render_workdir_clip(
            video.workdir, clip.index, pipeline_options(video), preview=preview, progress=progress,
            start_s=job.start_s, end_s=job.end_s, words=words, attempt=None if preview else attempt,
        )  # fmt: skip
    except InputError as exc:
        if preview:
            Clip.objects.filter(pk=clip.pk).update(render_warning=f"Preview render failed: {exc}")
        raise
    with transaction.atomic():
        current = Clip.objects.select_for_update().get(pk=clip.pk)
        if not job.asked_for(current):
            job.finish(attempt, Job.State.CANCELLED, "The clip changed while it rendered: render it again")
            _discard(video, result)
            return
        if not job.finish(attempt, Job.State.DONE, "Rendered"):
            _discard(video, result)  # cancelled or superseded meanwhile
            return
        old_final = current.final
        stage_results.import_render_result(current, result, preview=preview)
        if not preview and old_final and old_final != current.final:
            stage_results.remove_media(old_final)


def _discard(video: Video, result) -> None:
    if not result.preview:  # previews of a clip share one file, which the newer render replaces
        for name in (result.video_file, result.poster_file, result.srt_file, result.vtt_file):
            if name:
                (video.workdir / name).unlink(missing_ok=True)


def _regenerate_copy(job: ClipJob, attempt: int) -> None:
    """Writes fresh copy for one clip with the video's provider."""
    from pipeline.copywriter import write_copies
    from pipeline.schemas import ClipProposal

    clip, video = job.clip, job.clip.video
    proposal = ClipProposal(start=clip.start_s, end=clip.end_s, text=clip.text, score=clip.score, reason=clip.reason)
    language = video.detected_language or video.language or "en"
    result = write_copies({clip.index: proposal}, language=language, options=pipeline_options(video))
    with transaction.atomic():
        if job.finish(attempt, Job.State.DONE, "Written"):
            stage_results.import_copy(video, result, only_clip_ids={clip.index})
