"""Test data for clip finding: Choi-style documents from bench/texts, timed like speech.

A Choi-style document joins segments of 4-10 consecutive sentences, each from a different
source text; the true topic boundaries are the joins. Words get times at a speaking rate,
with a pause after every sentence (longer, on average, where a topic ends when asked).
"""

import random
from pathlib import Path

from pipeline.schemas import Transcript, Word

TEXTS_DIR = Path(__file__).resolve().parent.parent / "bench" / "texts"


def source_texts() -> dict[str, list[str]]:
    """{name: sentences}: one sentence per line in bench/texts/*.txt."""
    return {
        path.stem: [line.strip() for line in path.read_text().splitlines() if line.strip()]
        for path in sorted(TEXTS_DIR.glob("*.txt"))
    }


def choi_document(seed: int, *, segments: int = 10, min_len: int = 4, max_len: int = 10):
    """(sentences, segment_ids): consecutive runs from different texts, chosen by seed."""
    rng = random.Random(seed)
    texts = source_texts()
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
    language: str = "en",
) -> Transcript:
    """Words with times: durations by word length, jittered pauses after each sentence.

    topic_pause_s: mean pause where the segment changes; None = same as other sentence ends.
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
        topic_ends = i + 1 < len(sentences) and segment_ids[i + 1] != segment_ids[i]
        mean_pause = topic_pause_s if topic_ends and topic_pause_s is not None else sentence_pause_s
        t += mean_pause * rng.lognormvariate(0, 0.45)
    return Transcript(language=language, duration=round(t + 0.5, 3), words=words, model="synthetic")


def boundary_string(segment_ids: list[int]) -> str:
    """nltk pk/windowdiff format: one char per sentence, "1" where a segment ends after it."""
    return "".join("1" if a != b else "0" for a, b in zip(segment_ids, segment_ids[1:])) + "0"
