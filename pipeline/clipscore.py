"""A clip's score (0-1, shown as 0-100), its named sub-scores (0-100) and a one-line reason.

Sub-scores, each from what the transcript (and the audio's loudness, when known) says:
- hook: the first sentence asks a question, speaks to the viewer, names a number, promises
  (why/how/secret/mistake), and is short;
- self_contained: the clip starts and ends where the topic changes (percentile of the gap
  strength among all gaps; the video's start and end count as clear changes) and opens on a
  sentence that needs nothing before it;
- payoff: the last sentence closes the point (a statement, not a set-up; a conclusion marker
  such as "that's why" or "in the end", or a number, makes it stronger);
- coherence: how close the clip's sentences are to their own mean embedding, as a percentile
  against runs of the same number of sentences over the whole video;
- energy: speech rate against the video's own, variation of rate and of loudness between
  sentences, and questions, numbers and lists ("first", "second", "three things").
The score is their weighted sum (WEIGHTS); the reason names the strongest and the weakest.
"""

import re
from dataclasses import dataclass, field

import numpy as np

from .clipedges import depends_on_previous, is_setup
from .sentences import Sentence
from .texttiling import Span

WEIGHTS = {"hook": 0.2, "self_contained": 0.3, "payoff": 0.15, "coherence": 0.15, "energy": 0.2}
LABELS = {
    "hook": "hook",
    "self_contained": "self-contained",
    "payoff": "payoff",
    "coherence": "coherence",
    "energy": "energy",
}
HOOK_WORDS = re.compile(
    r"\b(you|your|why|how|what|secret|mistake|never|best|worst|most|truth|tú|usted|por qué|cómo|qué|"
    r"nunca|mejor|peor|secreto|error|verdad)\b|\d",
    re.IGNORECASE,
)
CONCLUDES = re.compile(
    r"\b(that'?s why|this is why|in the end|the lesson|the answer|the point is|which means|so remember|"
    r"por eso|al final|la lección|la respuesta|lo importante)\b",
    re.IGNORECASE,
)
NUMBER = re.compile(
    r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|hundred|thousand|million|billion|percent|"
    r"uno|dos|tres|cuatro|cinco|cien|mil|millón|millones|por ciento)\b",
    re.IGNORECASE,
)
LIST_MARKERS = re.compile(
    r"\b(first(ly)?|second(ly)?|third(ly)?|finally|number (one|two|three)|next|lastly|"
    r"primero|segundo|tercero|por último|finalmente)\b",
    re.IGNORECASE,
)
LOUDNESS_SPREAD_DB = 4.0  # std of sentence loudness (dB) that counts as fully lively
RATE_SPREAD = 0.35  # std of sentence speech rate / mean rate that counts as fully lively


@dataclass(frozen=True)
class ScoringContext:
    """What the scorer needs about the whole transcript."""

    sentences: list[Sentence]
    word_counts: np.ndarray  # per sentence
    gap_percentiles: np.ndarray  # per gap between sentences, 0..1 (0.5 when unknown)
    embeddings: np.ndarray | None  # (N, E) unit vectors or None
    words_per_s: float  # whole video
    cumulative: np.ndarray | None = None  # (N+1, E) running sums of embeddings
    loudness_db: np.ndarray | None = None  # per sentence, when the audio was measured
    window_norms: dict[int, np.ndarray] = field(default_factory=dict)  # by window size

    def norms_of_windows(self, size: int) -> np.ndarray:
        """|mean embedding| of every run of `size` consecutive sentences."""
        if size not in self.window_norms:
            sums = self.cumulative[size:] - self.cumulative[:-size]
            self.window_norms[size] = np.linalg.norm(sums / size, axis=1)
        return self.window_norms[size]


def build_context(
    sentences: list[Sentence],
    strengths: np.ndarray,
    embeddings: np.ndarray | None,
    loudness_db: np.ndarray | None = None,
) -> ScoringContext:
    """Per-transcript facts for score_clip; strengths: per gap (may be empty), embeddings: (N, E)."""
    word_counts = np.array([s.end_word - s.first_word for s in sentences])
    if len(strengths) and strengths.std() > 0:
        ranks = np.argsort(np.argsort(strengths))
        percentiles = ranks / max(len(strengths) - 1, 1)
    else:
        percentiles = np.full(max(len(sentences) - 1, 0), 0.5)
    spoken_s = sum(s.end_s - s.start_s for s in sentences)
    cumulative = None
    if embeddings is not None:
        embeddings = embeddings / np.maximum(np.linalg.norm(embeddings, axis=1, keepdims=True), 1e-9)
        cumulative = np.vstack([np.zeros((1, embeddings.shape[1])), np.cumsum(embeddings, axis=0)])
    words_per_s = word_counts.sum() / max(spoken_s, 1e-6)
    return ScoringContext(sentences, word_counts, percentiles, embeddings, words_per_s, cumulative, loudness_db)


