"""Test data for clip finding: Choi-style documents from bench/texts, timed like speech.

A Choi-style document joins segments of 4-10 consecutive sentences, each from a different
source text; the true topic boundaries are the joins. Words get times at a speaking rate,
with a pause after every sentence (longer, on average, where a topic ends when asked).
"""

import random
import re
from functools import cache
from pathlib import Path

from pipeline.schemas import Transcript, Word
from pipeline.sentences import ABBREVIATIONS, split_sentences

TEXTS_DIR = Path(__file__).resolve().parent.parent / "bench" / "texts"
# How pauses between sentences are drawn: "topic" = longer on average where a topic ends (the
# answer leaks into the pauses); "uniform" = one pause length everywhere; "noise" = pauses like
# real speech (log-normal, plus occasional long hesitations) that ignore topics.
PAUSE_MODES = ("topic", "uniform", "noise")


def source_texts() -> dict[str, list[str]]:
    """{name: sentences}: one sentence per line in bench/texts/*.txt."""
    return {
        path.stem: [line.strip() for line in path.read_text().splitlines() if line.strip()]
        for path in sorted(TEXTS_DIR.glob("*.txt"))
    }


@cache
def real_texts() -> dict[str, list[str]]:
    """{name: sentences} of prose nobody here wrote, shipped with Python and scikit-learn.

    Python's own reference topics (pydoc_data) and scikit-learn's dataset descriptions; code,
    tables and markup are dropped, and only texts with at least 10 prose sentences are kept.
    """
    import pydoc_data.topics

    raw = {f"py:{name}": text for name, text in pydoc_data.topics.topics.items()}
    try:
        import sklearn.datasets

        descr = Path(sklearn.datasets.__file__).parent / "descr"
        raw |= {f"sk:{path.stem}": path.read_text() for path in sorted(descr.glob("*.rst"))}
    except ImportError:
        pass
    texts = {}
    raw.pop("py:compound", None)  # the if/while/for/try/with topics again, joined
    for name, text in sorted(raw.items()):
        sentences = _prose_sentences(text)
        if len(sentences) >= 10:
            texts[name] = sentences
    return texts


def _prose_sentences(text: str) -> list[str]:
    paragraphs = re.split(r"\n\s*\n", text)
    prose = []
    for paragraph in paragraphs:
        lines = paragraph.splitlines()
        # Code, grammar, tables, headings and lists start indented or with markup.
        if not lines or any(line.startswith((" ", "\t", "=", "*", "-", "..", ">>>", "|", "+")) for line in lines):
            continue
        flat = re.sub(r"[`*]+|:\w+:|<[^>]*>|_\b", "", " ".join(lines))
        flat = re.sub(r"\s+", " ", flat).strip()
        for sentence in re.split(r"(?<=[.!?])\s+(?=[A-Z\"])", flat):
            words = sentence.split()
            last = words[-1].rstrip(".!?").lower() if words else ""
            if (
                6 <= len(words) <= 45
                and sentence.endswith((".", "?", "!"))
                and sentence[0].isupper()
                and last not in ABBREVIATIONS
                and len(last) > 1  # "x." or "e." would join the next sentence
                and len(split_sentences([Word(text=w, start=i, end=i + 0.5) for i, w in enumerate(words)])) == 1
            ):
                prose.append(sentence)
    return prose


def choi_document(
    seed: int, *, segments: int = 10, min_len: int = 4, max_len: int = 10, texts: dict[str, list[str]] | None = None
):
    """(sentences, segment_ids): consecutive runs from different texts, chosen by seed."""
    rng = random.Random(seed)
    texts = source_texts() if texts is None else texts
    names = rng.sample(sorted(texts), segments)
    sentences, segment_ids = [], []
    for seg, name in enumerate(names):
        lines = texts[name]
        length = min(rng.randint(min_len, max_len), len(lines))
        first = rng.randint(0, len(lines) - length)
        sentences += lines[first : first + length]
        segment_ids += [seg] * length
    return sentences, segment_ids


def timed_transcript(
    sentences: list[str],
    segment_ids: list[int],
    *,
    seed: int = 0,
    words_per_s: float = 2.6,
    sentence_pause_s: float = 0.45,
    topic_pause_s: float | None = 1.0,
    pause_mode: str = "topic",
    language: str = "en",
) -> Transcript:
    """Words with times: durations by word length, pauses after each sentence.

    pause_mode: one of PAUSE_MODES. topic_pause_s ("topic" mode): mean pause where the
    segment changes; None = same as other sentence ends.
    """
    rng = random.Random(seed)
    words, t = [], 0.3
    mean_word_s = 1.0 / words_per_s
    for i, sentence in enumerate(sentences):
        tokens = sentence.split()
        mean_len = sum(len(w) for w in tokens) / len(tokens)
        for token in tokens:
            duration = mean_word_s * 0.85 * (0.5 + 0.5 * len(token) / mean_len)
            words.append(Word(text=" " + token, start=round(t, 3), end=round(t + duration, 3)))
            t += duration + mean_word_s * 0.15 * rng.uniform(0.2, 1.8)
        t += _pause_after(i, sentences, segment_ids, rng, pause_mode, sentence_pause_s, topic_pause_s)
    return Transcript(language=language, duration=round(t + 0.5, 3), words=words, model="synthetic")


def _pause_after(i, sentences, segment_ids, rng, mode, sentence_pause_s, topic_pause_s) -> float:
    if mode == "uniform":
        return sentence_pause_s
    if mode == "noise":
        # Read speech: most pauses 0.2-0.9 s, one in ten a 1-2.5 s breath or hesitation.
        pause = sentence_pause_s * rng.lognormvariate(0, 0.6)
        return pause + (rng.uniform(1.0, 2.5) if rng.random() < 0.1 else 0.0)
    topic_ends = i + 1 < len(sentences) and segment_ids[i + 1] != segment_ids[i]
    mean_pause = topic_pause_s if topic_ends and topic_pause_s is not None else sentence_pause_s
    return mean_pause * rng.lognormvariate(0, 0.45)


def boundary_string(segment_ids: list[int]) -> str:
    """nltk pk/windowdiff format: one char per sentence, "1" where a segment ends after it."""
    return "".join("1" if a != b else "0" for a, b in zip(segment_ids, segment_ids[1:])) + "0"
