"""Writes: creating videos, walking the pipeline through stage records, review actions."""

import logging
import os
import socket
import time

from django.db import transaction
from django.utils import timezone
from django_q.tasks import async_task

from pipeline import stages
from pipeline.errors import Cancelled, InputError

from . import stage_results
from .models import Clip, StageRun, Video
from .options import pipeline_options

logger = logging.getLogger(__name__)
PROGRESS_WRITE_INTERVAL_S = 1.0


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


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
    runs = StageRun.objects.select_for_update().filter(video=video, state__in=StageRun.ACTIVE_STATES)
    runs.update(state=StageRun.State.CANCELLED, message="Cancelled", finished_at=timezone.now())
    _set_video_status(video, Video.Status.CANCELLED)


def _set_video_status(video: Video, status: str) -> None:
    video.status = status
    Video.objects.filter(pk=video.pk).update(status=status)


# --- stage runs ----------------------------------------------------------------------------


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
        output = stage_def.run(workdir, pipeline_options(video), _progress_reporter(run))
        if stages.get_stage(stage).output_model is not type(output):
            raise TypeError(f"stage {stage} returned {type(output).__name__}")
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


# --- clips ----------------------------------------------------------------------------------


@transaction.atomic
def clip_review(*, clip: Clip, user, approve: bool) -> Clip:
    clip.status = Clip.Status.APPROVED if approve else Clip.Status.REJECTED
    clip.reviewed_by = user
    clip.reviewed_at = timezone.now()
    clip.save(update_fields=["status", "reviewed_by", "reviewed_at"])
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
    """New start/end snapped to word boundaries; the text follows; the preview is re-rendered."""
    words = clip.video.transcript.words if hasattr(clip.video, "transcript") else []
    start_s, end_s = snap_to_words(words, start_s, end_s)
    if end_s - start_s < 1:
        raise ValueError("A clip must be at least one second long")
    clip.start_s, clip.end_s = start_s, end_s
    inside = [w["text"] for w in words if w["start"] >= start_s - 1e-6 and w["end"] <= end_s + 1e-6]
    if inside:
        clip.text = " ".join(inside)
    clip.final, clip.final_state, clip.final_progress = "", Clip.FinalState.NONE, 0
    clip.save()
    if not _replan_preview(clip):
        transaction.on_commit(lambda: async_task("clips.tasks.render_clip", clip.pk, True))
    return clip


def _replan_preview(clip: Clip) -> bool:
    """Browser previews: the crop for the new bounds is planned now from the clip's stored face
    samples (pure maths, milliseconds), so the card updates without any render. False when a
    task must run: server-rendered previews, or bounds beyond what was analysed."""
    from pipeline.browser_preview import replan

    options = pipeline_options(clip.video)
    if options.server_previews:
        return False
    return replan(clip.video.workdir, clip.index, clip.start_s, clip.end_s, options) is not None


@transaction.atomic
def clip_request_final(*, clip: Clip) -> Clip:
    """Queues the full-quality render unless it is ready or already on its way."""
    if clip.final_state in (Clip.FinalState.QUEUED, Clip.FinalState.RENDERING, Clip.FinalState.DONE):
        return clip
    clip.final_state, clip.final_progress = Clip.FinalState.QUEUED, 0
    clip.save(update_fields=["final_state", "final_progress"])
    transaction.on_commit(lambda: async_task("clips.tasks.render_clip", clip.pk, False))
    return clip


def clip_render(*, clip_id: int, preview: bool) -> None:
    """Renders one clip (preview or final) in the worker with the clip's current bounds;
    failures are recorded on the clip. The final reuses the preview's face analysis."""
    from pipeline.render import prepare_preview, render_workdir_clip
    from pipeline.schemas import Word

    clip = Clip.objects.select_related("video").get(pk=clip_id)
    video = clip.video
    options = pipeline_options(video)
    words = [Word(**w) for w in video.transcript.words] if hasattr(video, "transcript") else []
    if not preview:
        Clip.objects.filter(pk=clip.pk).update(final_state=Clip.FinalState.RENDERING)

    def progress(fraction, message=""):
        if not preview:
            Clip.objects.filter(pk=clip.pk).update(final_progress=round(fraction, 3))

    try:
        if preview:  # analysis + poster (+ an encode with server previews), the render stage's work
            result = prepare_preview(video.workdir, clip.index, options, start_s=clip.start_s, end_s=clip.end_s)
        else:
            result = render_workdir_clip(
                video.workdir,
                clip.index,
                options,
                preview=False,
                progress=progress,
                start_s=clip.start_s,
                end_s=clip.end_s,
                words=words,
            )
    except (InputError, OSError) as exc:
        message = str(exc) if isinstance(exc, InputError) else f"{exc.strerror or exc} (file system)"
        if preview:
            Clip.objects.filter(pk=clip.pk).update(render_warning=f"Preview render failed: {message}")
        else:
            Clip.objects.filter(pk=clip.pk).update(final_state=Clip.FinalState.FAILED, render_warning=message)
        return
    stage_results.import_render_result(clip, result, preview=preview)


def copy_regenerate(*, clip: Clip) -> None:
    transaction.on_commit(lambda: async_task("clips.tasks.regenerate_copy", clip.pk))


def copy_regenerate_now(*, clip_id: int) -> None:
    """Writes fresh copy for one clip with the video's provider (runs in the worker)."""
    from pipeline.copywriter import write_copies
    from pipeline.schemas import ClipProposal

    clip = Clip.objects.select_related("video").get(pk=clip_id)
    video = clip.video
    proposal = ClipProposal(start=clip.start_s, end=clip.end_s, text=clip.text, score=clip.score, reason=clip.reason)
    language = video.detected_language or video.language or "en"
    result = write_copies({clip.index: proposal}, language=language, options=pipeline_options(video))
    stage_results.import_copy(video, result, only_clip_ids={clip.index})
