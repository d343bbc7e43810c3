"""End-to-end benchmark: a generated talk through every stage to reviewable previews.

    .venv/bin/python bench/e2e.py [--minutes 10] [--model base] [--workdir DIR]

Prints each stage's real-time factor (stage wall time / media duration) and the total.
Target on 2 cores: total <= 0.33 (a 1-hour talk reviewable in 20 minutes).
"""

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipeline import sample, schemas, stages  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--model", default="base")
    parser.add_argument("--workdir", type=Path)
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="cliper-e2e-"))
    workdir.mkdir(parents=True, exist_ok=True)

    source = workdir.parent / f"{workdir.name}-talk.mp4"
    if not source.exists():
        talk_s = 150.0  # the default sample script is about 2.5 minutes
        repeats = max(1, round(args.minutes * 60 / talk_s))
        started = time.perf_counter()
        sample.make_sample_talk(source, text="\n\n".join([sample.TALK_EN] * repeats))
        print(f"generated a talk in {time.perf_counter() - started:.1f} s: {source}")

    options = schemas.PipelineOptions(source=str(source), whisper_model=args.model)
    media_s = None
    total_s = 0.0
    print(f"{'stage':<12}{'seconds':>10}{'RTF':>8}")
    for stage in stages.STAGES:
        started = time.perf_counter()
        output = stage.run(workdir, options, lambda fraction, message="": None)
        elapsed = time.perf_counter() - started
        if stage.name == "ingest":
            media_s = output.duration
        total_s += elapsed
        print(f"{stage.name:<12}{elapsed:>10.1f}{elapsed / media_s:>8.3f}", flush=True)
    clips = stages.get_stage("clips").load_output(workdir).clips
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{'total':<12}{total_s:>10.1f}{total_s / media_s:>8.3f}   (media {media_s / 60:.1f} min, "
        f"{len(clips)} clips, peak RSS {peak_mb:.0f} MB; target total RTF <= 0.33)"
    )


if __name__ == "__main__":
    main()
