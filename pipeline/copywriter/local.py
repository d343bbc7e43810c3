"""The local default: no LLM, no key. Drafts a person can start from, labelled as local drafts.

- Style: zero-shot classification with the packaged sentence-embedding model (all-MiniLM-L6-v2):
  the clip's mean sentence embedding against example sentences of each style (prompts/phrases.*).
- Hook: the sentence that scores best on centrality (cosine to the clip) plus bonuses for a
  question, addressing the viewer, a number, an exclamation, being early and of a readable length.
- Hashtags and topics: frequent keywords (English + Spanish stop words removed) reranked by
  cosine to the clip, so the clip's subject wins over incidental words.
- Scores: a documented heuristic (`heuristic_scores`), not a prediction.
"""

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import config
from ..schemas import ClipProposal, CopyStyle
from . import keywords, prompts, rules

STYLES: tuple[CopyStyle, ...] = ("viral", "educational", "storytelling")
STYLE_EMOJI = {"viral": "🔥", "educational": "💡", "storytelling": "🎬"}
SOFTMAX_TEMPERATURE = 0.05  # cosine gaps between styles are small; this spreads them to 0..1
TOP_EXAMPLES = 2
CUE_WEIGHT = 0.1  # cosine units for a cue in every sentence
MAX_SENTENCES = 24  # embedded per clip: bounds the cost of long clips (MiniLM ~30 sentences/s here)
KEYWORD_CANDIDATES = 10
EMBED_BATCH = 128
TOPICAL_HASHTAGS = 3
HOOK_SOFT_MAX_CHARS = 110
_YOU = re.compile(r"\b(you|your|you're|tú|tu|te|usted|ustedes|vosotros)\b", re.IGNORECASE)

_examples: dict[tuple[str, str], dict[str, np.ndarray]] = {}


def embedder(configured: str = ""):
    """The sentence-transformers model, shared with clip finding: loaded once per process."""
    from ..embeddings import load_model

    return load_model(configured)


def model_label(configured: str = "") -> str:
    """What CopiesResult.model says for local drafts."""
    configured = configured or config.current().embedding_model
    return f"local:{Path(configured).name}" if configured else "local:all-MiniLM-L6-v2"


def _embed(texts: list[str], configured: str) -> np.ndarray:
    return embedder(configured).encode(
        texts, normalize_embeddings=True, convert_to_numpy=True, batch_size=EMBED_BATCH, show_progress_bar=False
    )


@dataclass
class ClipAnalysis:
    """A clip's sentences, keyword candidates and their embeddings, for classifying and drafting."""

    sentences: list[str]  # the embedded ones (see _sample), in order
    positions: np.ndarray  # their index among all the clip's sentences, 0..1
    sentence_vectors: np.ndarray  # (n, d), unit length
    clip_vector: np.ndarray  # (d,), unit length
    candidates: list[str]  # keyword candidates, most frequent first
    candidate_vectors: np.ndarray  # (k, d), unit length


def analyse(clips: dict[int, ClipProposal], embedding_model: str = "", on_progress=None) -> dict[int, ClipAnalysis]:
    """Embed every clip's sentences and keyword candidates, in batches of EMBED_BATCH.

    `on_progress(done, total)` is called after each batch (texts embedded so far).
    """
    parts = {}
    for clip_index, clip in clips.items():
        every = keywords.sentences(clip.text) or [clip.text.strip() or "…"]
        chosen = _sample(len(every))
        positions = np.array(chosen, dtype=float) / max(len(every) - 1, 1)
        parts[clip_index] = ([every[i] for i in chosen], positions, keywords.candidates(clip.text, KEYWORD_CANDIDATES))
    flat = [text for sentences, _, found in parts.values() for text in [*sentences, *found]]
    batches = []
    for start in range(0, len(flat), EMBED_BATCH):
        batches.append(_embed(flat[start : start + EMBED_BATCH], embedding_model))
        if on_progress:
            on_progress(min(start + EMBED_BATCH, len(flat)), len(flat))
    vectors = np.concatenate(batches)
    analyses, offset = {}, 0
    for clip_index, (sentences, positions, found) in parts.items():
        own = vectors[offset : offset + len(sentences)]
        found_vectors = vectors[offset + len(sentences) : offset + len(sentences) + len(found)]
        offset += len(sentences) + len(found)
        mean = own.mean(axis=0)
        clip_vector = mean / (np.linalg.norm(mean) or 1.0)
        analyses[clip_index] = ClipAnalysis(sentences, positions, own, clip_vector, found, found_vectors)
    return analyses


