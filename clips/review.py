"""Review-side writes: saving caption edits under an optimistic lock, bulk review, the approved
zip, and the sample video. Keyword-only functions; views stay thin."""

import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django_q.tasks import async_task

from . import services
from .models import Clip, Copy, CopyEdit, Video

# Used only when pipeline.copywriter (the copy stage's rules) cannot be imported.
FALLBACK_CHAR_LIMITS = {"tiktok": 2200, "instagram": 2200, "youtube": 100, "x": 280}
_HASHTAG_JUNK = re.compile(r"[^\w]", re.UNICODE)


def char_limit(platform: str | None = None) -> int:
    """Characters a caption may hold (text + blank line + hashtags) on the target platform."""
    platform = (platform or settings.CLIPER["PLATFORM"]).lower()
    try:
        from pipeline.copywriter.rules import PLATFORM_CHAR_LIMITS
    except ImportError:
        PLATFORM_CHAR_LIMITS = FALLBACK_CHAR_LIMITS
    return PLATFORM_CHAR_LIMITS.get(platform, 2200)


def mandatory_hashtags() -> list[str]:
    return [tag for tag in (normalise_hashtag(t) for t in settings.CLIPER["MANDATORY_HASHTAGS"]) if tag]


def normalise_hashtag(tag: str) -> str:
    """'#AI CDMX' / 'aicdmx' -> '#AICDMX'; '' when nothing usable is left."""
    body = _HASHTAG_JUNK.sub("", tag.strip().lstrip("#"))
    return f"#{body}" if body else ""


def parse_hashtags(raw: str) -> list[str]:
    """Hashtags typed as '#a #b, c' -> ['#a', '#b', '#c'], duplicates (any case) dropped."""
    seen, tags = set(), []
    for piece in re.split(r"[\s,]+", raw or ""):
        tag = normalise_hashtag(piece)
        if tag and tag.lower() not in seen:
            seen.add(tag.lower())
            tags.append(tag)
    return tags


def caption(text: str, hashtags: list[str]) -> str:
    """The caption as posted: the text, a blank line, the hashtags."""
    return f"{text}\n\n{' '.join(hashtags)}" if hashtags else text


def copy_errors(text: str, hashtags: list[str]) -> dict[str, str]:
    """Why a caption cannot be saved, by form field; empty when it can."""
    errors = {}
    if not text.strip():
        errors["text"] = "The caption text cannot be empty."
    have = {tag.lower() for tag in hashtags}
    missing = [tag for tag in mandatory_hashtags() if tag.lower() not in have]
    if missing:
        errors["hashtags"] = f"Mandatory hashtag{'s' if len(missing) > 1 else ''} missing: {' '.join(missing)}"
    length, limit = len(caption(text.strip(), hashtags)), char_limit()
    if length > limit:
        errors["text"] = (
            f"The caption is {length} characters with its hashtags; the {settings.CLIPER['PLATFORM']} limit is {limit}."
        )
    return errors


@dataclass
class CopySaveResult:
    copy: Copy
    saved: bool
    errors: dict[str, str] = field(default_factory=dict)
    conflict: Copy | None = None  # the newer copy someone else saved, when there was a conflict


def copy_save(*, clip: Clip, user, text: str, hashtags: list[str], base_version: int) -> CopySaveResult:
    """Saves an edited caption if nobody saved a newer version since `base_version` was loaded.

    Compare-and-set in one UPDATE ... WHERE version = base_version, so two concurrent saves of
    the same version cannot both win; the loser gets the winner's copy back (nothing is lost:
    the view shows both texts and keeps the loser's in the form)."""
    text = text.strip()
    copy, _ = Copy.objects.get_or_create(clip=clip)
    errors = copy_errors(text, hashtags)
    if errors:
        return CopySaveResult(copy=copy, saved=False, errors=errors)
    with transaction.atomic():
        before = Copy.objects.filter(pk=copy.pk).values("text", "hashtags", "version").first()
        if before is None or before["version"] != base_version:
            return _conflict(copy)
        updated = Copy.objects.filter(pk=copy.pk, version=base_version).update(
            text=text,
            hashtags=hashtags,
            version=F("version") + 1,
            edited_by=user,
            edited_at=timezone.now(),
            failure_reason="",
        )
        if not updated:
            return _conflict(copy)
        CopyEdit.objects.create(
            copy=copy,
            user=user,
            version=base_version + 1,
            before_text=before["text"],
            after_text=text,
            before_hashtags=before["hashtags"],
            after_hashtags=hashtags,
        )
    copy.refresh_from_db()
    return CopySaveResult(copy=copy, saved=True)


def _conflict(copy: Copy) -> CopySaveResult:
    copy.refresh_from_db()
    return CopySaveResult(copy=copy, saved=False, conflict=copy)


@transaction.atomic
def clips_review_bulk(*, video: Video, clip_ids: list[int], user, approve: bool) -> int:
    """Approves or rejects several clips of one video; returns how many changed."""
    clips = list(video.clips.filter(pk__in=clip_ids))
    for clip in clips:
        services.clip_review(clip=clip, user=user, approve=approve)
    return len(clips)


# --- the sample video ----------------------------------------------------------------------

SAMPLE_TITLE = "Sample talk: coffee, space, budgets and tides"


def sample_text() -> str | None:
    """The sample's script: CLIPER_SAMPLE_TEXT (text, or a path to a .txt file) or the built-in."""
    value = os.getenv("CLIPER_SAMPLE_TEXT", "").strip()
    if value.endswith(".txt") and Path(value).is_file():
        return Path(value).read_text()
    return value or None


@transaction.atomic
def sample_video_create(*, owner, clip_preset: str = "short", queue: bool = True) -> Video:
    """A video row for the offline sample; with queue=True the worker makes the file then starts
    the pipeline (otherwise call sample_video_make yourself)."""
    video = services.video_create(
        owner=owner,
        source=Video.Source.UPLOAD,
        start=False,
        title=SAMPLE_TITLE,
        language="en",
        clip_preset=clip_preset,
        copy_provider="local",
        whisper_model=settings.CLIPER["WHISPER_MODEL"],
    )
    if queue:
        transaction.on_commit(
            lambda: async_task("clips.review.sample_video_make", video.pk, task_name=f"sample{video.pk}")
        )
    return video


def sample_video_make(video_id: int) -> None:
    """Worker task: writes the sample talk (espeak-ng over face photos, ~30 s) and starts the pipeline."""
    from pipeline.sample import make_sample_talk

    video = Video.objects.get(pk=video_id)
    if video.status == Video.Status.CANCELLED:
        return
    try:
        with tempfile.TemporaryDirectory(prefix="cliper-sample-") as tmp:
            path = make_sample_talk(Path(tmp) / "sample-talk.mp4", text=sample_text())
            with path.open("rb") as f:
                video.original.save("sample-talk.mp4", File(f), save=True)
    except Exception:
        Video.objects.filter(pk=video.pk).update(status=Video.Status.FAILED)
        raise
    services.video_start(video=video)
