"""Copy writes. Every write of a clip's copy, by a person or by the pipeline, goes through
copy_write: a compare-and-set on the copy's version that records who or what wrote it.

Rules it enforces:
- A write based on an old version never lands (two editors, or an edit racing a regeneration):
  the caller gets the newer copy back; a machine draft that lost is kept in history, unapplied.
- The copy stage never replaces a caption a person edited: its draft goes to history, unapplied.
  (Regenerate is different: a person asked for new copy of the caption they were looking at.)
- A changed caption on an approved clip sends the clip back to review: approval is of content.
"""

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from .. import jobs, stage_results
from ..models import Clip, ClipJob, Copy, CopyEdit, Job
from ..options import pipeline_options

CAPTION_FIELDS = ("text", "hashtags", "title")


@dataclass
class CopyWrite:
    copy: Copy
    saved: bool
    conflict: Copy | None = None  # the newer copy that stands, when base_version was stale
    kept_edit: bool = False  # the copy stage found a person's caption and left it alone


def copy_write(*, clip: Clip, fields: dict, source: str, user=None, base_version: int | None = None) -> CopyWrite:
    """Write fields of clip's copy if its version is still base_version (None: whatever version
    is there when the write happens, read and written in one transaction)."""
    with transaction.atomic():
        copy = _copy_of(clip)
        before = Copy.objects.select_for_update().filter(pk=copy.pk).values().get()
        caption_changes = any(name in fields and fields[name] != before[name] for name in CAPTION_FIELDS)
        if base_version is not None and before["version"] != base_version:
            if source != CopyEdit.Source.EDIT and caption_changes:
                _history(copy, before, fields, source, user, applied=False)
            copy.refresh_from_db()
            return CopyWrite(copy=copy, saved=False, conflict=copy)
        human_caption = before["edited_by_id"] is not None and before["text"]
        if source == CopyEdit.Source.STAGE and human_caption:
            if caption_changes:
                _history(copy, before, fields, source, user, applied=False)
            return CopyWrite(copy=copy, saved=False, kept_edit=True)
        writes = dict(fields)
        if caption_changes or source == CopyEdit.Source.EDIT:
            # edited_by names the person whose caption stands; a machine caption has none.
            writes["edited_by"] = user if source == CopyEdit.Source.EDIT else None
            writes["edited_at"] = timezone.now()
        updated = Copy.objects.filter(pk=copy.pk, version=before["version"]).update(**writes, version=F("version") + 1)
        if not updated:  # cannot happen under the row lock, but never write blind
            copy.refresh_from_db()
            return CopyWrite(copy=copy, saved=False, conflict=copy)
        if caption_changes:
            from .clips import clip_return_to_review  # .clips runs copy jobs: imported late

            _history(copy, before, fields, source, user, applied=True)
            clip_return_to_review(clip=clip)
    copy.refresh_from_db()
    return CopyWrite(copy=copy, saved=True)


def _copy_of(clip: Clip) -> Copy:
    copy = Copy.objects.filter(clip=clip).first()
    if copy is not None:
        return copy
    try:
        with transaction.atomic():
            return Copy.objects.create(clip=clip)
    except IntegrityError:  # created meanwhile by someone else
        return Copy.objects.get(clip=clip)


def _history(copy: Copy, before: dict, fields: dict, source: str, user, *, applied: bool) -> None:
    CopyEdit.objects.create(
        copy=copy,
        user=user,
        source=source,
        applied=applied,
        version=before["version"] + 1 if applied else before["version"],
        before_text=before["text"],
        after_text=fields.get("text", before["text"]),
        before_hashtags=before["hashtags"],
        after_hashtags=fields.get("hashtags", before["hashtags"]),
    )


@transaction.atomic
def copy_regenerate(*, clip: Clip, user=None) -> ClipJob | None:
    """Queues fresh copy for one clip; None when a regeneration is already on its way."""
    job = clip.request_job(ClipJob.Kind.COPY)
    if job is not None:
        jobs.send(job)
    return job


def regenerate_copy(job: ClipJob, attempt: int) -> None:
    """Writes fresh copy for one clip with the video's provider. The new copy replaces the
    version there when generation started; an edit saved meanwhile wins (the draft is kept in
    the history, unapplied)."""
    from pipeline.copywriter import write_copies
    from pipeline.schemas import ClipProposal

    clip, video = job.clip, job.clip.video
    base_version = Copy.objects.filter(clip=clip).values_list("version", flat=True).first()
    proposal = ClipProposal(start=clip.start_s, end=clip.end_s, text=clip.text, score=clip.score, reason=clip.reason)
    language = video.detected_language or video.language or "en"
    result = write_copies({clip.index: proposal}, language=language, options=pipeline_options(video))
    with transaction.atomic():
        if job.finish(attempt, Job.State.DONE, "Written"):
            stage_results.import_copy(
                video,
                result,
                only_clip_indexes={clip.index},
                source=CopyEdit.Source.REGENERATE,
                base_version=base_version,
            )
