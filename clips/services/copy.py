"""Copy writes: regenerating one clip's copy (a ClipJob run by the worker)."""

from django.db import transaction

from .. import jobs, stage_results
from ..models import Clip, ClipJob, Job
from ..options import pipeline_options


@transaction.atomic
def copy_regenerate(*, clip: Clip, user=None) -> ClipJob | None:
    """Queues fresh copy for one clip; None when a regeneration is already on its way."""
    job = clip.request_job(ClipJob.Kind.COPY)
    if job is not None:
        jobs.send(job)
    return job


def regenerate_copy(job: ClipJob, attempt: int) -> None:
    """Writes fresh copy for one clip with the video's provider."""
    from pipeline.copywriter import write_copies
    from pipeline.schemas import ClipProposal

    clip, video = job.clip, job.clip.video
    proposal = ClipProposal(start=clip.start_s, end=clip.end_s, text=clip.text, score=clip.score, reason=clip.reason)
    language = video.detected_language or video.language or "en"
    result = write_copies({clip.index: proposal}, language=language, options=pipeline_options(video))
    with transaction.atomic():
        if job.finish(attempt, Job.State.DONE, "Written"):
            stage_results.import_copy(video, result, only_clip_indexes={clip.index})
