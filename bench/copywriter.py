"""Copy-stage figures: the local drafter (cold and warm) and the LLM workflow's own overhead.

    .venv/bin/python bench/copywriter.py [--clips 30]

The LLM path runs against the fake Gemini server of the tests (instant answers), so its figure
is the graph + request building + validation time, not a model's latency.
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

REPO_DIR = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO_DIR), str(REPO_DIR / "tests")]

from copy_support import (  # noqa: E402
    ENGLISH_CLIPS,
    FAST_RETRY,
    FakeServer,
    GeminiProtocol,
    classification,
    good_copy,
    transcript_for,
)

from pipeline.copywriter import RetryPolicy, write_copies  # noqa: E402
from pipeline.schemas import PipelineOptions  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clips", type=int, default=30)
    args = parser.parse_args()
    texts = [ENGLISH_CLIPS[i % len(ENGLISH_CLIPS)] * 3 for i in range(args.clips)]  # ~60-s clips
    _, clips_result = transcript_for(texts, "en")
    clips = dict(enumerate(clips_result.clips))
    words = sum(len(text.split()) for text in texts)
    options = PipelineOptions(mandatory_hashtags=["#AICDMX"])

    started = time.perf_counter()
    cold = write_copies(clips, language="en", options=options)
    cold_s = time.perf_counter() - started
    warm_runs = []
    for _ in range(3):
        started = time.perf_counter()
        write_copies(clips, language="en", options=options)
        warm_runs.append(time.perf_counter() - started)
    assert not cold.failures
    print(f"local drafts, {args.clips} clips ({words} words):")
    print(f"  cold (imports + model load + drafts): {cold_s:.1f} s")
    print(
        f"  warm: median {statistics.median(warm_runs):.2f} s, {1000 * statistics.median(warm_runs) / args.clips:.0f} ms per clip"
    )

    def reply(request, number):
        if request.kind == "classify":
            return GeminiProtocol.answer(
                request,
                classification(
                    request.clip_indexes,
                    {i: ("viral", "educational", "storytelling")[i % 3] for i in request.clip_indexes},
                ),
            )
        return GeminiProtocol.answer(request, {"copies": [good_copy(i) for i in request.clip_indexes]})

    with FakeServer(reply) as server:
        llm_options = GeminiProtocol.options(server.url, mandatory_hashtags=["#AICDMX"])
        runs = []
        for _ in range(3):
            started = time.perf_counter()
            result = write_copies(clips, language="en", options=llm_options, retry=RetryPolicy(**FAST_RETRY))
            runs.append(time.perf_counter() - started)
        requests = len(server.requests) // 3
    assert not result.failures
    print(f"gemini workflow against an instant fake server, {args.clips} clips:")
    print(
        f"  first run {runs[0]:.2f} s (imports), then median {statistics.median(runs[1:]):.2f} s; {requests} requests per run"
    )


if __name__ == "__main__":
    main()
