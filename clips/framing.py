"""A clip's framing on the review page: which layout the analysis chose per shot and why, the
faces it saw (thumbnails for the person picker), and the reviewer's override. Keyword-only writes."""

from dataclasses import dataclass

from django.db import transaction

from pipeline import browser_preview
from pipeline.render import cached_crop

from .models import Clip, ClipJob
from .stage_results import media_relative


@dataclass(frozen=True)
class Face:
    id: int
    thumbnail: str  # MEDIA_ROOT-relative, "" when none was written
    speaking_s: float


@dataclass(frozen=True)
class Framing:
    summary: str  # "2 speakers, cuts on turns"; "" before the first render
    layouts: list[str]  # layout of each shot, in order
    faces: list[Face]


def clip_framing(clip: Clip) -> Framing:
    """What the clip's last analysis (renders/clip_<i>_crop.json) says about its framing."""
    crop = cached_crop(clip.video.workdir, clip.index)
    analysis = crop.speakers if crop is not None else None
    if analysis is None:
        return Framing("", [], [])
    faces = [
        Face(f.id, media_relative(clip.video, f.thumbnail) if f.thumbnail else "", f.speaking_s) for f in analysis.faces
    ]
    return Framing(analysis.summary, [s.layout for s in analysis.layouts], faces)


REPLANNED = "replanned"  # the browser preview shows the new framing already
QUEUED = "queued"  # a preview job analyses or renders it again


@transaction.atomic
def clip_set_framing(*, clip: Clip, layout: str, follow_face: int | None) -> str:
    """Saves the reviewer's layout and person to follow; when that changes what the clip shows,
    approval is reset (it was of what was seen), a final is called off and the preview follows:
    re-planned here from the stored speaker analysis (browser previews), else by a preview job.
    Returns "" when nothing changed, else REPLANNED or QUEUED."""
    from .previews import server_previews
    from .services import clips as clip_services

    if (clip.layout, clip.follow_face) == (layout, follow_face):
        return ""
    clip.layout, clip.follow_face = layout, follow_face
    clip.save(update_fields=["layout", "follow_face"])
    clip_services.clip_return_to_review(clip=clip)
    clip.forget_final()
    preview = clip.job(ClipJob.Kind.PREVIEW)
    if preview is not None and preview.is_active:
        preview.cancel()  # it works on the old framing: what follows replaces it
    workdir = clip.video.workdir
    if not server_previews() and browser_preview.reframe(workdir, clip.index, layout=layout, follow_face=follow_face):
        return REPLANNED
    clip_services._send(clip.request_job(ClipJob.Kind.PREVIEW))
    return QUEUED
