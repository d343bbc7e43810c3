"""Writes, by feature: `runs` (videos and their stage runs), `clips` (review, bounds, renders),
`copy` (regeneration), `search` (moments about a query). Keyword-only functions; views and tasks call them as `services.<name>`."""

from .clips import clip_render, clip_request_final, clip_review, clip_set_bounds, snap_to_words
from .copy import copy_regenerate, copy_regenerate_now
from .search import moments_search, moments_search_now
from .runs import (
    recover_stalled_stages,
    stage_enqueue,
    stage_execute,
    stage_retry,
    video_cancel,
    video_create,
    video_start,
    worker_id,
)

__all__ = [
    "clip_render",
    "clip_request_final",
    "clip_review",
    "clip_set_bounds",
    "copy_regenerate",
    "copy_regenerate_now",
    "moments_search",
    "moments_search_now",
    "recover_stalled_stages",
    "snap_to_words",
    "stage_enqueue",
    "stage_execute",
    "stage_retry",
    "video_cancel",
    "video_create",
    "video_start",
    "worker_id",
]
