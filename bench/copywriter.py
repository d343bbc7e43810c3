"""Copy-stage figures: the offline writer's speed and how much of its copy passes the checks, and
the LLM workflow's own overhead.

    .venv/bin/python bench/copywriter.py [--dump copies.json]

Offline writer: bench/texts/ (18 explainer texts written for the segmentation bench, none used to
tune the writer), each cut into two clips, six clips to a "video". The checks are the issue's:
hook of at most 12 words made of the clip's own words (filler aside), no ellipsis, not dangling;
title of at most 70 characters; 3 to 5 topical hashtags, none a stop word, a number or absent
from the clip; the mandatory tag present; no call to action repeated within a video.

LLM path: the fake Gemini server of the tests (instant answers), so its figure is the graph +
request building + validation time, not a model's latency.
"""

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

REPO_DIR = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO_DIR), str(REPO_DIR / "tests")]

from copy_support import (  # noqa: E402
    FAST_RETRY,
    FakeServer,
    GeminiProtocol,
    classification,
    copy_problems,
    good_copy,
    transcript_for,
)

from pipeline.copywriter import RetryPolicy, write_copies  # noqa: E402
from pipeline.schemas import PipelineOptions  # noqa: E402

TEXTS_DIR = REPO_DIR / "bench" / "texts"
CLIPS_PER_VIDEO = 6
MANDATORY = ["#AICDMX"]


def bench_videos() -> list[list[str]]:
    """bench/texts cut into clips (each text's first and second half), six clips per video."""
    clips = []
    for path in sorted(TEXTS_DIR.glob("*.txt")):
        lines = [line.strip() for line in path.read_text().splitlines() if line.strip()]
        half = len(lines) // 2
        clips += [" ".join(lines[:half]), " ".join(lines[half:])]
    return [clips[i : i + CLIPS_PER_VIDEO] for i in range(0, len(clips), CLIPS_PER_VIDEO)]


def offline(dump: Path | None) -> None:
    options = PipelineOptions(mandatory_hashtags=MANDATORY)
    videos = bench_videos()
    passed = total = repeated_videos = 0
    failures: dict[str, int] = {}
    seconds, cpu_seconds, dumped = [], [], []
    started = time.perf_counter()
    for number, texts in enumerate(videos):
        _, clips_result = transcript_for(texts, "en")
        began, began_cpu = time.perf_counter(), time.process_time()
        result = write_copies(dict(enumerate(clips_result.clips)), language="en", options=options)
        if number:  # the first video pays for imports and the model load
            seconds.append((time.perf_counter() - began) / len(texts))
            cpu_seconds.append((time.process_time() - began_cpu) / len(texts))
        calls = [copy.text.splitlines()[-1] for copy in result.copies]
        repeated = len(set(calls)) < len(calls)
        repeated_videos += repeated
        for copy in result.copies:
            problems = copy_problems(copy, texts[copy.clip_index], MANDATORY)
            topical = [tag for tag in copy.hashtags if tag not in MANDATORY]
            if not 3 <= len(topical) <= 5:
                problems.append(f"{len(topical)} topical hashtags")
            if repeated:
                problems.append("a call to action repeats in its video")
            for problem in problems:
                kind = problem.split(":")[0].split("#")[0].strip()
                failures[kind] = failures.get(kind, 0) + 1
            passed += not problems
            total += 1
            dumped.append({"clip": texts[copy.clip_index], **copy.model_dump(), "problems": problems})
    cold_s = time.perf_counter() - started
    print(f"offline writer, {total} clips in {len(videos)} videos from bench/texts:")
    print(
        f"  warm, per clip (median over videos): {1000 * statistics.median(seconds):.0f} ms wall, "
        f"{1000 * statistics.median(cpu_seconds):.0f} ms CPU; {cold_s:.1f} s wall in all (imports, model load)"
    )
    print(f"  {passed}/{total} clips pass every check ({100 * passed / total:.0f} %)")
    print(f"  videos with a repeated call to action: {repeated_videos}/{len(videos)}")
    for kind, count in sorted(failures.items(), key=lambda item: -item[1]):
        print(f"    {count} x {kind}")
    if dump:
        dump.write_text(json.dumps(dumped, ensure_ascii=False, indent=1))


def llm_overhead() -> None:
    texts = [text for video in bench_videos() for text in video][:30]
    _, clips_result = transcript_for(texts, "en")
    clips = dict(enumerate(clips_result.clips))

    def reply(request, number):
        if request.kind == "classify":
            styles = {i: ("viral", "educational", "storytelling")[i % 3] for i in request.clip_indexes}
            return GeminiProtocol.answer(request, classification(request.clip_indexes, styles))
        return GeminiProtocol.answer(request, {"copies": [good_copy(i) for i in request.clip_indexes]})

    with FakeServer(reply) as server:
        llm_options = GeminiProtocol.options(server.url, mandatory_hashtags=MANDATORY)
        runs = []
        for _ in range(3):
            started = time.perf_counter()
            result = write_copies(clips, language="en", options=llm_options, retry=RetryPolicy(**FAST_RETRY))
            runs.append(time.perf_counter() - started)
        requests = len(server.requests) // 3
    assert not result.failures
    print(f"gemini workflow against an instant fake server, {len(clips)} clips:")
    print(
        f"  first run {runs[0]:.2f} s (imports), then median {statistics.median(runs[1:]):.2f} s; {requests} requests per run"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dump", type=Path, help="write every clip's copy and its problems here (JSON)")
    args = parser.parse_args()
    offline(args.dump)
    llm_overhead()


if __name__ == "__main__":
    main()
