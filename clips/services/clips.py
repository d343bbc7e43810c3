"""Clip writes: review decisions, new bounds, and the work on one clip (final render, re-rendered
preview, fresh copy) as ClipJobs: one request wins, the task carries attempt and bounds."""

import logging

from django.db import transaction
from django.utils import timezone

from pipeline.errors import InputError
from pipeline.word_range import words_inside

from .. import finishing, jobs, leases, stage_results
from ..models import Clip, ClipJob, Job, Video
from .copy import regenerate_copy
from .runs import recording_failures

logger = logging.getLogger(__name__)


@transaction.atomic
def clip_review(*, clip: Clip, user, approve: bool) -> Clip:
    """Approves or rejects a clip; approving queues its final render, rejecting calls off one on its way."""
    was_approved = clip.status == Clip.Status.APPROVED
    clip.status = Clip.Status.APPROVED if approve else Clip.Status.REJECTED
    clip.reviewed_by = user
    clip.reviewed_at = timezone.now()
    clip.save(update_fields=["status", "reviewed_by", "reviewed_at"])
    if approve and not was_approved:
        clip_request_final(clip=clip, user=user)
    elif not approve:
        final = clip.job(ClipJob.Kind.FINAL)
        if final is not None and final.is_active:
            final.cancel()
    return clip


def clip_return_to_review(*, clip: Clip) -> bool:
    """An approved clip whose content changed (caption, bounds) is approved no more: approval is
    of what was seen. Returns whether it was approved."""
    changed = Clip.objects.filter(pk=clip.pk, status=Clip.Status.APPROVED).update(
        status=Clip.Status.PROPOSED, reviewed_by=None, reviewed_at=None
    )
    if changed:
        clip.status, clip.reviewed_by, clip.reviewed_at = Clip.Status.PROPOSED, None, None
    return bool(changed)


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
    if (clip.start_s, clip.end_s) != (start_s, end_s):
        clip_return_to_review(clip=clip)
    clip.start_s, clip.end_s = start_s, end_s
    inside = words_inside(words, start_s, end_s)
    if inside:
        clip.text = " ".join(word["text"] for word in inside)
    clip.save()
    clip.forget_final()
    preview = clip.job(ClipJob.Kind.PREVIEW)
    if preview is not None and preview.is_active:
        preview.cancel()  # it renders the old bounds: the new request below replaces it
    if not _replan_preview(clip):
        _send(clip.request_job(ClipJob.Kind.PREVIEW))
    return clip


def _replan_preview(clip: Clip) -> bool:
    """Browser previews: the crop for the new bounds is planned now from the clip's stored face
    samples (pure maths, milliseconds), so the card updates without any render. False when a
    job must run: server-rendered previews, or bounds beyond what was analysed."""
    from pipeline.browser_preview import replan

    options, _ = finishing.clip_render_options(clip)
    if options.server_previews:
        return False
    return replan(clip.video.workdir, clip.index, clip.start_s, clip.end_s, options) is not None


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
    with leases.Lease(job, attempt), recording_failures(job, attempt, f"{job}"):
        progress = jobs.progress_writer(job, attempt)
        if job.kind == ClipJob.Kind.COPY:
            regenerate_copy(job, attempt)
        else:
            _render(job, attempt, progress)


def _render(job: ClipJob, attempt: int, progress) -> None:
    """Renders the bounds the job was asked for; the result is kept only if the job still is this
    attempt's and the clip still has those bounds (checked and recorded in one transaction)."""
    from pipeline.render import prepare_preview, render_workdir_clip
    from pipeline.schemas import Word

    clip, video = job.clip, job.clip.video
    preview = job.kind == ClipJob.Kind.PREVIEW
    options, hook_text = finishing.clip_render_options(clip)  # the video's, with the clip's trimming
    words = [Word(**w) for w in video.transcript.words] if hasattr(video, "transcript") else []
    try:
        if preview:  # the render stage's work for one clip: analysis + poster (+ an encode with server previews)
            result = prepare_preview(
                video.workdir, clip.index, options, progress, start_s=job.start_s, end_s=job.end_s,
                layout=clip.layout, follow_face=clip.follow_face,
            )  # fmt: skip
        else:
            result = render_workdir_clip(
                video.workdir, clip.index, options, preview=False, progress=progress,
                start_s=job.start_s, end_s=job.end_s, words=words, attempt=attempt,
                hook_text=hook_text, layout=clip.layout, follow_face=clip.follow_face,
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
