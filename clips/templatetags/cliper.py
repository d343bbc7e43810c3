"""Display filters for the review pages: clock times, durations, percentages, media URLs."""

from functools import lru_cache
from urllib.parse import quote

from django import template
from django.urls import reverse

register = template.Library()


@register.filter
def clock(seconds) -> str:
    """Seconds -> 'm:ss' (or 'h:mm:ss'); '' for None."""
    if seconds is None or seconds == "":
        return ""
    total = int(round(float(seconds)))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@register.filter
def span(seconds) -> str:
    """Seconds -> a short human duration: '45 s', '3 min 5 s', '1 h 02 min'."""
    if seconds is None or seconds == "":
        return "—"
    total = int(round(float(seconds)))
    if total < 60:
        return f"{total} s"
    if total < 3600:
        return f"{total // 60} min {total % 60} s"
    return f"{total // 3600} h {total % 3600 // 60:02d} min"


@register.filter
def percent(fraction) -> str:
    """0..1 -> '42 %'."""
    if fraction is None or fraction == "":
        return ""
    return f"{float(fraction) * 100:.0f} %"


_SENTINEL = "987654321"


@lru_cache(maxsize=64)
def _url_pattern(name: str, arg_is_path: bool) -> str:
    """reverse() once per URL name with a placeholder argument: a grid of clips needs a dozen
    URLs per card and reverse() is the costliest thing in rendering one."""
    return reverse(name, args=[f"x{_SENTINEL}" if arg_is_path else int(_SENTINEL)])


@register.simple_tag
def clip_url(name: str, pk) -> str:
    """{% clip_url "clip_review" clip.pk %} == {% url "clip_review" clip.pk %}, faster."""
    return _url_pattern(name, False).replace(_SENTINEL, str(int(pk)), 1)


@register.filter
def media_url(relpath) -> str:
    """A MEDIA_ROOT-relative path -> its permission-checked URL ('' for none)."""
    if not relpath:
        return ""
    return _url_pattern("media", True).replace(f"x{_SENTINEL}", quote(str(relpath)), 1)


@register.filter
def stage_label(stage_name: str) -> str:
    """'clips' -> 'Find clips' (the label written down once in pipeline.stages)."""
    from pipeline.stages import get_stage

    try:
        return get_stage(stage_name).label
    except KeyError:
        return stage_name
