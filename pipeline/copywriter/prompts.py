"""Prompt files in prompts/: `<name>.<language>.md` and `phrases.<language>.json`.

The video's language picks the variant; languages without files fall back to English.
Placeholders are `$name` (string.Template), so JSON examples in a prompt need no escaping.
"""

import functools
import json
from string import Template

from .. import assets

LANGUAGES = ("en", "es")


def prompt_language(language: str | None) -> str:
    """'es', 'es-MX' -> 'es'; anything without prompt files -> 'en'."""
    code = (language or "en").lower().split("-")[0].split("_")[0]
    return code if code in LANGUAGES else "en"


@functools.cache
def _read(file_name: str) -> str:
    return (assets.PROMPTS_DIR / file_name).read_text(encoding="utf-8")


def prompt(name: str, language: str, **values) -> str:
    """The prompt `name` ("classifier", "viral", ...) in `language`, placeholders filled."""
    return Template(_read(f"{name}.{prompt_language(language)}.md")).safe_substitute(values)


def phrases(language: str) -> dict:
    """Short language-specific texts: retry feedback, calls to action, style descriptions."""
    return json.loads(_read(f"phrases.{prompt_language(language)}.json"))


def phrase(key: str, language: str, **values) -> str:
    return Template(phrases(language)[key]).safe_substitute(values)
