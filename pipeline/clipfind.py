"""Clip finding stage: transcript.json -> clips.json (topics as chapters, scored clip proposals).

A port of ClipsAI's ClipFinder (pipeline.texttiling) on sentences built from word timestamps,
with its start fix and sharpened boundaries, plus a topic segmentation that also uses pauses
(pipeline.segment). Candidates come from ClipsAI's multi-scale passes, from every topic start,
and from windows opening at every sentence (so long topics yield several); each is moved to
open and close on a self-contained sentence (pipeline.clipedges), scored, and near-duplicates
are collapsed best first. Every clip starts at a sentence start and ends at a sentence end.
"""

import math
import wave
from pathlib import Path

import numpy as np

from . import schemas
from .clipedges import depends_on_previous, settle_edges
from .clipscore import build_context, score_clip
from .errors import InputError
from .progress import Progress, no_progress, scaled
from .rerank import rerank
from .segment import MIN_SENTENCES, segment_topics
from .sentences import Sentence, split_sentences
from .texttiling import Span, clipsai_clips, is_duplicate

PRESETS = schemas.CLIP_PRESETS_S
MAX_OVERLAP = 0.5  # of the shorter clip: more and the lower-scored one is dropped
COVERAGE_OVERLAP = 0.7  # ...but up to this much while a talk has fewer clips than minutes
LONG_SILENCE_S = 3.0  # longer gaps do not count as minutes of speech
DEFAULT_MAX_CLIPS = schemas.PipelineOptions.model_fields["max_clips"].default
NO_SPEECH_NOTE = "No speech, so no clips"


def run(workdir: Path, options: schemas.PipelineOptions, progress: Progress) -> schemas.ClipsResult:
    """Read transcript.json from workdir; the clips.json to write (Stage.run writes it)."""
    from .stages import get_stage

    transcript = get_stage("transcribe").load_output(workdir)
    if transcript is None:
        raise InputError("No transcript yet: run the transcribe stage first.")
    media = get_stage("ingest").load_output(workdir)
    audio = workdir / media.audio_file if media is not None else None
    result = find_clips(
        transcript,
        min_s=options.min_clip_s,
        max_s=options.max_clip_s,
        embedding_model=options.embedding_model,
        max_clips=options.max_clips,
        audio=audio if audio is not None and audio.is_file() else None,
        progress=scaled(progress, 0.0, 0.95),
    )
    result = rerank(result, options, language=transcript.language, progress=scaled(progress, 0.95, 1.0))
    return result


def find_clips(
    transcript: schemas.Transcript,
    *,
    min_s: float = 30,
    max_s: float = 90,
    embedding_model: str = "",
    max_clips: int = DEFAULT_MAX_CLIPS,
    audio: Path | None = None,
    progress: Progress = no_progress,
) -> schemas.ClipsResult:
    """Topics covering the transcript and clips of min_s..max_s seconds, sorted by start.

    embedding_model: a local sentence-transformers directory ("" = packaged all-MiniLM-L6-v2).
    max_clips: at most this many clips, the best scored kept.
    audio: the 16-bit PCM WAV ingest wrote, for loudness variation in the energy sub-score.
    """
    check_durations(min_s, max_s, max_clips)
    if not transcript.words:
        return schemas.ClipsResult(topics=[], clips=[], note=NO_SPEECH_NOTE)
    progress(0.0, "Splitting sentences")
    sentences = split_sentences(transcript.words)
    end_s = max(transcript.duration, sentences[-1].end_s)
    if len(sentences) < MIN_SENTENCES:
        context = build_context(sentences, np.zeros(0), None)
        clips = _fallback_clips(sentences, min_s, max_s)
        note = f"Only {len(sentences)} sentences: too little text to find topics, so clips are sentence-aligned chunks."
        return _result([Span(0, len(sentences), 0.0, end_s)], clips, sentences, context, end_s, note, max_clips)

    from .embeddings import embed_sentences

    embeddings = embed_sentences([s.text for s in sentences], embedding_model, scaled(progress, 0.02, 0.9))
    progress(0.9, "Finding topics")
    units = [Span(i, i + 1, s.start_s, s.end_s) for i, s in enumerate(sentences)]
    starts = np.array([s.start_s for s in sentences])
    ends = np.array([s.end_s for s in sentences])
    boundaries, strengths = segment_topics(embeddings, starts[1:] - ends[:-1])
    topic_ends = np.r_[np.flatnonzero(boundaries), len(sentences) - 1]
    topic_firsts = np.r_[0, topic_ends[:-1] + 1]
    topics = [Span(int(a), int(b) + 1, units[a].start_s, units[b].end_s) for a, b in zip(topic_firsts, topic_ends)]

    progress(0.93, "Choosing clips")
    candidates = clipsai_clips(units, embeddings, min_s=min_s, max_s=max_s, sharpen=True)
    candidates += _clips_from_strong_gaps(units, strengths, boundaries, min_s, max_s)
    candidates += _clips_from_every_sentence(units, sentences, strengths, min_s, max_s)
    candidates = within_topics(settled_candidates(candidates, sentences, min_s, max_s), boundaries)
    note = ""
    if not candidates:
        candidates = _fallback_clips(sentences, min_s, max_s)
        note = "No clip fits the duration range at a topic boundary, so clips are sentence-aligned chunks."
    loudness = sentence_loudness_db(audio, sentences) if audio is not None else None
    context = build_context(sentences, strengths, embeddings, loudness)
    return _result(topics, candidates, sentences, context, end_s, note, max_clips)


