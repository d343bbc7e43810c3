"""Copy writes: regenerating one clip's copy in the worker."""

from django.db import transaction
from django_q.tasks import async_task

from .. import stage_results
from ..models import Clip
from ..options import pipeline_options


def copy_regenerate(*, clip: Clip) -> None:
    transaction.on_commit(lambda: async_task("clips.tasks.regenerate_copy", clip.pk))


def copy_regenerate_now(*, clip_id: int) -> None:
    """Writes fresh copy for one clip with the video's provider (runs in the worker)."""
    from pipeline.copywriter import write_copies
    from pipeline.schemas import ClipProposal

    clip = Clip.objects.select_related("video").get(pk=clip_id)
    video = clip.video
    proposal = ClipProposal(
        start=clip.start_s,
        end=clip.end_s,
        text=clip.text,
        score=clip.score,
        reason=clip.reason,
        subscores=clip.subscores,
    )
    language = video.detected_language or video.language or "en"
    result = write_copies({clip.index: proposal}, language=language, options=pipeline_options(video))
    stage_results.import_copy(video, result, only_clip_indexes={clip.index})
