"""Where a clip may open and close: never on a sentence that leans on the one before it, and
not on a set-up whose point comes after the clip. English and Spanish word lists.

A sentence depends on the previous one when it opens with a connective ("And", "But", "So",
"Pero"), a linking phrase ("That's why", "Por eso"), or a pronoun that can only refer back
("He", "They", "It", "Ella"; "That"/"This" only when a verb follows: "That was the problem").
A clip opening there is extended back to the sentence that carries the reference, or, when
that would break the length limit, starts later. A closing sentence is a set-up when it asks
a question, ends on ":" or "…", announces what comes next ("Here's why:"), or when the next
sentence goes on with the same point ("But…", "That's why…"); the clip then takes one or two
more sentences, or ends earlier.
"""

import re

from .sentences import Sentence

MAX_STEPS = 3  # sentences a clip edge may move to find a self-contained opening or closing
CONNECTIVES = frozenset(
    "and but so because or nor also then which plus anyway however therefore thus hence besides "
    "still yet otherwise instead meanwhile furthermore moreover "
    "y e pero entonces porque o u también además pues sino aunque luego asimismo".split()
)
LINKING = re.compile(
    r"^(that'?s (why|because|how|what|when|where|the reason)|that is (why|because)|this is (why|because)|"
    r"which (is|means|was)|and so|because of (this|that)|as a result|in that case|after that|"
    r"por eso|es por eso|así que|sin embargo|por lo tanto|por (lo|eso) que|a pesar de eso|"
    r"de ahí|después de eso|en ese caso|eso (es|fue|significa)|esto (es|fue|significa))\b",
    re.IGNORECASE,
)
BACK_PRONOUNS = frozenset(
    "he she it they them his her its their him it's they're he's she's they've they'd it'll "
    "él ella ellos ellas lo la los las le les su sus".split()
)
DEMONSTRATIVES = frozenset("this that these those esto eso esta este estos estas esa ese esos esas aquello".split())
VERBS_AFTER_DEMONSTRATIVE = frozenset(
    "is was are were will would can could means meant made makes happened happens did does "
    "es fue son eran será significa hace hizo pasó está estaba".split()
)
ANNOUNCES = re.compile(
    r"^(here'?s|here is|here are|let me|let's (talk|look|see)|i'?ll (tell|show|explain)|imagine|"
    r"te (cuento|voy)|les (cuento|voy)|déjame|vamos a ver|mira)\b",
    re.IGNORECASE,
)
TERMINALS = (".", "!", "…")
STRIP = "¿¡\"'“”«»‘’()[],;:"


def words_of(text: str) -> list[str]:
    return [w.strip(STRIP).lower() for w in text.split() if w.strip(STRIP)]


def depends_on_previous(text: str) -> bool:
    """True when the sentence only makes sense after the one before it."""
    words = words_of(text)
    if not words:
        return False
    first = words[0].replace("’", "'")
    if first in CONNECTIVES or first in BACK_PRONOUNS:
        return True
    if LINKING.match(" ".join(words).replace("’", "'")):
        return True
    return first in DEMONSTRATIVES and len(words) > 1 and words[1] in VERBS_AFTER_DEMONSTRATIVE


def is_setup(text: str) -> bool:
    """True when the sentence prepares a point it does not make (a clip should not end on it)."""
    closing = text.rstrip().rstrip("\"'”’»)")
    if not closing.endswith(TERMINALS) or closing.endswith(("...", "…")):
        return True  # a question, a colon, an unfinished or trailing sentence
    return bool(ANNOUNCES.match(text.strip().lstrip(STRIP)))


def continues_previous(text: str) -> bool:
    """True when the sentence carries on the point of the one before (so that one is no ending).

    A leading pronoun alone does not count: "It" may start a new point about the same subject.
    """
    words = words_of(text)
    return bool(words) and (words[0] in CONNECTIVES or bool(LINKING.match(" ".join(words).replace("’", "'"))))


def settle_edges(first: int, end: int, sentences: list[Sentence], min_s: float, max_s: float) -> tuple[int, int] | None:
    """The nearest [first, end) that opens and closes cleanly within min_s..max_s, or None.

    Openings move back first (the context is usually one sentence before), then forward;
    closings move forward first (the payoff follows the set-up), then back.
    """
    n = len(sentences)

    def length(a: int, b: int) -> float:
        return sentences[b - 1].end_s - sentences[a].start_s

    def opens_well(a: int) -> bool:
        return a == 0 or not depends_on_previous(sentences[a].text)

    def closes_well(b: int) -> bool:
        return not is_setup(sentences[b - 1].text) and (b == n or not continues_previous(sentences[b].text))

    opening = [a for a in _tries(first, 0, end - 1) if opens_well(a)]
    closing = [b for b in _tries(end, first + 1, n, forward_first=True) if closes_well(b)]
    for a in opening:
        for b in closing:
            if b > a and min_s <= length(a, b) <= max_s:
                return a, b
    return None


def _tries(start: int, lo: int, hi: int, *, forward_first: bool = False) -> list[int]:
    """start, then up to MAX_STEPS positions one way, then the other way, inside [lo, hi]."""
    back = [start - i for i in range(1, MAX_STEPS + 1) if start - i >= lo]
    ahead = [start + i for i in range(1, MAX_STEPS + 1) if start + i <= hi]
    return [start] + (ahead + back if forward_first else back + ahead)