def within_topics(candidates: list[Span], boundaries: np.ndarray) -> list[Span]:
    """Candidates inside one topic; one spanning a topic change only where its first topic has none.

    A clip across a topic change starts one subject and ends another; it is kept only for a
    topic too short (or too awkward) to hold a clip of its own.
    """
    topic_of = np.r_[0, np.cumsum(boundaries)]  # topic number of each sentence
    inside = [c for c in candidates if topic_of[c.first] == topic_of[c.end - 1]]
    covered = {int(topic_of[c.first]) for c in inside}
    return inside + [
        c for c in candidates if topic_of[c.first] != topic_of[c.end - 1] and topic_of[c.first] not in covered
    ]


def settled_candidates(candidates: list[Span], sentences: list[Sentence], min_s, max_s) -> list[Span]:
    """Each candidate moved to self-contained edges (clipedges); unfixable ones and repeats dropped."""
    seen, out = set(), []
    for span in candidates:
        settled = settle_edges(span.first, span.end, sentences, min_s, max_s)
        if settled is None or settled in seen:
            continue
        seen.add(settled)
        first, end = settled
        out.append(Span(first, end, sentences[first].start_s, sentences[end - 1].end_s))
    return out


def check_durations(min_s: float, max_s: float, max_clips: int = 1) -> None:
    if max_clips < 1:
        raise InputError(f"The clip cap {max_clips} is not valid: keep at least 1 clip.")
    if not (0 < min_s < max_s):
        raise InputError(f"Clip duration range {min_s:g}-{max_s:g} s is not valid: need 0 < min < max.")


def _clips_from_strong_gaps(units: list[Span], strengths, boundaries, min_s, max_s) -> list[Span]:
    """From each topic start (and the video start), the fitting end at the strongest gap."""
    firsts = np.r_[0, np.flatnonzero(boundaries) + 1]
    starts_s = np.array([u.start_s for u in units])
    ends_s = np.array([u.end_s for u in units])
    end_strength = np.r_[strengths, strengths.max(initial=0.0) + 1.0]  # the video end is a boundary
    spans = []
    for first in firsts.tolist():
        duration = ends_s[first:] - starts_s[first]
        fitting = np.flatnonzero((duration >= min_s) & (duration <= max_s)) + first
        if len(fitting):
            last = int(fitting[np.argmax(end_strength[fitting])])
            spans.append(Span(first, last + 1, units[first].start_s, units[last].end_s))
    return spans


def _clips_from_every_sentence(units, sentences, strengths, min_s, max_s) -> list[Span]:
    """From every self-contained opening, the fitting end at the strongest gap.

    Topic boundaries alone leave a long topic with one clip; these windows let a 4-minute
    passage offer several, and the best-first selection in _result keeps them apart.
    """
    starts_s = np.array([u.start_s for u in units])
    ends_s = np.array([u.end_s for u in units])
    end_strength = np.r_[strengths, strengths.max(initial=0.0) + 1.0]
    target_s = (min_s + max_s) / 2
    spans = []
    for first, sentence in enumerate(sentences):
        if first and depends_on_previous(sentence.text):
            continue
        duration = ends_s[first:] - starts_s[first]
        fitting = np.flatnonzero((duration >= min_s) & (duration <= max_s))
        if len(fitting):
            # Strongest gap (among near-equal ones the length nearest the middle of the range),
            # and the length nearest the middle itself: candidates for filling a long topic.
            closeness = 1 - np.abs(duration[fitting] - target_s) / max(max_s - min_s, 1e-6)
            for choice in (end_strength[fitting + first] + 0.25 * closeness, closeness):
                last = int(fitting[np.argmax(choice)]) + first
                spans.append(Span(first, last + 1, units[first].start_s, units[last].end_s))
    return spans