def _sample(count: int) -> list[int]:
    """Which sentences to embed: the opening ones (hooks live there) and an even spread of the
    rest, at most MAX_SENTENCES, so a long clip costs no more than a short one."""
    if count <= MAX_SENTENCES:
        return list(range(count))
    head = MAX_SENTENCES // 2
    rest = np.linspace(head, count - 1, MAX_SENTENCES - head).round().astype(int)
    return sorted(set(range(head)) | set(rest.tolist()))


def classify(
    analyses: dict[int, ClipAnalysis], language: str, embedding_model: str = ""
) -> dict[int, tuple[CopyStyle, float]]:
    """Zero-shot style per clip: (style, confidence 0..1).

    A style's similarity is the mean cosine of the clip to its TOP_EXAMPLES closest example
    sentences (nearest examples beat a centroid: the styles are broad) plus CUE_WEIGHT x cue
    phrases per sentence ("when I was", "why", "!"; prompts/phrases.*); softmax gives confidence.
    """
    examples = _style_examples(language, embedding_model)
    cues = prompts.phrases(language)["style_cues"]
    styles = {}
    for clip_index, analysis in analyses.items():
        similarity = np.array(
            [np.sort(examples[style] @ analysis.clip_vector)[-TOP_EXAMPLES:].mean() for style in STYLES]
        )
        similarity += CUE_WEIGHT * np.array([_cue_hits(analysis.sentences, cues[style]) for style in STYLES])
        weights = np.exp((similarity - similarity.max()) / SOFTMAX_TEMPERATURE)
        probabilities = weights / weights.sum()
        best = int(probabilities.argmax())
        styles[clip_index] = (STYLES[best], float(probabilities[best]))
    return styles


def _cue_hits(sentences: list[str], cues: list[str]) -> float:
    """Cue phrases per sentence (capped at 1): the embedding model is English-only, cues are not."""
    text = " " + " ".join(sentences).lower() + " "
    hits = sum(text.count(cue) if cue == "!" else len(re.findall(rf"\b{re.escape(cue)}\b", text)) for cue in cues)
    return min(hits / len(sentences), 1.0)


def _style_examples(language: str, embedding_model: str) -> dict[str, np.ndarray]:
    key = (prompts.prompt_language(language), embedding_model)
    if key not in _examples:
        sentences = prompts.phrases(language)["style_descriptions"]
        _examples[key] = {style: _embed(sentences[style], embedding_model) for style in STYLES}
    return _examples[key]


def pick_hook(analysis: ClipAnalysis) -> str:
    """The sentence most worth opening with (see the module docstring)."""
    centrality = analysis.sentence_vectors @ analysis.clip_vector
    scores = []
    for index, sentence in enumerate(analysis.sentences):
        words = len(sentence.split())
        score = float(centrality[index])
        score += 0.25 * sentence.rstrip().endswith("?") + 0.1 * ("!" in sentence)
        score += 0.1 * bool(_YOU.search(sentence)) + 0.1 * bool(re.search(r"\d", sentence))
        score -= 0.2 * analysis.positions[index]
        score -= 0.3 * (words < 5) + 0.2 * (words > 28)
        scores.append(score)
    return analysis.sentences[int(np.argmax(scores))]


