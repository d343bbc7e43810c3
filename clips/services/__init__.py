"""Writes, by feature: `runs` (videos, their stage runs and parts, recovery of dead workers' work),
`clips` (review, bounds, final and preview renders), `copy` (regeneration), `search` (moments
about a query). Keyword-only functions; views and tasks call them as `services.<name>`."""

from .clips import (
    clip_job_execute,
    clip_request_final,
    clip_return_to_review,
    clip_review,
    clip_set_bounds,
    clips_request_finals,
    snap_to_words,
)
from .copy import copy_regenerate, copy_write
from .runs import (
    part_execute,
    recover_expired,
    stage_enqueue,
    stage_execute,
    stage_retry,
    video_cancel,
    video_create,
    video_start,
)
from .search import moments_search, moments_search_now

__all__ = [
    "clip_job_execute",
    "clip_request_final",
    "clip_return_to_review",
    "clip_review",
    "clip_set_bounds",
    "clips_request_finals",
    "copy_regenerate",
    "copy_write",
    "moments_search",
    "moments_search_now",
    "part_execute",
    "recover_expired",
    "snap_to_words",
    "stage_enqueue",
    "stage_execute",
    "stage_retry",
    "video_cancel",
    "video_create",
    "video_start",
]
