"""Builds the pipeline's options for a video from site settings and the video's own choices."""

from django.conf import settings

from pipeline import config
from pipeline.schemas import CaptionStyle, PipelineOptions


def pipeline_options(video) -> PipelineOptions:
    if video.source == video.Source.URL:
        source = video.source_url
    else:
        source = video.original.path if video.original else ""
    site = {name.lower(): value for name, value in settings.CLIPER.items()}
    # Blank choices on the video mean "the site default" (config.pipeline_options skips None).
    return config.pipeline_options(
        site,
        source=source,
        whisper_model=video.whisper_model or None,
        language=video.language or None,
        min_clip_s=video.min_clip_s,
        max_clip_s=video.max_clip_s,
        copy_provider=video.copy_provider or None,
        openai_model=video.copy_model or None,
        aspect=video.aspect,
        strategy=video.strategy,
        subtitle_style=video.subtitle_style,
        caption_style=CaptionStyle.model_validate(video.caption_style) if video.caption_style else None,
        trim_silence=video.trim_silence,
    )
