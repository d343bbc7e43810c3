"""django-q2 entry points: thin wrappers around services (the queue passes only ids)."""

from . import sample, services


def run_stage(video_id: int, stage: str, attempt: int) -> None:
    services.stage_execute(video_id=video_id, stage=stage, attempt=attempt)


def render_clip(clip_id: int, preview: bool) -> None:
    services.clip_render(clip_id=clip_id, preview=preview)


def regenerate_copy(clip_id: int) -> None:
    services.copy_regenerate_now(clip_id=clip_id)


def search_moments(video_id: int, query: str) -> None:
    services.moments_search_now(video_id=video_id, query=query)


def make_sample(video_id: int) -> None:
    sample.sample_video_make(video_id)


def recover_stalled_stages() -> int:
    return services.recover_stalled_stages()


def ping(value):
    """Used by the queue smoke test and the dashboard's health check."""
    return {"pong": value}
