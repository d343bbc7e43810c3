"""Topic segmentation quality and speed of the clip finder.

Choi-style documents: 10 segments of 4-10 consecutive sentences, each from a different text in
bench/texts/ (18 texts written for this benchmark), timed at 2.6 words/s with a pause after
every sentence. Two timings: "pauses" (topic ends pause ~1.0 s on average, other sentences
~0.45 s, both jittered) and "flat" (the same pause distribution everywhere: text only).

Methods, all on the same MiniLM embeddings of the same sentences:
- ours: pipeline.segment.segment_topics (depth + adaptive pause weight, adaptive window);
- clipsai: the plain method, one TextTiling pass as ClipsAI's first pass (k=5, cutoff
  mean + std), which is pipeline.texttiling.text_tile (equal to ClipsAI, see the parity test);
- even: a boundary every 7 sentences (the mean segment length).

Then the time find_clips takes on a 1-hour transcript (~9,000 words), embedding included,
with the model already loaded (it is loaded once per worker process; load time printed apart).

Run: .venv/bin/python bench/segment.py [--docs 30] [--skip-speed]
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
from tests.clipfind_support import boundary_string, choi_document, source_texts, timed_transcript  # noqa: E402


def hypothesis(gap_boundaries: np.ndarray) -> str:
    return "".join("1" if b else "0" for b in gap_boundaries) + "0"


def even_boundaries(n: int, every: int = 7) -> np.ndarray:
    gaps = np.zeros(n - 1, dtype=bool)
    gaps[every - 1 :: every] = True
    return gaps


def evaluate(n_docs: int, min_len: int, max_len: int, vectors: dict[str, np.ndarray]) -> dict:
    scores: dict[str, list[tuple[float, float]]] = {}
    for seed in range(n_docs):
        sentences, segment_ids = choi_document(seed, min_len=min_len, max_len=max_len)
        reference = boundary_string(segment_ids)
        window = max(2, round(len(reference) / (reference.count("1") + 1) / 2))
        emb = np.array([vectors[s] for s in sentences])
        results = {"clipsai": text_tile(emb, 5)[0][:-1], "even": even_boundaries(len(sentences))}
        for timing, topic_pause in (("pauses", 1.0), ("flat", None)):
            transcript = timed_transcript(sentences, segment_ids, seed=seed, topic_pause_s=topic_pause)
            spoken = split_sentences(transcript.words)
            assert len(spoken) == len(sentences)
            pauses = np.array([b.start_s - a.end_s for a, b in zip(spoken, spoken[1:])])
            results[f"ours ({timing})"] = segment_topics(emb, pauses)[0]
        for name, gaps in results.items():
            hyp = hypothesis(gaps)
            scores.setdefault(name, []).append(
                (pk(reference, hyp, boundary="1"), windowdiff(reference, hyp, window, boundary="1"))
            )
    return {name: np.mean(values, axis=0) for name, values in scores.items()}


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
    parser.add_argument("--docs", type=int, default=30, help="documents per setting")
    parser.add_argument("--skip-speed", action="store_true")
    args = parser.parse_args()

    started = time.perf_counter()
    load_model()
    print(f"model load: {time.perf_counter() - started:.1f} s")
    unique = sorted({s for lines in source_texts().values() for s in lines})
    vectors = dict(zip(unique, embed_sentences(unique)))

    print(f"\nPk / WindowDiff, mean over {args.docs} Choi-style documents of 10 segments (lower is better)")
    print(
        f"{'segment length':<16}"
        + "".join(f"{name:>22}" for name in ("ours (pauses)", "ours (flat)", "clipsai", "even"))
    )
    for lo, hi in ((4, 10), (3, 5), (6, 8), (9, 11)):
        result = evaluate(args.docs, lo, hi, vectors)
        cells = [
            f"{result[n][0]:.3f} / {result[n][1]:.3f}" for n in ("ours (pauses)", "ours (flat)", "clipsai", "even")
        ]
        print(f"{f'{lo}-{hi} sentences':<16}" + "".join(f"{c:>22}" for c in cells))

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
