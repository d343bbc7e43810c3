"""Budgets for work one click can queue: a person can retry as often as they need, a script
cannot make the worker render, or the copy provider bill, without bound. Counted per clip in the
cache shared by the web processes (as the login throttle)."""

from django.conf import settings
from django.core.cache import cache


class OverBudget(Exception):
    """More of this work was asked for this clip than the hour allows; the message says so."""


def spend(kind: str, clip_id: int) -> None:
    """Counts one `kind` request for the clip, or raises OverBudget when the hour's budget is used."""
    limit = settings.CLIP_WORK_PER_HOUR[kind]
    key = f"clip-work:{kind}:{clip_id}"
    cache.add(key, 0, timeout=3600)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=3600)
        count = 1
    if count > limit:
        raise OverBudget(f"This clip has had {limit} {kind} requests in the last hour; try again later.")
