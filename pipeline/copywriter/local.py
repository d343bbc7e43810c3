"""The local default: no LLM, no key. Extractive copy a reviewer can keep, labelled as local drafts.

- Style: zero-shot classification with the packaged sentence-embedding model (all-MiniLM-L6-v2):
  the clip's mean sentence embedding against example sentences of each style (prompts/phrases.*).
- Hook: the clip's most quotable short line (hooks.py): sentences, clauses and phrase-boundary
  cuts of at most 12 words, scored on centrality (cosine to the clip) plus quotability (question,
  number, contrast, superlative, "you") minus lateness.
- Caption: the hook, one or two compressed key sentences, a call to action that fits the kind of
  clip and differs from its neighbours' (calls_to_action.py).
- Hashtags, topics, title: key phrases and names (keywords.py) ranked by cosine to the clip.
- Scores: a documented heuristic (`heuristic_scores`), not a prediction.
"""

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import config
from ..schemas import ClipProposal, CopyStyle
from . import calls_to_action, hooks, keywords, prompts, rules

STYLES: tuple[CopyStyle, ...] = ("viral", "educational", "storytelling")
SOFTMAX_TEMPERATURE = 0.05  # cosine gaps between styles are small; this spreads them to 0..1
TOP_EXAMPLES = 2
CUE_WEIGHT = 0.1  # cosine units for a cue in every sentence
MAX_SENTENCES = 24  # embedded per clip: bounds the cost of long clips (MiniLM ~30 sentences/s here)
KEYWORD_CANDIDATES = 16  # embedded per clip, then ranked by cosine to the clip
EMBED_BATCH = 128
TOPICAL_HASHTAGS = 4  # besides the mandatory ones; at least MIN_HASHTAGS when the clip has them
MIN_HASHTAGS = 3
MIN_TAG_SIMILARITY = 0.2  # cosine to the clip below which a 4th tag is noise
SUMMARY_MAX_WORDS = 40  # both key sentences together
SAME_TAG_SIMILARITY = 0.8  # cosine between two tags above which they say the same thing
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


def analyse(
    clips: dict[int, ClipProposal], embedding_model: str = "", on_progress=None, language: str = "en"
) -> dict[int, ClipAnalysis]:
    """Embed every clip's sentences and keyword candidates, in batches of EMBED_BATCH.

    `on_progress(done, total)` is called after each batch (texts embedded so far).
    """
    parts = {}
    for clip_index, clip in clips.items():
        every = keywords.sentences(clip.text) or [clip.text.strip() or "…"]
        chosen = _sample(len(every))
        positions = np.array(chosen, dtype=float) / max(len(every) - 1, 1)
        parts[clip_index] = (
            [every[i] for i in chosen],
            positions,
            keywords.candidates(clip.text, KEYWORD_CANDIDATES, language),
        )
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


def pick_hook(analysis: ClipAnalysis, language: str = "en") -> hooks.Line:
    """The line most worth opening with: centrality of its sentence + quotability - lateness.

    Candidates are the clip's sentences, clauses and phrase-boundary cuts of at most
    hooks.HOOK_MAX_WORDS words (hooks.lines); a clip with none (one long unpunctuated run, a
    single word) gets its first words up to a phrase boundary.
    """
    centrality = analysis.sentence_vectors @ analysis.clip_vector
    best, best_score = None, -np.inf
    for line in hooks.lines(analysis.sentences, language):
        score = float(centrality[line.sentence_index]) + hooks.quotability(line, language)
        score -= 0.2 * analysis.positions[line.sentence_index]
        if score > best_score:
            best, best_score = line, score
    if best is not None:
        return best
    first = hooks.clean(analysis.sentences[0], language)
    words = first.split()
    short = hooks.compress(" ".join(words[: hooks.HOOK_MAX_WORDS + 1]), language, hooks.HOOK_MAX_WORDS)
    return hooks.Line(short.rstrip(".") or " ".join(words[: hooks.HOOK_MAX_WORDS]) or "…", 0, False, True)


def key_sentences(analysis: ClipAnalysis, hook: hooks.Line, language: str) -> list[str]:
    """One or two compressed sentences saying what the clip gives, in the clip's order.

    The most central sentences other than the hook's, preferring ones that stand on their own
    (no leading pronoun or subordinate word) and carry a number.
    """
    centrality = analysis.sentence_vectors @ analysis.clip_vector
    scored = []
    for index, sentence in enumerate(analysis.sentences):
        if index == hook.sentence_index and (hook.whole or len(analysis.sentences) > 1):
            continue
        text = hooks.compress(sentence, language)
        words = len(text.split())
        if words < 5 or hooks.is_question(text):
            continue
        score = float(centrality[index]) - 0.1 * analysis.positions[index]
        score += 0.05 * hooks.has_number(text) - 0.15 * hooks.leans_on_context(text, language)
        scored.append((score, index, text))
    scored.sort(reverse=True)
    if not scored:
        return []
    chosen = [scored[0]]
    if len(scored) > 1 and scored[1][0] >= scored[0][0] - 0.1:
        if len(scored[0][2].split()) + len(scored[1][2].split()) <= SUMMARY_MAX_WORDS:
            chosen.append(scored[1])
    return [text for _, _, text in sorted(chosen, key=lambda item: item[1])]


