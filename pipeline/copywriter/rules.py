"""What a valid copy is: platform length limits, hashtag rules, and the model a draft must pass.

Drafts arrive as plain dicts (from an LLM's JSON or the local drafter); `validate_draft` turns one
into a saved `schemas.ClipCopy` or raises `pydantic.ValidationError` with the reason.
"""

from pydantic import BaseModel, Field, ValidationInfo, field_validator, model_validator

from ..caption_rules import (  # noqa: F401 - the copy stage's names for the shared rules
    MAX_HASHTAGS,
    PLATFORM_CHAR_LIMITS,
    caption,
    char_limit,
    merge_hashtags,
    normalise_hashtag,
)
from ..schemas import ClipCopy, CopyStyle

HOOK_MAX_CHARS = 150
TITLE_MAX_CHARS = 70  # YouTube Shorts / reels title


class DraftCopy(BaseModel):
    """One clip's copy as an LLM (or the local drafter) must return it.

    Validation context (`model_validate(data, context=...)`): `mandatory_hashtags` (list, added
    when missing) and `max_chars` (caption limit of the platform).
    """

    clip_index: int
    hook: str = Field(default="", description="First line a viewer reads")
    title: str = Field(default="", description="Shorts / reels title")
    text: str = Field(min_length=1, description="The caption without hashtags")
    hashtags: list[str] = Field(default_factory=list)
    topics: list[str] = Field(default_factory=list)
    engagement_score: float = Field(ge=0, le=10)
    viral_potential: float = Field(ge=0, le=10)

    @field_validator("text", "hook", "title")
    @classmethod
    def _strip(cls, value: str) -> str:
        return value.strip()

    @field_validator("topics")
    @classmethod
    def _clean_topics(cls, topics: list[str]) -> list[str]:
        return [topic.strip() for topic in topics if topic.strip()][:6]

    @field_validator("hashtags")
    @classmethod
    def _enforce_hashtags(cls, hashtags: list[str], info: ValidationInfo) -> list[str]:
        mandatory = (info.context or {}).get("mandatory_hashtags", [])
        return merge_hashtags(mandatory, hashtags)

    @model_validator(mode="after")
    def _fits_platform(self, info: ValidationInfo) -> "DraftCopy":
        if not self.text:
            raise ValueError("text is empty")
        if not self.hook:
            self.hook = first_line(self.text)
        self.hook = self.hook[:HOOK_MAX_CHARS]
        if not self.title:
            self.title = self.hook if len(self.hook) <= TITLE_MAX_CHARS else ""
        if len(self.title) > TITLE_MAX_CHARS:
            raise ValueError(f"title is {len(self.title)} characters, the limit is {TITLE_MAX_CHARS}")
        max_chars = (info.context or {}).get("max_chars")
        length = len(caption(self.text, self.hashtags))
        if max_chars and length > max_chars:
            raise ValueError(f"caption is {length} characters with hashtags, the limit is {max_chars}")
        return self


def first_line(text: str) -> str:
    return text.strip().splitlines()[0].strip() if text.strip() else ""


def llm_schema() -> dict:
    """JSON schema of a batch answer, as sent to the model (structured output)."""
    copy_schema = {
        "type": "object",
        "properties": {
            "clip_index": {"type": "integer"},
            "hook": {"type": "string"},
            "title": {"type": "string", "maxLength": TITLE_MAX_CHARS},
            "text": {"type": "string"},
            "hashtags": {"type": "array", "items": {"type": "string"}},
            "topics": {"type": "array", "items": {"type": "string"}},
            "engagement_score": {"type": "number", "minimum": 0, "maximum": 10},
            "viral_potential": {"type": "number", "minimum": 0, "maximum": 10},
        },
        "required": [
            "clip_index",
            "hook",
            "title",
            "text",
            "hashtags",
            "topics",
            "engagement_score",
            "viral_potential",
        ],
    }
    return {
        "title": "copy_batch",
        "description": "Social-media copy for each clip",
        "type": "object",
        "properties": {"copies": {"type": "array", "items": copy_schema}},
        "required": ["copies"],
    }


def classifier_schema() -> dict:
    """JSON schema of a classification answer, as sent to the model."""
    item = {
        "type": "object",
        "properties": {
            "clip_index": {"type": "integer"},
            "style": {"type": "string", "enum": ["viral", "educational", "storytelling"]},
            "confidence": {"type": "number", "minimum": 0, "maximum": 1},
        },
        "required": ["clip_index", "style", "confidence"],
    }
    return {
        "title": "clip_styles",
        "description": "The copy style of each clip",
        "type": "object",
        "properties": {"classifications": {"type": "array", "items": item}},
        "required": ["classifications"],
    }


def validate_draft(
    data: dict, *, style: CopyStyle, confidence: float, mandatory_hashtags: list[str], max_chars: int
) -> ClipCopy:
    """A draft dict -> the saved ClipCopy. Raises pydantic.ValidationError when a rule is broken."""
    draft = DraftCopy.model_validate(data, context={"mandatory_hashtags": mandatory_hashtags, "max_chars": max_chars})
    return ClipCopy(style=style, confidence=round(confidence, 3), **draft.model_dump())


def describe_error(exc: Exception) -> str:
    """A one-line reason for a failed validation, for reviewers and for the retry prompt."""
    errors = getattr(exc, "errors", None)
    if callable(errors):
        parts = []
        for error in errors():
            where = ".".join(str(part) for part in error.get("loc", ()))
            message = error.get("msg", "").removeprefix("Value error, ")
            parts.append(f"{where}: {message}" if where else message)
        return "; ".join(parts)
    return str(exc)