def score_clip(span: Span, ctx: ScoringContext) -> tuple[float, str, dict[str, int]]:
    """(score 0..1, reason, sub-scores 0..100) for the sentences [span.first, span.end)."""
    texts = [s.text for s in ctx.sentences[span.first : span.end]]
    signals = {
        "hook": hook_strength(texts[0]),
        "self_contained": _self_contained(span, ctx),
        "payoff": payoff_strength(texts[-1]),
        "coherence": _coherence(span, ctx),
        "energy": _energy(span, ctx, texts),
    }
    score = sum(WEIGHTS[name] * value for name, value in signals.items())
    subscores = {name: round(100 * value) for name, value in signals.items()}
    return round(float(np.clip(score, 0.0, 1.0)), 3), _reason(signals, texts[0]), subscores


def hook_strength(first_sentence: str) -> float:
    text = first_sentence.strip()
    if depends_on_previous(text):
        return 0.1
    if text.endswith("?") or text.startswith("¿"):
        return 1.0
    value = 0.3 + 0.4 * bool(HOOK_WORDS.search(text)) + 0.2 * (len(text.split()) <= 12)
    return min(value, 1.0)


def payoff_strength(last_sentence: str) -> float:
    if is_setup(last_sentence):
        return 0.1
    value = 0.55 + 0.3 * bool(CONCLUDES.search(last_sentence)) + 0.15 * bool(NUMBER.search(last_sentence))
    return min(value, 1.0)


def _self_contained(span, ctx) -> float:
    start = 1.0 if span.first == 0 else ctx.gap_percentiles[span.first - 1]
    end = 1.0 if span.end == len(ctx.sentences) else ctx.gap_percentiles[span.end - 1]
    opens_alone = span.first == 0 or not depends_on_previous(ctx.sentences[span.first].text)
    return float(0.8 * (start + end) / 2 + 0.2 * opens_alone)


def _coherence(span, ctx) -> float:
    if ctx.embeddings is None or span.end - span.first < 2:
        return 0.5
    # Mean cosine to the centroid is |centroid| for unit vectors; compare with every run of
    # the same number of sentences over the video.
    size = span.end - span.first
    windows = ctx.norms_of_windows(size)
    return float((windows < windows[span.first]).mean())


def _energy(span, ctx, texts) -> float:
    sentences = ctx.sentences[span.first : span.end]
    durations = np.array([max(s.end_s - s.start_s, 0.2) for s in sentences])
    rates = ctx.word_counts[span.first : span.end] / durations
    words = ctx.word_counts[span.first : span.end].sum()
    pace = np.clip((words / max(span.duration_s, 1e-6) / max(ctx.words_per_s, 1e-6) - 0.5) / 0.6, 0, 1)
    rate_variation = np.clip(rates.std() / max(rates.mean(), 1e-6) / RATE_SPREAD, 0, 1)
    text = " ".join(texts)
    questions = min(sum(t.rstrip().endswith("?") for t in texts) / 2, 1.0)
    numbers = min(len(NUMBER.findall(text)) / 3, 1.0)
    lists = min(len(LIST_MARKERS.findall(text)) / 2, 1.0)
    parts = {"pace": (0.35, pace), "rate": (0.15, rate_variation), "questions": (0.15, questions)}
    parts |= {"numbers": (0.1, numbers), "lists": (0.1, lists)}
    if ctx.loudness_db is not None and span.end - span.first >= 2:
        loud = np.clip(ctx.loudness_db[span.first : span.end].std() / LOUDNESS_SPREAD_DB, 0, 1)
        parts["loudness"] = (0.15, loud)
    total = sum(w for w, _ in parts.values())
    return float(sum(w * v for w, v in parts.values()) / total)


def _reason(signals: dict[str, float], first_sentence: str) -> str:
    phrases = {
        "hook": (
            "opens with a question" if first_sentence.rstrip().endswith("?") else "strong opening line",
            "slow opening line",
        ),
        "self_contained": ("stands on its own, from one topic change to the next", "cuts into a running topic"),
        "payoff": ("ends on its point", "ends before its point"),
        "coherence": ("stays on one subject", "wanders between subjects"),
        "energy": ("lively delivery", "flat delivery"),
    }
    strong = sorted((n for n, v in signals.items() if v >= 0.7), key=lambda n: -WEIGHTS[n] * signals[n])
    weak = sorted((n for n, v in signals.items() if v < 0.4), key=lambda n: signals[n])
    parts = [phrases[name][0] for name in strong[:2]] + [phrases[name][1] for name in weak[:1]]
    text = "; ".join(parts) or "average on every signal"
    return text[0].upper() + text[1:]