def topical_keywords(analysis: ClipAnalysis, count: int = TOPICAL_HASHTAGS) -> list[str]:
    """The clip's key phrases, most central first (KeyBERT-style: candidates ranked by cosine to
    the clip, a small prior for frequent phrases and names); phrases sharing a stem dedupe."""
    found = analysis.candidates
    if len(found) <= 1:
        return list(found)
    similarity = analysis.candidate_vectors @ analysis.clip_vector
    prior = np.linspace(0.08, 0.0, len(found))  # candidates() put the frequent ones first
    bonus = np.array([0.04 * (" " in phrase) + 0.04 * (phrase != phrase.lower()) for phrase in found])
    score = similarity + prior + bonus
    chosen: list[str] = []
    kept: list[int] = []
    for i in np.argsort(-score):
        if len(chosen) >= MIN_HASHTAGS and similarity[i] < MIN_TAG_SIMILARITY:
            break
        words = _stems(found[i])
        # 'neural network', 'neural' and 'networks' say the same thing: keep the first one ranked;
        # so do 'volcanic' and 'volcano' (near-identical embeddings).
        if any(words & _stems(other) for other in chosen):
            continue
        if any(
            float(analysis.candidate_vectors[i] @ analysis.candidate_vectors[j]) > SAME_TAG_SIMILARITY for j in kept
        ):
            continue
        chosen.append(found[i])
        kept.append(i)
    return chosen[:count]


def _stems(phrase: str) -> set[str]:
    return {_stem(word.lower()) for word in phrase.split() if word.lower() != "de"}


def _stem(word: str) -> str:
    """Plural to singular, roughly: 'batteries' -> 'battery', 'passes' -> 'pass', 'volcanoes' -> 'volcano'."""
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "shes", "ches", "xes", "zes", "oes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def title(hook: str, terms: list[str], language: str = "en") -> str:
    """A Shorts/reels title of at most rules.TITLE_MAX_CHARS: 'Key phrase: hook' when the hook
    does not already name the clip's main phrase, else the hook."""
    line = hook.rstrip(".")
    said = _stems(line.replace("?", " ").replace("!", " ").replace(",", " "))
    if terms and not any(_stems(term) & said for term in terms[:3]):
        labelled = f"{hooks.capitalise(terms[0])}: {line}"
        if len(labelled) <= rules.TITLE_MAX_CHARS:
            return labelled
    return hooks.fit_chars(line, rules.TITLE_MAX_CHARS, language)


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
    call_to_action: str,
    mandatory_hashtags: list[str],
    max_chars: int,
) -> dict:
    """One extractive draft as a DraftCopy dict: hook, what the clip gives, a call to action.

    The caption is fitted into what the hashtags leave of the platform's limit, dropping the
    second summary sentence, then the summary, then the call to action, then topical hashtags.
    """
    terms = topical_keywords(analysis)
    hook = pick_hook(analysis, language)
    summary = key_sentences(analysis, hook, language)
    call = calls_to_action.fill(call_to_action, terms[0] if terms else "")
    attempts = [
        [hook.text, " ".join(summary), call],
        [hook.text, " ".join(summary[:1]), call],
        [hook.text, call],
        [hook.text],
    ]
    topical = [keywords.hashtag_from_phrase(term) for term in terms]
    text = ""
    for tags in (topical, []):
        hashtags = rules.merge_hashtags(mandatory_hashtags, tags)
        budget = max_chars - len(rules.caption("", hashtags))
        fitting = ["\n".join(part for part in parts if part) for parts in attempts]
        text = next((candidate for candidate in fitting if len(candidate) <= budget), "")
        if text:
            break
    if not text:  # very tight limits (YouTube titles with many mandatory tags)
        words = hook.text.split()
        while len(words) > 1 and len(" ".join(words)) > budget:
            words.pop()
        text = " ".join(words)
    engagement, viral = heuristic_scores(clip, hook.text, style)
    return {
        "clip_index": clip_index,
        "hook": hook.text,
        "title": title(hook.text, terms, language),
        "text": text,
        "hashtags": hashtags,
        "topics": terms[:4],
        "engagement_score": engagement,
        "viral_potential": viral,
    }
