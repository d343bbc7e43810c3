"""Which words belong to a time range, defined once for spoken text, subtitles, clip text and
chapters: a word belongs where its middle is, in a half-open range (start <= middle < end).
A word cut by an edge goes to the side holding most of it, and of two adjacent ranges exactly
one gets it. Words are `schemas.Word` or the same as a dict (the database keeps dicts)."""

from collections.abc import Iterable


def middle_s(word) -> float:
    if isinstance(word, dict):
        return (word["start"] + word["end"]) / 2
    return (word.start + word.end) / 2


def is_inside(word, start_s: float, end_s: float) -> bool:
    return start_s <= middle_s(word) < end_s


def words_inside[W](words: Iterable[W], start_s: float, end_s: float) -> list[W]:
    return [word for word in words if is_inside(word, start_s, end_s)]
