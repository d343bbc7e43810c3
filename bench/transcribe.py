"""Transcription speed on a generated talk of at least 5 minutes: real-time factor (processing
time, model load included, ÷ audio duration), peak RSS and word error rate, per Whisper model.

    .venv/bin/python bench/transcribe.py [--models base tiny.en] [--beam 1] [--repeat 6]

Each model runs in a fresh process so its load time and peak memory are its own.
Targets on 2 cores: base RTF <= 0.12, peak <= 1.7 GB. Note the load average printed: on a
shared machine the wall-clock figures scale with it; CPU seconds per audio second do not, and
÷ the cores in use they bound the RTF a quiet machine would give.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import wave
from pathlib import Path

REPO_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_DIR))

from tests.ingest_support import TALK_PARAGRAPHS, speak, word_error_rate  # noqa: E402


def child(model: str, wav_path: Path, beam_size: int) -> None:
    started = time.perf_counter()
    from pipeline import transcribe

    transcript = transcribe.transcribe(wav_path, model=model, beam_size=beam_size)
    elapsed = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    peak_gb = usage.ru_maxrss / 1024**2  # ru_maxrss is KiB on Linux
    text = " ".join(w.text for w in transcript.words)
    cpu_s = usage.ru_utime + usage.ru_stime
    print(json.dumps({"elapsed_s": elapsed, "cpu_s": cpu_s, "peak_gb": peak_gb, "text": text}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="+", default=["base", "tiny.en"])
    parser.add_argument("--beam", type=int, default=1, help="beam size (1 = greedy, the stage's default)")
    parser.add_argument("--repeat", type=int, default=6, help="times the talk text is read (6 = ~5.5 min)")
    parser.add_argument("--child", nargs=2, metavar=("MODEL", "WAV"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]), args.beam)
        return

    reference = " ".join(TALK_PARAGRAPHS * args.repeat)
    with tempfile.TemporaryDirectory(prefix="cliper-bench-") as tmp:
        raw = speak(reference, Path(tmp) / "talk.wav")
        wav_path = Path(tmp) / "talk16.wav"
        subprocess.run(
            ["ffmpeg", "-v", "error", "-i", str(raw), "-ac", "1", "-ar", "16000", "-c:a", "pcm_s16le", str(wav_path)],
            check=True,
        )
        with wave.open(str(wav_path)) as wav:
            audio_s = wav.getnframes() / wav.getframerate()
        print(f"audio {audio_s:.1f} s, {os.cpu_count()} CPUs, beam {args.beam}, load average {os.getloadavg()[0]:.1f}")
        for model in args.models:
            out = subprocess.run(
                [sys.executable, __file__, "--beam", str(args.beam), "--child", model, str(wav_path)],
                check=True, capture_output=True, text=True, cwd=REPO_DIR,
            )  # fmt: skip
            result = json.loads(out.stdout.strip().splitlines()[-1])
            wer = word_error_rate(reference, result["text"])
            print(
                f"{model:8s} RTF {result['elapsed_s'] / audio_s:.3f}  ({result['elapsed_s']:.1f} s)  "
                f"CPU {result['cpu_s'] / audio_s:.3f} s per audio s  "
                f"peak RSS {result['peak_gb']:.2f} GB  WER {100 * wer:.1f} %  "
                f"load average now {os.getloadavg()[0]:.1f}"
            )


if __name__ == "__main__":
    main()
