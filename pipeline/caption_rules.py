"""What a caption may be, written once: platform length limits, hashtag normalisation and the
mandatory hashtags. Used by the copy stage (copywriter.rules), the review forms (clips.review)
and, through `browser_rules()` in a JSON blob on the page, the browser's character counter.
"""

import re

from .errors import InputError
from .schemas import Platform, values

# Characters a caption may hold, text and hashtags together ("text\n\n#a #b"), as each platform
# counts them for the field the copy goes into (YouTube: the Shorts title).
PLATFORM_CHAR_LIMITS: dict[Platform, int] = {"tiktok": 2200, "instagram": 2200, "youtube": 100, "x": 280}
MAX_HASHTAGS = 8
HASHTAG_SEPARATOR = " "
TEXT_HASHTAG_SEPARATOR = "\n\n"

_HASHTAG_JUNK = re.compile(r"[^\w]", re.UNICODE)
_TYPED_SEPARATORS = re.compile(r"[\s,]+")

assert set(PLATFORM_CHAR_LIMITS) == set(values(Platform)), "a platform without a limit"


def char_limit(platform: str) -> int:
    """The caption length limit (characters) of a target platform."""
    try:
        return PLATFORM_CHAR_LIMITS[platform.lower()]
    except KeyError:
        known = ", ".join(PLATFORM_CHAR_LIMITS)
        raise InputError(f"Unknown platform {platform!r}: use one of {known}") from None


def normalise_hashtag(tag: str) -> str:
    """'#AI CDMX' / 'aicdmx' -> '#AICDMX'; '' when nothing usable is left."""
    body = _HASHTAG_JUNK.sub("", tag.strip().lstrip("#"))
    return f"#{body}" if body else ""


def unique_hashtags(tags) -> list[str]:
    """Normalised, junk and duplicates (any case) dropped, first spelling kept, order kept."""
    seen: set[str] = set()
    kept = []
    for tag in tags:
        tag = normalise_hashtag(tag)
        if tag and tag.lower() not in seen:
            seen.add(tag.lower())
            kept.append(tag)
    return kept


def parse_hashtags(raw: str) -> list[str]:
    """Hashtags typed as '#a #b, c' -> ['#a', '#b', '#c']."""
    return unique_hashtags(_TYPED_SEPARATORS.split(raw or ""))


def merge_hashtags(mandatory: list[str], others: list[str]) -> list[str]:
    """Mandatory hashtags first, then the others, at most MAX_HASHTAGS (more if mandatory)."""
    merged = unique_hashtags([*mandatory, *others])
    return merged[: max(MAX_HASHTAGS, len(mandatory))]


def caption(text: str, hashtags: list[str]) -> str:
    """The caption as posted: the text, a blank line, the hashtags."""
    return f"{text}{TEXT_HASHTAG_SEPARATOR}{HASHTAG_SEPARATOR.join(hashtags)}" if hashtags else text


def caption_problems(text: str, hashtags: list[str], *, platform: str, mandatory: list[str]) -> dict[str, str]:
    """Why an edited caption cannot be saved, by field ("text", "hashtags"); empty when it can."""
    problems = {}
    if not text.strip():
        problems["text"] = "The caption text cannot be empty."
    have = {tag.lower() for tag in hashtags}
    missing = [tag for tag in unique_hashtags(mandatory) if tag.lower() not in have]
    if missing:
        problems["hashtags"] = f"Mandatory hashtag{'s' if len(missing) > 1 else ''} missing: {' '.join(missing)}"
    length, limit = len(caption(text.strip(), hashtags)), char_limit(platform)
    if length > limit:
        problems["text"] = f"The caption is {length} characters with its hashtags; the {platform} limit is {limit}."
    return problems


def browser_rules(*, platform: str, mandatory: list[str]) -> dict:
    """What the page's caption counter needs (rendered with json_script)."""
    return {
        "platform": platform,
        "limit": char_limit(platform),
        "mandatory": unique_hashtags(mandatory),
        "textHashtagSeparator": TEXT_HASHTAG_SEPARATOR,
        "hashtagSeparator": HASHTAG_SEPARATOR,
    }
