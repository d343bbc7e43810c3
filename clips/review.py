"""Review-side writes: saving caption edits under an optimistic lock, and bulk review.
Keyword-only functions; views stay thin."""

from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction

from pipeline import caption_rules

from . import services
from .models import Clip, Copy, CopyEdit, Video


def char_limit() -> int:
    """Characters a caption may hold (text + blank line + hashtags) on the site's platform."""
    return caption_rules.char_limit(settings.CLIPER["PLATFORM"])


def mandatory_hashtags() -> list[str]:
    return caption_rules.unique_hashtags(settings.CLIPER["MANDATORY_HASHTAGS"])


def browser_caption_rules() -> dict:
    """The caption rules for the page's character counter (json_script)."""
    return caption_rules.browser_rules(
        platform=settings.CLIPER["PLATFORM"], mandatory=settings.CLIPER["MANDATORY_HASHTAGS"]
    )


parse_hashtags = caption_rules.parse_hashtags


def copy_errors(text: str, hashtags: list[str]) -> dict[str, str]:
    """Why a caption cannot be saved, by form field; empty when it can."""
    return caption_rules.caption_problems(
        text, hashtags, platform=settings.CLIPER["PLATFORM"], mandatory=settings.CLIPER["MANDATORY_HASHTAGS"]
    )


@dataclass
class CopySaveResult:
    copy: Copy
    saved: bool
    errors: dict[str, str] = field(default_factory=dict)
    conflict: Copy | None = None  # the newer copy someone else saved, when there was a conflict


def copy_save(
    *, clip: Clip, user, text: str, hashtags: list[str], base_version: int, title: str | None = None
) -> CopySaveResult:
    """Saves an edited caption if nobody saved a newer version since `base_version` was loaded.

    Goes through services.copy_write (compare-and-set on the version, history, approval reset),
    so two concurrent saves of the same version cannot both win; the loser gets the winner's copy
    back (nothing is lost: the view shows both texts and keeps the loser's in the form)."""
    text = text.strip()
    errors = copy_errors(text, hashtags)
    if errors:
        copy = Copy.objects.filter(clip=clip).first() or Copy(clip=clip)
        return CopySaveResult(copy=copy, saved=False, errors=errors)
    written = services.copy_write(
        clip=clip,
        fields={
            "text": text,
            "hashtags": hashtags,
            "failure_reason": "",
            **({} if title is None else {"title": title}),
        },
        source=CopyEdit.Source.EDIT,
        user=user,
        base_version=base_version,
    )
    if written.conflict is not None:
        return CopySaveResult(copy=written.copy, saved=False, conflict=written.conflict)
    return CopySaveResult(copy=written.copy, saved=True)


@transaction.atomic
def clips_review_bulk(*, video: Video, clip_ids: list[int], user, approve: bool) -> int:
    """Approves or rejects several clips of one video; returns how many changed."""
    clips = list(video.clips.filter(pk__in=clip_ids))
    for clip in clips:
        services.clip_review(clip=clip, user=user, approve=approve)
    return len(clips)
