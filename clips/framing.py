"""A clip's framing on the review page: which layout the analysis chose per shot and why, the
faces it saw (thumbnails for the person picker), and the reviewer's override. Keyword-only writes."""

from dataclasses import dataclass

from django.db import transaction

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


@transaction.atomic
def clip_set_framing(*, clip: Clip, layout: str, follow_face: int | None) -> bool:
    """Saves the reviewer's layout and person to follow; when that changes what the clip shows,
    approval is reset (it was of what was seen), a final is called off and the preview is
    rendered again with it. Returns whether anything changed."""
    from .services import clips as clip_services

    if (clip.layout, clip.follow_face) == (layout, follow_face):
        return False
    clip.layout, clip.follow_face = layout, follow_face
    clip.save(update_fields=["layout", "follow_face"])
    clip_services.clip_return_to_review(clip=clip)
    clip.forget_final()
    preview = clip.job(ClipJob.Kind.PREVIEW)
    if preview is not None and preview.is_active:
        preview.cancel()  # it renders the old framing: the request below replaces it
    clip_services._send(clip.request_job(ClipJob.Kind.PREVIEW))
    return True
