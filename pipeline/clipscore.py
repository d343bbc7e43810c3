"""A 0-1 score and a short reason for each clip, from signals a transcript gives.

Signals, each 0..1, weighted:
- boundaries (0.35): how strong the topic shift is at the clip's start and end (percentile
  of the gap strength among all gaps; the start or end of the video counts as 1);
- complete thought (0.2): ends on . ! or ?, and does not open with a connective ("but", "so",
  "y", "pero"...) that leans on what came before;
- hook (0.15): the first sentence is a question, or short and direct (you, numbers, why/how);
- speech density (0.15): words per second against the video's own rate (few long silences);
- coherence (0.15): how close the clip's sentences are to their own mean embedding,
  as a percentile against windows of the same size over the whole video.
"""

import re
from dataclasses import dataclass, field

import numpy as np

from .sentences import Sentence
from .texttiling import Span

WEIGHTS = {"boundaries": 0.35, "complete": 0.2, "hook": 0.15, "density": 0.15, "coherence": 0.15}
CONNECTIVES = frozenset(
    "and but so because or also then which that plus anyway y pero entonces porque o también "
    "que además pues sino aunque".split()
)
HOOK_WORDS = re.compile(
    r"\b(you|your|why|how|what|secret|mistake|never|best|worst|most|tú|usted|por qué|cómo|qué|"
    r"nunca|mejor|peor|secreto|error)\b|\d",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ScoringContext:
    """What the scorer needs about the whole transcript."""

    sentences: list[Sentence]
    word_counts: np.ndarray  # per sentence
    gap_percentiles: np.ndarray  # per gap between sentences, 0..1 (0.5 when unknown)
    embeddings: np.ndarray | None  # (N, E) unit vectors or None
    words_per_s: float  # whole video
    cumulative: np.ndarray | None = None  # (N+1, E) running sums of embeddings
    window_norms: dict[int, np.ndarray] = field(default_factory=dict)  # by window size

    def norms_of_windows(self, size: int) -> np.ndarray:
        """|mean embedding| of every run of `size` consecutive sentences."""
        if size not in self.window_norms:
            sums = self.cumulative[size:] - self.cumulative[:-size]
            self.window_norms[size] = np.linalg.norm(sums / size, axis=1)
        return self.window_norms[size]


def build_context(sentences: list[Sentence], strengths: np.ndarray, embeddings: np.ndarray | None) -> ScoringContext:
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
    return ScoringContext(sentences, word_counts, percentiles, embeddings, words_per_s, cumulative)


def score_clip(span: Span, ctx: ScoringContext) -> tuple[float, str]:
    """(score 0..1, reason) for the sentences [span.first, span.end)."""
    signals = {
        "boundaries": _boundaries(span, ctx),
        "complete": _completeness(span, ctx),
        "hook": _hook(ctx.sentences[span.first].text),
        "density": _density(span, ctx),
        "coherence": _coherence(span, ctx),
    }
    score = sum(WEIGHTS[name] * value for name, value in signals.items())
    return round(float(np.clip(score, 0.0, 1.0)), 3), _reason(signals, ctx.sentences[span.first].text)


def _boundaries(span, ctx) -> float:
    start = 1.0 if span.first == 0 else ctx.gap_percentiles[span.first - 1]
    end = 1.0 if span.end == len(ctx.sentences) else ctx.gap_percentiles[span.end - 1]
    return float((start + end) / 2)


def _completeness(span, ctx) -> float:
    opening = ctx.sentences[span.first].text.split()[:1] or [""]
    first_word = opening[0].strip("¿¡\"'“«,").lower()
    ends_well = ctx.sentences[span.end - 1].text.rstrip("\"'”’»)").endswith((".", "!", "?", "…"))
    return (0.5 if ends_well else 0.0) + (0.15 if first_word in CONNECTIVES else 0.5)


def _hook(first_sentence: str) -> float:
    text = first_sentence.strip()
    if text.endswith("?") or text.startswith("¿"):
        return 1.0
    value = 0.3
    if HOOK_WORDS.search(text):
        value += 0.4
    if len(text.split()) <= 12:
        value += 0.2
    return min(value, 1.0)


def _density(span, ctx) -> float:
    words = ctx.word_counts[span.first : span.end].sum()
    rate = words / max(span.duration_s, 1e-6)
    return float(np.clip((rate / max(ctx.words_per_s, 1e-6) - 0.5) / 0.6, 0.0, 1.0))


def _coherence(span, ctx) -> float:
    if ctx.embeddings is None or span.end - span.first < 2:
        return 0.5
    # Mean cosine to the centroid is |centroid| for unit vectors; compare with every run of
    # the same number of sentences over the video.
    size = span.end - span.first
    windows = ctx.norms_of_windows(size)
    return float((windows < windows[span.first]).mean())


def _reason(signals: dict[str, float], first_sentence: str) -> str:
    phrases = {
        "boundaries": ("starts and ends at clear topic changes", "cuts into a running topic"),
        "complete": ("a complete thought", "leans on what came before"),
        "hook": (
            "opens with a question" if first_sentence.rstrip().endswith("?") else "direct opening line",
            "slow opening line",
        ),
        "density": ("dense speech", "long silences"),
        "coherence": ("stays on one subject", "wanders between subjects"),
    }
    # Almost every clip is a complete thought, so that is only worth saying when it is not.
    telling = {name: value for name, value in signals.items() if name != "complete"}
    strong = sorted((n for n, v in telling.items() if v >= 0.75), key=lambda n: -WEIGHTS[n] * signals[n])
    weak = sorted((n for n, v in signals.items() if v < 0.4), key=lambda n: signals[n])
    parts = [phrases[name][0] for name in strong[:2]] + [phrases[name][1] for name in weak[:1]]
    text = "; ".join(parts) or "a complete thought, average on every other signal"
    return text[0].upper() + text[1:]