def _fallback_clips(sentences: list[Sentence], min_s: float, max_s: float) -> list[Span]:
    """Consecutive sentence-aligned chunks near the middle of min_s..max_s (at least one clip)."""
    target_s = (min_s + max_s) / 2
    spans, first = [], 0
    for i, sentence in enumerate(sentences):
        length = sentence.end_s - sentences[first].start_s
        is_last = i == len(sentences) - 1
        if length >= target_s or is_last:
            spans.append(Span(first, i + 1, sentences[first].start_s, sentence.end_s))
            first = i + 1
    # A short tail joins the chunk before it when the two still fit under max_s.
    if len(spans) > 1 and spans[-1].duration_s < min_s and spans[-1].end_s - spans[-2].start_s <= max_s:
        spans[-2:] = [Span(spans[-2].first, spans[-1].end, spans[-2].start_s, spans[-1].end_s)]
    return spans


def _result(topics, candidates, sentences, context, end_s, note, max_clips) -> schemas.ClipsResult:
    scored = sorted(((*score_clip(span, context), span) for span in candidates), key=lambda t: -t[0])
    # Best first, apart from each other; then, while a talk has fewer clips than minutes of
    # speech, the best of the rest that still differ from every kept one (COVERAGE_OVERLAP).
    speech_minutes = _speech_s(sentences) / 60
    kept: list[tuple[float, str, dict, Span]] = []
    for limit, wanted in ((MAX_OVERLAP, max_clips), (COVERAGE_OVERLAP, min(max_clips, math.ceil(speech_minutes)))):
        for item in scored:
            span = item[-1]
            if len(kept) >= wanted:
                break
            spans = [k[-1] for k in kept]
            if span in spans or is_duplicate(span, spans) or any(_overlap(span, k) > limit for k in spans):
                continue
            kept.append(item)
    clips = [
        schemas.ClipProposal(
            start=span.start_s,
            end=span.end_s,
            text=" ".join(s.text for s in sentences[span.first : span.end]),
            score=score,
            reason=reason,
            subscores=subscores,
        )
        for score, reason, subscores, span in sorted(kept, key=lambda k: k[-1].start_s)
    ]
    # Chapters cover the whole media: each runs until the next one starts.
    chapter_starts = [0.0] + [topic.start_s for topic in topics[1:]]
    chapters = [schemas.Topic(start=start, end=end) for start, end in zip(chapter_starts, chapter_starts[1:] + [end_s])]
    return schemas.ClipsResult(topics=chapters, clips=clips, note=note)


def sentence_loudness_db(audio: Path, sentences: list[Sentence]) -> np.ndarray | None:
    """Mean loudness (dBFS, RMS) of each sentence in a 16-bit PCM WAV; None if it cannot be read."""
    try:
        with wave.open(str(audio), "rb") as wav:
            if wav.getsampwidth() != 2:
                return None
            rate, channels = wav.getframerate(), wav.getnchannels()
            samples = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
    except (OSError, EOFError, wave.Error):
        return None
    samples = samples.reshape(-1, channels)[:, 0].astype(np.float32) / 32768.0
    # Running sums of squares give every sentence's energy without a loop over samples.
    energy = np.r_[0.0, np.cumsum(samples.astype(np.float64) ** 2)]
    bounds = np.array([[s.start_s, s.end_s] for s in sentences]) * rate
    lo = np.clip(bounds[:, 0].astype(int), 0, len(samples))
    hi = np.clip(np.maximum(bounds[:, 1].astype(int), lo + 1), 0, len(samples))
    mean_square = (energy[hi] - energy[lo]) / np.maximum(hi - lo, 1)
    return 10 * np.log10(np.maximum(mean_square, 1e-10))


def _speech_s(sentences: list[Sentence]) -> float:
    """Seconds from the first word to the last, less silences longer than LONG_SILENCE_S."""
    gaps = np.array([b.start_s - a.end_s for a, b in zip(sentences, sentences[1:])])
    return sentences[-1].end_s - sentences[0].start_s - float(gaps[gaps > LONG_SILENCE_S].sum())


def _overlap(a: Span, b: Span) -> float:
    shared = min(a.end_s, b.end_s) - max(a.start_s, b.start_s)
    return max(shared, 0.0) / max(min(a.duration_s, b.duration_s), 1e-6)