def shorten(text: str, max_chars: int) -> str:
    """Cut at a word boundary and mark the cut with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= max_chars:
        return text
    cut = text[: max(max_chars - 1, 1)].rsplit(" ", 1)[0].rstrip(",;:-")
    return cut + "…"


def topical_keywords(analysis: ClipAnalysis, count: int = 5) -> list[str]:
    """The clip's keywords, frequent and on-topic first (KeyBERT-style rerank of frequent terms)."""
    found = analysis.candidates
    if len(found) <= 1:
        return list(found)
    similarity = analysis.candidate_vectors @ analysis.clip_vector
    frequency_rank = np.linspace(0.1, 0.0, len(found))  # ties go to the more frequent term
    chosen: list[str] = []
    for i in np.argsort(-(similarity + frequency_rank)):
        words = _stems(found[i])
        # 'neural network', 'neural' and 'networks' say the same thing: keep the first one ranked.
        if not any(words & _stems(other) for other in chosen):
            chosen.append(found[i])
    return chosen[:count]


def _stems(phrase: str) -> set[str]:
    return {word.lower().rstrip("s") for word in phrase.split()}


def heuristic_scores(clip: ClipProposal, hook: str, style: CopyStyle) -> tuple[float, float]:
    """(engagement_score, viral_potential) on 0..10, a rule of thumb rather than a prediction.

    engagement = 4 + 3 x clip-finder score + 1 question hook + 0.5 hook says "you"
                 + 0.5 hook has a number + 0.5 hook of 6-20 words
    viral      = 3 + 3 x clip-finder score + 1.5 viral style + 1 question/exclamation hook
                 + 0.5 hook has a number + 0.5 clip of 45 s or less
    """
    words = len(hook.split())
    question = hook.rstrip().endswith("?")
    number = bool(re.search(r"\d", hook))
    engagement = 4 + 3 * clip.score + 1.0 * question + 0.5 * bool(_YOU.search(hook)) + 0.5 * number
    engagement += 0.5 * (6 <= words <= 20)
    viral = 3 + 3 * clip.score + 1.5 * (style == "viral") + 1.0 * (question or "!" in hook) + 0.5 * number
    viral += 0.5 * (clip.end - clip.start <= 45)
    return round(min(engagement, 10.0), 1), round(min(viral, 10.0), 1)


def draft(
    clip_index: int,
    clip: ClipProposal,
    analysis: ClipAnalysis,
    style: CopyStyle,
    *,
    language: str,
    mandatory_hashtags: list[str],
    max_chars: int,
) -> dict:
    """One extractive draft as a DraftCopy dict: emoji + hook, a call to action, hashtags."""
    terms = topical_keywords(analysis)
    topical = [keywords.hashtag_from_phrase(term) for term in terms[:TOPICAL_HASHTAGS]]
    hashtags = rules.merge_hashtags(mandatory_hashtags, topical)
    # Fit the text into what the hashtags leave of the platform's limit.
    budget = max_chars - len(rules.caption("", hashtags))
    hook = pick_hook(analysis)
    emoji = STYLE_EMOJI[style]
    first = f"{emoji} {shorten(hook, min(HOOK_SOFT_MAX_CHARS, max(budget - 2, 10)))}"
    call_to_action = prompts.phrases(language)["call_to_action"][style]
    text = f"{first}\n{call_to_action}" if len(first) + 1 + len(call_to_action) <= budget else first
    if len(text) > budget:  # very tight limits (YouTube titles): drop topical hashtags first
        hashtags = rules.merge_hashtags(mandatory_hashtags, [])
        budget = max_chars - len(rules.caption("", hashtags))
        text = shorten(first, budget)
    engagement, viral = heuristic_scores(clip, hook, style)
    return {
        "clip_index": clip_index,
        "hook": shorten(hook, rules.HOOK_MAX_CHARS),
        "text": text,
        "hashtags": hashtags,
        "topics": terms[:4],
        "engagement_score": engagement,
        "viral_potential": viral,
    }
