"""Clip writes: review decisions, new bounds, preview and final renders."""

from django.db import transaction
from django.utils import timezone
from django_q.tasks import async_task

from pipeline.errors import InputError
from pipeline.word_range import words_inside

from .. import stage_results
from ..models import Clip
from ..options import pipeline_options


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
    inside = words_inside(words, start_s, end_s)
    if inside:
        clip.text = " ".join(word["text"] for word in inside)
    clip.final, clip.final_state, clip.final_progress = "", Clip.FinalState.NONE, 0
    clip.save()
    transaction.on_commit(lambda: async_task("clips.tasks.render_clip", clip.pk, True))
    return clip


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
    from pipeline.render import render_workdir_clip
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
        result = render_workdir_clip(
            video.workdir,
            clip.index,
            options,
            preview=preview,
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
