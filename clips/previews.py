"""Browser previews on the clip cards: what the page's preview player needs, read from the files
the render stage writes per clip (pipeline/preview.py). A clip is reviewable as soon as its
preview file exists and matches the clip's current bounds, even while the stage still runs."""

from pathlib import Path

from django.conf import settings

from pipeline import browser_preview, stages
from pipeline.schemas import ClipPreview, Word

from . import finishing
from .models import Clip
from .options import pipeline_options
from .stage_results import media_relative


def server_previews() -> bool:
    """The fallback setting: encoded previews instead of the browser's cropped source."""
    return settings.CLIPER["SERVER_PREVIEWS"]


def playable_media(video) -> str:
    """MEDIA_ROOT-relative path of the file browsers play for this video's previews ('' if none)."""
    media = stages.get_stage("ingest").load_output(video.workdir)
    return media_relative(video, browser_preview.playable_file(media)) if media else ""


def current_preview(clip: Clip) -> ClipPreview | None:
    """The clip's planned preview, if it was planned for the clip's current bounds and framing."""
    planned = browser_preview.load_preview(clip.video.workdir, clip.index)
    video = clip.video
    if planned is None or not planned.matches(clip.start_s, clip.end_s, video.aspect, video.strategy):
        return None
    return planned


def transcript_words(video) -> list[Word]:
    transcript = getattr(video, "transcript", None) if hasattr(video, "transcript") else None
    return [Word(**word) for word in transcript.words] if transcript else []


def card_preview(clip: Clip, *, media_file: str | None = None, words: list[Word] | None = None) -> dict | None:
    """The JSON the card's preview player reads, or None while the clip is not reviewable yet.

    `media_file` and `words` may be passed by a page showing many cards of one video.
    """
    if server_previews():
        return None
    planned = current_preview(clip)
    if planned is None:
        return None
    video = clip.video
    media_file = playable_media(video) if media_file is None else media_file
    if not media_file:
        return None
    words = transcript_words(video) if words is None else words
    options = pipeline_options(video).model_copy(update={"trim_silence": finishing.clip_trims(clip)})
    style = options.captions()
    hook_text = finishing.clip_hook_text(clip) if style is not None and style.hook_title else ""
    crop = planned.crop.model_dump(mode="json")
    return {
        "start": clip.start_s,
        "end": clip.end_s,
        "aspect": planned.aspect,
        "crop": crop,
        "media": media_file,
        "poster": media_relative(video, planned.poster_file),
        "cues": browser_preview.caption_cues(words, clip.start_s, clip.end_s, options),
        "style": browser_preview.caption_look(options),
        "hook": hook_text,
        "second_video": _needs_second_video(planned),
        # the pauses a trimmed final cuts: the player skips them, so the preview runs as the final will
        "cuts": browser_preview.trim_cuts(words, clip.start_s, clip.end_s, planned.crop.fps, options, planned.silences),
    }


def _needs_second_video(planned: ClipPreview) -> bool:
    speakers = planned.crop.speakers
    return bool(speakers) and any(shot.layout in ("split", "fit") for shot in speakers.layouts)


def render_stage_running(video) -> bool:
    """Whether the render stage is on its way through the video's clips (cards then poll)."""
    from .models import StageRun

    return StageRun.objects.filter(video=video, stage="render", state__in=StageRun.ACTIVE_STATES).exists()


def being_prepared(clip: Clip) -> bool:
    return render_stage_running(clip.video)


def preview_mtime(clip: Clip) -> float:
    """When the clip's preview last changed: its plan or its encoded file, whichever is newer."""
    paths = [browser_preview.preview_path(clip.video.workdir, clip.index)]
    if clip.preview:
        paths.append(Path(settings.MEDIA_ROOT) / clip.preview)
    mtimes = [0.0]
    for path in paths:
        try:
            mtimes.append(path.stat().st_mtime)
        except OSError:
            pass
    return max(mtimes)
