""" "Find moments about ...": offline semantic search over a transcript's sentences.

The query is embedded with the same local sentence-transformers model as the sentences (their
embeddings are reused from the clip stage when the same process computed them). Each sentence
gets cosine similarity to the query, plus a small bonus when it contains a query word verbatim
(names and rare terms a small model embeds poorly). From the best sentence down, a clip grows
around it, one neighbouring sentence at a time on the side more related to the query, until it
reaches the middle of min_s..max_s; its edges are then settled like every clip (clipedges: no
dependent opening, no set-up at the end). Moments overlapping a better one are skipped.
"""

import re

import numpy as np

from . import schemas
from .clipedges import settle_edges
from .errors import InputError
from .sentences import Sentence, split_sentences

MAX_QUERY_CHARS = 200
DEFAULT_LIMIT = 5
WORD_BONUS = 0.15  # added to the cosine for each query word the sentence contains (capped at 2)
MIN_RELATIVE = 0.6  # seeds below this fraction of the best similarity are not worth a moment
MAX_OVERLAP = 0.5  # of the shorter moment
_WORD = re.compile(r"\w{3,}", re.UNICODE)


def clean_query(query: str) -> str:
    """The query as searched: one line of at most MAX_QUERY_CHARS; InputError when empty."""
    text = " ".join(str(query).split())[:MAX_QUERY_CHARS]
    if not text:
        raise InputError("Type what the moments should be about.")
    return text


def find_moments(
    transcript: schemas.Transcript,
    query: str,
    *,
    min_s: float = 30.0,
    max_s: float = 90.0,
    embedding_model: str = "",
    limit: int = DEFAULT_LIMIT,
) -> list[schemas.ClipProposal]:
    """Up to `limit` sentence-snapped clips of min_s..max_s about `query`, best first."""
    from .clipfind import check_durations
    from .embeddings import embed_sentences, load_model

    query = clean_query(query)
    check_durations(min_s, max_s)
    sentences = split_sentences(transcript.words)
    if not sentences:
        return []
    embeddings = embed_sentences([s.text for s in sentences], embedding_model)
    query_vector = load_model(embedding_model).encode([query], convert_to_numpy=True)[0]
    relevance = _relevance(sentences, embeddings, query_vector, query)
    moments: list[tuple[int, int, float]] = []
    best = float(relevance.max())
    for seed in np.argsort(-relevance).tolist():
        if len(moments) >= limit or relevance[seed] < MIN_RELATIVE * best or relevance[seed] <= 0:
            break
        span = _grow(seed, sentences, relevance, min_s, max_s)
        if span is None or any(_overlap(span, kept, sentences) > MAX_OVERLAP for kept in moments):
            continue
        moments.append((*span, float(relevance[seed])))
    return [_proposal(first, end, match, sentences, relevance, query) for first, end, match in moments]


def _relevance(sentences: list[Sentence], embeddings: np.ndarray, query_vector: np.ndarray, query: str) -> np.ndarray:
    unit = embeddings / np.maximum(np.linalg.norm(embeddings, axis=1, keepdims=True), 1e-9)
    cosine = unit @ (query_vector / max(np.linalg.norm(query_vector), 1e-9))
    words = {w.lower() for w in _WORD.findall(query)}
    found = np.array([len(words & {w.lower() for w in _WORD.findall(s.text)}) for s in sentences])
    return cosine + WORD_BONUS * np.minimum(found, 2)


def _grow(seed: int, sentences: list[Sentence], relevance: np.ndarray, min_s: float, max_s: float):
    """[first, end) around seed, about (min_s + max_s) / 2 long, settled; None if none fits."""
    target_s = (min_s + max_s) / 2
    first, end = seed, seed + 1
    while sentences[end - 1].end_s - sentences[first].start_s < target_s:
        before = relevance[first - 1] if first > 0 else -np.inf
        after = relevance[end] if end < len(sentences) else -np.inf
        if before == after == -np.inf:
            break
        grown = (first - 1, end) if before > after else (first, end + 1)
        if sentences[grown[1] - 1].end_s - sentences[grown[0]].start_s > max_s:
            break
        first, end = grown
    return settle_edges(first, end, sentences, min_s, max_s)


def _overlap(span, kept, sentences) -> float:
    a0, a1 = sentences[span[0]].start_s, sentences[span[1] - 1].end_s
    b0, b1 = sentences[kept[0]].start_s, sentences[kept[1] - 1].end_s
    shared = max(min(a1, b1) - max(a0, b0), 0.0)
    return shared / max(min(a1 - a0, b1 - b0), 1e-6)


def _proposal(first, end, match, sentences, relevance, query) -> schemas.ClipProposal:
    best = first + int(np.argmax(relevance[first:end]))
    quote = sentences[best].text
    quote = quote if len(quote) <= 90 else quote[:87] + "…"
    return schemas.ClipProposal(
        start=sentences[first].start_s,
        end=sentences[end - 1].end_s,
        text=" ".join(s.text for s in sentences[first:end]),
        score=round(float(np.clip(match, 0.0, 1.0)), 3),
        reason=f"About “{query}”: {quote}",
    )
