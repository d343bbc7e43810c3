"""Finishing: caption styles (a video's own, brand presets, the site default), each clip's hook
title and trimming choice, and what a final render of a clip is told. Keyword-only functions."""

from django.db import transaction

from pipeline.schemas import BUILTIN_CAPTION_STYLES, CaptionStyle, PipelineOptions

from .models import CaptionPreset, Clip, Copy, Video
from .options import pipeline_options


def default_preset() -> CaptionPreset | None:
    return CaptionPreset.objects.filter(is_default=True).first()


def video_caption_style(video: Video) -> CaptionStyle:
    """The look the video's captions are drawn in (its own style, else its built-in look)."""
    if video.caption_style:
        return CaptionStyle.model_validate(video.caption_style)
    return BUILTIN_CAPTION_STYLES.get(video.subtitle_style, BUILTIN_CAPTION_STYLES["clean"])


@transaction.atomic
def video_set_caption_style(*, video: Video, style: CaptionStyle, trim_silence: bool) -> int:
    """Saves a video's caption style and trimming; finals rendered with the old look are marked
    not rendered (their files stay until the next render) so the approved zip never ships them.
    Returns how many finals became outdated."""
    new_style = style.model_dump()
    changed = new_style != video.caption_style or trim_silence != video.trim_silence
    video.caption_style, video.trim_silence = new_style, trim_silence
    video.save(update_fields=["caption_style", "trim_silence"])
    if not changed:
        return 0
    return finals_outdate(clips=video.clips.all())


def finals_outdate(*, clips) -> int:
    """The clips' finals no longer match what they should look like: a rendered one is dropped
    and one on its way called off (Clip.forget_final), so they render again."""
    outdated = 0
    for clip in clips.prefetch_related("jobs"):
        if clip.final or clip.final_state in (Clip.FinalState.QUEUED, Clip.FinalState.RENDERING):
            clip.forget_final()
            outdated += 1
    return outdated


@transaction.atomic
def preset_save(*, name: str, style: CaptionStyle, user, make_default: bool = False) -> CaptionPreset:
    """Creates or replaces the brand preset called `name`."""
    preset, _ = CaptionPreset.objects.update_or_create(
        name=name.strip(), defaults={"style": style.model_dump(), "created_by": user}
    )
    if make_default:
        preset_make_default(preset=preset)
    return preset


@transaction.atomic
def preset_make_default(*, preset: CaptionPreset) -> None:
    # Locking every preset first serialises two people choosing a default at once, so the
    # one-default constraint is never hit (the later choice wins).
    list(CaptionPreset.objects.select_for_update().values_list("pk", flat=True))
    CaptionPreset.objects.filter(is_default=True).exclude(pk=preset.pk).update(is_default=False)
    CaptionPreset.objects.filter(pk=preset.pk).update(is_default=True)


def clip_hook_text(clip: Clip) -> str:
    """The hook title shown first on the clip: the reviewer's, else the copy's hook."""
    if clip.hook_title.strip():
        return clip.hook_title.strip()
    copy = Copy.objects.filter(clip=clip).only("hook").first()
    return (copy.hook if copy else "").strip()


def clip_trims(clip: Clip) -> bool:
    return clip.video.trim_silence if clip.trim_silence is None else clip.trim_silence


@transaction.atomic
def clip_set_finish(*, clip: Clip, hook_title: str, trim_silence: bool | None) -> Clip:
    """Saves a clip's hook title and trimming choice (None = the video's); an outdated final is
    marked not rendered."""
    changed = (hook_title, trim_silence) != (clip.hook_title, clip.trim_silence)
    clip.hook_title, clip.trim_silence = hook_title, trim_silence
    clip.save(update_fields=["hook_title", "trim_silence"])
    if changed:
        finals_outdate(clips=Clip.objects.filter(pk=clip.pk))
        clip.refresh_from_db()
    return clip


def clip_render_options(clip: Clip) -> tuple[PipelineOptions, str]:
    """The options and hook text a render of this clip uses (the video's, with the clip's own
    trimming choice)."""
    options = pipeline_options(clip.video).model_copy(update={"trim_silence": clip_trims(clip)})
    return options, clip_hook_text(clip)
