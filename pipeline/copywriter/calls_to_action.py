"""Calls to action for local drafts: one that fits each clip, varied across a video's clips.

Kinds: a clip that asks the viewer something (or a viral hot take) invites opinions; an
explainer says save or share; a story teases its ending. The lines live in prompts/phrases.*.json
("calls_to_action"); `$topic` / `$Topic` in a line is the clip's main key phrase, used as a label
or before a noun ('this coffee explainer') so it reads right whatever the phrase is.
"""

import re

from ..schemas import CopyStyle
from . import hooks, prompts

KINDS = ("question", "explainer", "story")


_FIRST_PERSON = re.compile(r"\b(i|me|my|we|our|us|yo|mi|mis|nosotros|nos|conmigo)\b", re.IGNORECASE)


def kind_of(style: CopyStyle, sentences: list[str]) -> str:
    """Which kind of call to action fits a clip of this style saying these sentences.

    The style alone is not enough: a 'storytelling' history lesson is still an explainer (no
    one tells it in the first person), a 'viral' list of facts asks nobody anything."""
    text = " ".join(sentences)
    first_person = len(_FIRST_PERSON.findall(text))
    asks_viewer = any(hooks.is_question(s) and hooks.addresses_viewer(s) for s in sentences[1:] or sentences)
    if style == "storytelling" and first_person >= 2:
        return "story"
    if asks_viewer and len(sentences) > 1 and style != "educational":
        return "question"
    if style == "viral" and (hooks.addresses_viewer(text) or "!" in text):
        return "question"
    if style == "educational" and hooks.is_question(sentences[-1]) and hooks.addresses_viewer(sentences[-1]):
        return "question"  # an explainer that ends by asking the viewer wants answers
    return "explainer"


def plan(kinds: dict[int, str], has_topic: dict[int, bool], language: str) -> dict[int, str]:
    """{clip_index: call to action}, in clip order: each clip takes the first line of its kind not
    yet used in this video (starting at a clip-dependent place, so videos differ); when a kind's
    lines run out, the least used one that differs from the previous clip's line."""
    pools = prompts.phrases(language)["calls_to_action"]
    used: dict[str, int] = {}
    previous = ""
    chosen: dict[int, str] = {}
    for clip_index in sorted(kinds):
        lines = [line for line in pools[kinds[clip_index]] if has_topic.get(clip_index) or "$" not in line.lower()]
        offset = clip_index % len(lines)
        rotated = lines[offset:] + lines[:offset]
        fresh = [line for line in rotated if line not in used]
        if fresh:
            line = fresh[0]
        else:
            line = min((line for line in rotated if line != previous), key=lambda item: used[item], default=rotated[0])
        used[line] = used.get(line, 0) + 1
        chosen[clip_index] = line
        previous = line
    return chosen


def fill(line: str, topic: str) -> str:
    """The line with `$topic` (as the phrase is written) and `$Topic` (capitalised) filled in."""
    line = line.replace("$Topic", hooks.capitalise(topic))
    return line.replace("$topic", topic)
