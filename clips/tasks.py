"""django-q2 entry points: thin wrappers around services (the queue passes only ids and the attempt)."""

from . import sample, services


def run_stage(video_id: int, stage: str, attempt: int) -> None:
    services.stage_execute(video_id=video_id, stage=stage, attempt=attempt)


def run_stage_part(part_id: int, attempt: int) -> None:
    services.part_execute(part_id=part_id, attempt=attempt)


def run_clip_job(job_id: int, attempt: int) -> None:
    services.clip_job_execute(job_id=job_id, attempt=attempt)


def search_moments(video_id: int, query: str) -> None:
    services.moments_search_now(video_id=video_id, query=query)


def make_sample(video_id: int) -> None:
    sample.sample_video_make(video_id)


def recover_expired() -> int:
    return services.recover_expired()


def ping(value):
    """Used by the queue smoke test and the dashboard's health check."""
    return {"pong": value}
