"""Copies a finished stage's output file into the database. Each import replaces what the
stage wrote before, so rerunning a stage never duplicates clips or copies."""

from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.db import transaction

from pipeline import schemas

from .models import Clip, Transcript


def media_relative(video, file_name: str) -> str:
    """A path inside the video's work directory, relative to MEDIA_ROOT (what Clip fields hold)."""
    if not file_name:
        return ""
    return str((video.workdir / file_name).relative_to(Path(settings.MEDIA_ROOT)))


def import_ingest(video, media: schemas.MediaInfo):
    video.duration_s = media.duration
    if not video.title:
        video.title = media.title[:300] or f"Video {video.pk}"
    fields = ["duration_s", "title"]
    ingested = media_relative(video, media.media_file)
    if video.original and video.original.name != ingested:
        # The work directory now holds the checked media (a hard link or a copy): the upload in
        # uploads/ goes, and a rerun of ingest starts from the work directory's file.
        upload = video.original.name
        storage = video.original.storage
        video.original.name = ingested
        fields.append("original")
        transaction.on_commit(lambda: storage.delete(upload))
    video.save(update_fields=fields)


def import_transcribe(video, transcript: schemas.Transcript):
    Transcript.objects.update_or_create(
        video=video,
        defaults={
            "language": transcript.language,
            "model_name": transcript.model,
            "duration_s": transcript.duration,
            "words": [word.model_dump() for word in transcript.words],
            "message": transcript.message,
        },
    )
    video.detected_language = transcript.language
    video.save(update_fields=["detected_language"])


@transaction.atomic
def import_clips(video, result: schemas.ClipsResult):
    Transcript.objects.filter(video=video).update(topics=[topic.model_dump() for topic in result.topics])
    video.clips.all().delete()
    Clip.objects.bulk_create(
        Clip(
            video=video,
            index=i,
            start_s=c.start,
            end_s=c.end,
            text=c.text,
            score=c.score,
            reason=c.reason,
            subscores=c.subscores,
        )
        for i, c in enumerate(result.clips)
    )


@transaction.atomic
def import_copy(video, result: schemas.CopiesResult, *, only_clip_indexes=None, source="stage", base_version=None):
    """Copy through the one compare-and-set path (clips.services.copy.copy_write): a caption a
    person edited is never replaced by the copy stage, and every change is in the history."""
    clips_by_index = {clip.index: clip for clip in video.clips.all()}
    common = {"provider": result.provider, "model_name": result.model, "is_local_draft": result.is_local_draft}
    for copy in result.copies:
        clip = clips_by_index.get(copy.clip_index)
        if clip is None or (only_clip_indexes is not None and copy.clip_index not in only_clip_indexes):
            continue
        _save_copy(
            clip,
            source,
            base_version,
            style=copy.style,
            style_confidence=copy.confidence,
            text=copy.text,
            hashtags=copy.hashtags,
            hook=copy.hook,
            title=copy.title,
            topics=copy.topics,
            engagement_score=copy.engagement_score,
            viral_potential=copy.viral_potential,
            failure_reason="",
            **common,
        )
    for failure in result.failures:
        clip = clips_by_index.get(failure.clip_index)
        if clip is None or (only_clip_indexes is not None and failure.clip_index not in only_clip_indexes):
            continue
        _save_copy(clip, source, base_version, failure_reason=failure.reason, **common)
    video.llm_tokens_in += result.tokens_in
    video.llm_tokens_out += result.tokens_out
    video.llm_cost_usd += Decimal(str(round(result.cost_usd, 5)))
    video.save(update_fields=["llm_tokens_in", "llm_tokens_out", "llm_cost_usd"])


def _save_copy(clip, source, base_version, **fields):
    from .services.copy import copy_write  # services import this module

    copy_write(clip=clip, fields=fields, source=source, base_version=base_version)


def import_render_result(clip, render: schemas.RenderResult, *, preview: bool):
    video = clip.video
    if preview:
        clip.preview = media_relative(video, render.video_file)
        clip.poster = media_relative(video, render.poster_file)
        clip.subtitles_vtt = media_relative(video, render.vtt_file)
        clip.subtitles_srt = media_relative(video, render.srt_file)
        clip.render_warning = render.warning
        clip.save(update_fields=["preview", "poster", "subtitles_vtt", "subtitles_srt", "render_warning"])
    else:
        clip.final = media_relative(video, render.video_file)
        clip.save(update_fields=["final"])


def remove_media(relative_path: str) -> None:
    """Deletes a render (and its poster and subtitles) that a newer one replaced."""
    video_path = Path(settings.MEDIA_ROOT) / relative_path
    for path in (video_path, *(video_path.with_suffix(s) for s in (".jpg", ".srt", ".vtt"))):
        path.unlink(missing_ok=True)


@transaction.atomic
def import_render(video, result: schemas.RendersResult):
    clips_by_index = {clip.index: clip for clip in video.clips.all()}
    for render in result.renders:
        if render.clip_index in clips_by_index:
            import_render_result(clips_by_index[render.clip_index], render, preview=True)


IMPORTERS = {
    "ingest": import_ingest,
    "transcribe": import_transcribe,
    "clips": import_clips,
    "copy": import_copy,
    "render": import_render,
}
