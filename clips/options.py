"""Builds the pipeline's options for a video from site settings and the video's own choices."""

from django.conf import settings

from pipeline.schemas import CaptionStyle, PipelineOptions


def default_copy_provider() -> str:
    configured = settings.CLIPER["COPY_PROVIDER"]
    if configured:
        return configured
    return "gemini" if settings.CLIPER["GEMINI_API_KEY"] else "local"


def pipeline_options(video) -> PipelineOptions:
    cfg = settings.CLIPER
    if video.source == video.Source.URL:
        source = video.source_url
    else:
        source = video.original.path if video.original else ""
    return PipelineOptions(
        source=source,
        whisper_model=video.whisper_model or cfg["WHISPER_MODEL"],
        language=video.language or None,
        align_model_dir=cfg["ALIGN_MODEL_DIR"],
        min_clip_s=video.min_clip_s,
        max_clip_s=video.max_clip_s,
        embedding_model=cfg["EMBEDDING_MODEL"],
        copy_provider=video.copy_provider or default_copy_provider(),
        gemini_api_key=cfg["GEMINI_API_KEY"],
        gemini_model=cfg["GEMINI_MODEL"],
        gemini_base_url=cfg["GEMINI_BASE_URL"],
        openai_base_url=cfg["OPENAI_BASE_URL"],
        openai_api_key=cfg["OPENAI_API_KEY"],
        openai_model=cfg["OPENAI_MODEL"],
        mandatory_hashtags=cfg["MANDATORY_HASHTAGS"],
        platform=cfg["PLATFORM"],
        quality_threshold=cfg["QUALITY_THRESHOLD"],
        aspect=video.aspect,
        strategy=video.strategy,
        subtitle_style=video.subtitle_style,
        face_sample_every=cfg["FACE_SAMPLE_EVERY"],
        max_upload_bytes=cfg["MAX_UPLOAD_BYTES"],
        max_duration_s=cfg["MAX_DURATION_S"],
        allow_private_urls=cfg["ALLOW_PRIVATE_URLS"],
        blocked_networks=cfg["BLOCKED_NETWORKS"],
        render_max_bytes=cfg["RENDER_MAX_BYTES"],
        caption_style=CaptionStyle.model_validate(video.caption_style) if video.caption_style else None,
        loudness_lufs=cfg["LOUDNESS_LUFS"],
        true_peak_db=cfg["TRUE_PEAK_DB"],
        trim_silence=video.trim_silence,
        trim_pause_s=cfg["TRIM_PAUSE_S"],
    )
