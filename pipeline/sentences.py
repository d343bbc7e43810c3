"""Sentences from timed words, offline (no nltk data), for Whisper output in English or Spanish.

A sentence ends after a word ending in . ! ? or an ellipsis, unless the word is a known
abbreviation ("Dr.", "Sra.", "etc.") or the next word starts in lower case (Whisper writes
"so... we" mid-sentence). Runs that Whisper left unpunctuated are cut at their longest pause.
"""

from dataclasses import dataclass

import numpy as np

from .schemas import Word

# Lower-case, without the final dot. English and Spanish titles and Latin shorthands.
ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof sr sra srta st jr vs etc e.g i.e approx dept est fig inc ltd co corp "
    "gen gov lt mt ud uds dña dn av avda pág núm lic ing arq cia ee uu ee.uu".split()
)
CLOSERS = "\"'”’»)]}"
OPENERS = "\"'“‘«([{¿¡"
TERMINALS = (".", "!", "?", "…", "。", "？", "！")


@dataclass(frozen=True)
class Sentence:
    text: str
    start_s: float
    end_s: float
    first_word: int  # index into the transcript's words
    end_word: int  # one past the last word


def split_sentences(words: list[Word], *, max_words: int = 60, max_s: float = 30.0) -> list[Sentence]:
    """Group words into sentences; every word belongs to exactly one sentence, in order.

    max_words / max_s (seconds): longer unpunctuated runs are cut at their longest pause.
    """
    texts = [w.text.strip() for w in words]
    ends = [i for i in range(len(texts)) if _ends_sentence(texts, i)]
    if texts and (not ends or ends[-1] != len(texts) - 1):
        ends.append(len(texts) - 1)
    starts = np.array([w.start for w in words], dtype=float)
    stops = np.array([w.end for w in words], dtype=float)
    sentences = []
    first = 0
    for last in ends:
        for a, b in _cut_long_run(first, last + 1, texts, starts, stops, max_words, max_s):
            text = " ".join(t for t in texts[a:b] if t)
            sentences.append(Sentence(text, float(starts[a]), float(stops[b - 1]), a, b))
        first = last + 1
    return sentences


def _ends_sentence(texts: list[str], i: int) -> bool:
    token = texts[i].rstrip(CLOSERS)
    if not token.endswith(TERMINALS):
        return False
    following = texts[i + 1].lstrip(OPENERS) if i + 1 < len(texts) else ""
    next_is_lower = following[:1].islower()
    if token.endswith(("?", "!", "？", "！")):
        return True
    if token.endswith(("…", "...")):
        return not next_is_lower
    bare = token.lower().rstrip(".")
    if bare in ABBREVIATIONS or (len(bare) == 1 and bare.isalpha() and following[:1].isupper()):
        return False  # "Dr. Smith", "J. Smith"
    return not next_is_lower


def _cut_long_run(first, end, texts, starts, stops, max_words, max_s):
    """Yield (first, end) word ranges, splitting a too long run at its longest pause."""
    if end - first <= max_words and stops[end - 1] - starts[first] <= max_s or end - first < 8:
        yield first, end
        return
    # gap after word j = next start - this end; a comma adds the equivalent of 0.3 s of pause
    inner = np.arange(first + 3, end - 4)  # keep at least 4 words on each side
    gaps = starts[inner + 1] - stops[inner]
    commas = np.array([texts[j].rstrip(CLOSERS).endswith((",", ";", ":")) for j in inner])
    cut = int(inner[np.argmax(gaps + 0.3 * commas)]) + 1
    yield from _cut_long_run(first, cut, texts, starts, stops, max_words, max_s)
    yield from _cut_long_run(cut, end, texts, starts, stops, max_words, max_s)
