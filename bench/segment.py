"""Topic segmentation and clip finding quality, and the clip finder's speed.

Choi-style documents: 10 segments of 4-10 consecutive sentences, each from a different text.
Two sets of texts, never mixed:
- tuning: bench/texts/ (18 texts written for this benchmark); settings were chosen on these;
- report: prose nobody here wrote, shipped with Python (its reference topics) and
  scikit-learn (dataset descriptions): tests/clipfind_support.real_texts. Nothing was tuned
  on these documents.
Words are timed at 2.6 words/s with a pause after every sentence, drawn three ways:
- topic: topic ends pause ~1.0 s on average, other sentences ~0.45 s (the answer leaks in);
- uniform: every pause 0.45 s (pauses carry nothing);
- noise: log-normal pauses plus one-in-ten 1-2.5 s hesitations, ignoring topics (like speech).

Methods, all on the same MiniLM embeddings of the same sentences:
- ours: pipeline.segment.segment_topics (depth + adaptive pause weight, adaptive window,
  sharpened boundaries);
- clipsai: the plain method, one TextTiling pass as ClipsAI's first pass (k=5, cutoff
  mean + std), pipeline.texttiling.text_tile (equal to ClipsAI, see the parity test);
- even: a boundary every 7 sentences (the mean segment length).
early / exact / late: of the gold boundaries, how many have the nearest found boundary
(within 2 sentences) before, on, or after them.

Then whole clip finding on six-article talks from the report texts (articles of 14-22
sentences, noisy pauses): clips inside one article, clips per minute, clips on sentence
boundaries; and the time find_clips takes on a 1-hour transcript.

Run: .venv/bin/python bench/segment.py [--docs 30] [--talks 6] [--skip-speed]
"""

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from nltk.metrics.segmentation import pk, windowdiff  # noqa: E402

from pipeline import embeddings as embedding_cache  # noqa: E402
from pipeline.clipfind import find_clips  # noqa: E402
from pipeline.embeddings import embed_sentences, load_model  # noqa: E402
from pipeline.schemas import Transcript, Word  # noqa: E402
from pipeline.segment import segment_topics  # noqa: E402
from pipeline.sentences import split_sentences  # noqa: E402
from pipeline.texttiling import text_tile  # noqa: E402
from tests.clipfind_support import (  # noqa: E402
    PAUSE_MODES,
    boundary_string,
    choi_document,
    real_texts,
    source_texts,
    timed_transcript,
)

METHODS = ("ours", "clipsai", "even")
SETS = {"tuning (bench/texts)": (source_texts, 0), "report (real text)": (real_texts, 2000)}


def hypothesis(gap_boundaries: np.ndarray) -> str:
    return "".join("1" if b else "0" for b in gap_boundaries) + "0"


def even_boundaries(n: int, every: int = 7) -> np.ndarray:
    gaps = np.zeros(n - 1, dtype=bool)
    gaps[every - 1 :: every] = True
    return gaps


def offsets(segment_ids: list[int], gaps: np.ndarray) -> list[int | None]:
    """Per gold boundary: found boundary offset in sentences (-2..2), None when none is near."""
    found = np.flatnonzero(gaps)
    out = []
    for gold in (i for i, (a, b) in enumerate(zip(segment_ids, segment_ids[1:])) if a != b):
        if not len(found):
            out.append(None)
            continue
        delta = found - gold
        nearest = int(delta[np.argmin(np.abs(delta))])
        out.append(nearest if abs(nearest) <= 2 else None)
    return out


def evaluate(texts: dict, seeds: range, mode: str, vectors: dict[str, np.ndarray]) -> dict:
    scores: dict[str, list] = {name: [] for name in METHODS}
    placed: dict[str, list] = {name: [] for name in METHODS}
    for seed in seeds:
        sentences, segment_ids = choi_document(seed, texts=texts)
        reference = boundary_string(segment_ids)
        window = max(2, round(len(reference) / (reference.count("1") + 1) / 2))
        emb = np.array([vectors[s] for s in sentences])
        transcript = timed_transcript(sentences, segment_ids, seed=seed, pause_mode=mode)
        spoken = split_sentences(transcript.words)
        assert len(spoken) == len(sentences)
        pauses = np.array([b.start_s - a.end_s for a, b in zip(spoken, spoken[1:])])
        results = {
            "ours": segment_topics(emb, pauses)[0],
            "clipsai": text_tile(emb, 5)[0][:-1],
            "even": even_boundaries(len(sentences)),
        }
        for name, gaps in results.items():
            hyp = hypothesis(gaps)
            scores[name].append((pk(reference, hyp, boundary="1"), windowdiff(reference, hyp, window, boundary="1")))
            placed[name] += offsets(segment_ids, gaps)
    out = {}
    for name in METHODS:
        p = placed[name]
        counts = (
            sum(o is not None and o < 0 for o in p),
            sum(o == 0 for o in p),
            sum(o is not None and o > 0 for o in p),
        )
        out[name] = (*np.mean(scores[name], axis=0), *counts)
    return out


def six_article_talks(n_talks: int) -> None:
    texts = real_texts()
    inside = total = on_sentences = 0
    minutes = clips_n = 0.0
    for seed in range(3000, 3000 + n_talks):
        sentences, segment_ids = choi_document(seed, segments=6, min_len=14, max_len=22, texts=texts)
        transcript = timed_transcript(sentences, segment_ids, seed=seed, pause_mode="noise")
        spoken = split_sentences(transcript.words)
        result = find_clips(transcript, min_s=30, max_s=90)
        starts = {s.start_s: i for i, s in enumerate(spoken)}
        ends = {s.end_s: i for i, s in enumerate(spoken)}
        for clip in result.clips:
            total += 1
            if clip.start in starts and clip.end in ends:
                on_sentences += 1
                inside += segment_ids[starts[clip.start]] == segment_ids[ends[clip.end]]
        minutes += transcript.duration / 60
        clips_n += len(result.clips)
    print(
        f"\nSix-article talks from the report texts ({n_talks} talks, {minutes:.0f} min, noisy pauses, 30-90 s clips):"
        f"\n  {inside}/{total} clips inside one article ({100 * inside / max(total, 1):.0f} %), "
        f"{clips_n / minutes:.2f} clips per minute, {100 * on_sentences / max(total, 1):.0f} % on sentence boundaries"
    )


def one_hour_transcript(words_wanted: int = 9000) -> Transcript:
    words: list[Word] = []
    offset, seed = 0.0, 0
    while len(words) < words_wanted:
        sentences, segment_ids = choi_document(1000 + seed)
        part = timed_transcript(sentences, segment_ids, seed=seed)
        words += [Word(text=w.text, start=w.start + offset, end=w.end + offset) for w in part.words]
        offset += part.duration
        seed += 1
    words = words[:words_wanted]
    return Transcript(language="en", duration=words[-1].end + 0.5, words=words, model="synthetic")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=30, help="documents per set and pause mode")
    parser.add_argument("--talks", type=int, default=6, help="six-article talks")
    parser.add_argument("--skip-speed", action="store_true")
    args = parser.parse_args()

    started = time.perf_counter()
    load_model()
    print(f"model load: {time.perf_counter() - started:.1f} s")
    unique = sorted({s for load, _ in SETS.values() for lines in load().values() for s in lines})
    vectors = dict(zip(unique, embed_sentences(unique)))

    print(f"\nPk / WindowDiff (lower is better) and early/exact/late boundaries, {args.docs} documents each")
    header = f"{'set':<22}{'pauses':<9}" + "".join(f"{name:>30}" for name in METHODS)
    print(header)
    for set_name, (load, first_seed) in SETS.items():
        for mode in PAUSE_MODES:
            result = evaluate(load(), range(first_seed, first_seed + args.docs), mode, vectors)
            cells = [f"{pk_:.3f}/{wd:.3f} {e:>3}/{x:>3}/{late:>3}" for pk_, wd, e, x, late in result.values()]
            print(f"{set_name:<22}{mode:<9}" + "".join(f"{c:>30}" for c in cells))

    six_article_talks(args.talks)

    if args.skip_speed:
        return
    transcript = one_hour_transcript()
    embedding_cache._recent.clear()
    started, cpu_started = time.perf_counter(), time.process_time()
    result = find_clips(transcript, min_s=30, max_s=90)
    elapsed, cpu_s = time.perf_counter() - started, time.process_time() - cpu_started
    n_sentences = len(split_sentences(transcript.words))
    print(
        f"\n1 h transcript: {len(transcript.words)} words, {n_sentences} sentences, {transcript.duration / 60:.0f} min "
        f"-> {len(result.topics)} topics, {len(result.clips)} clips in {elapsed:.1f} s (embedding included)"
    )
    # On a shared machine wall time mostly measures the others. CPU time bounds the wall time
    # on a machine of our own: at most cpu_s (one core), at best cpu_s / cores.
    cores = os.cpu_count()
    print(f"  CPU time {cpu_s:.1f} s: on {cores} cores of our own, between {cpu_s / cores:.1f} and {cpu_s:.1f} s wall")
    started = time.perf_counter()
    find_clips(transcript, min_s=60, max_s=180)
    print(f"same transcript again, 60-180 s (embeddings reused): {time.perf_counter() - started:.2f} s")


if __name__ == "__main__":
    main()
