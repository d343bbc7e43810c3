"""Reframing and rendering speed on a 60 s 1080p30 talking-head source.

    .venv/bin/python bench/render.py [--seconds 60] [--keep DIR]

Prints the real-time factor (processing seconds / media seconds) of face analysis, preview
render, final render, and the finished final (loudness normalised to -14 LUFS and pauses trimmed,
its audio-only analysis included, still one video encode), and each phase's peak RSS (this process and its ffmpeg children).
Each phase runs in its own Python process so peaks do not mix; MediaPipe and OpenCV are
imported before the clock starts, as in a long-running worker that imported them once. Targets on 2 cores:
analysis <= 0.15, preview <= 0.25, final <= 0.8.
"""

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_DIR))


def make_source(path: Path, seconds: float) -> None:
    from pipeline.sample import Placement, Shot, compose_face_video, speak

    text = " ".join(["Coffee beans are roasted seeds of a cherry that grows in the tropics."] * 40)
    wav = speak(text, path.with_suffix(".wav"))
    scale = 1.0 * 1080 / 300 * 0.8  # head photo 864 px tall: face ~300 px, like a presenter
    width = 300 * scale
    shots = [
        Shot(seconds * 0.45, "0x2f5d50", (Placement(200, 100, 1920 - width - 200, 100, scale),)),
        Shot(seconds * 0.30, "0x3b3f7a", (Placement(1920 - width - 300, 60, scale=scale * 1.2),)),
        Shot(seconds * 0.25, "0x6b4a2e", (Placement(600, 120, 300, 120, scale),)),
    ]
    compose_face_video(path, shots, width=1920, height=1080, fps=30, audio_path=wav, crf=20)


def phase(name: str, source: Path, seconds: float, out_dir: Path) -> dict:
    from pipeline.face_analysis import crop_path
    from pipeline.render import render_clip
    from pipeline.schemas import CropPath, Word
    from pipeline.stages import write_model

    words = [Word(text=f"word{i}", start=i * 0.4, end=i * 0.4 + 0.3) for i in range(int(seconds / 0.4))]
    # A long-running worker imported these once already; timing them per clip would mislead.
    import cv2  # noqa: F401
    import mediapipe  # noqa: F401
    from mediapipe.tasks.python import vision  # noqa: F401

    started = time.perf_counter()
    if name == "analysis":
        path = crop_path(source, 0, seconds)
        write_model(out_dir / "crop.json", path)
        detail = f"{path.frames_analysed} frames analysed, faces in {path.faces_seen}, cuts {path.cuts}"
    elif name == "finished":
        # The final with the finishing on: words are the speech spans the audio has (espeak-ng's
        # sentence pauses are its only pauses), so the trim cuts real silences.
        from pipeline import sound

        crop = CropPath.model_validate_json((out_dir / "crop.json").read_text())
        words = _speech_words(source, seconds)
        encodes = []
        real_popen = subprocess.Popen  # every ffmpeg the render starts, counted
        subprocess.Popen = lambda cmd, *a, **k: (encodes.append(cmd), real_popen(cmd, *a, **k))[1]
        audio = sound.analyse(source, 0, seconds, target_lufs=-14.0)
        result = render_clip(
            source, 0, seconds, out_dir / "finished.mp4", words=words, preview=False, crop=crop, audio=audio,
            loudness_lufs=-14.0, trim_pause_s=TRIM_PAUSE_S,
        )  # fmt: skip
        out_s = float(
            subprocess.run(
                [
                    "ffprobe",
                    "-v",
                    "error",
                    "-show_entries",
                    "format=duration",
                    "-of",
                    "csv=p=0",
                    str(out_dir / "finished.mp4"),
                ],
                capture_output=True,
                text=True,
            ).stdout  # fmt: skip
        )
        detail = (
            f"{result.width}x{result.height}, {seconds - out_s:.1f} s of pauses > {TRIM_PAUSE_S} s cut, "
            f"gain {audio.gain.gain_db:+.1f} dB{' + limiter' if audio.gain.limit else ''}, "
            f"{sum('libx264' in c for c in encodes)} video encode"
        )
    else:
        # As the app does: the preview analyses faces; the final reuses that crop path.
        crop = CropPath.model_validate_json((out_dir / "crop.json").read_text()) if name == "final" else None
        result = render_clip(
            source, 0, seconds, out_dir / f"{name}.mp4", words=words, preview=name == "preview", crop=crop
        )
        size_mb = (out_dir / result.video_file).stat().st_size / 1e6
        detail = f"{result.width}x{result.height}, {size_mb:.1f} MB"
    elapsed = time.perf_counter() - started
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    rss_mb = max(own.ru_maxrss, children.ru_maxrss) / 1024
    cpu_s = own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime
    return {
        "phase": name, "seconds": elapsed, "rtf": elapsed / seconds, "cpu_rtf": cpu_s / seconds,
        "peak_rss_mb": rss_mb, "detail": detail,
    }  # fmt: skip


TRIM_PAUSE_S = 0.3  # espeak-ng's pauses between sentences are 0.3-0.5 s; the app's default is 0.6


def _speech_words(source: Path, seconds: float):
    """One Word per stretch of speech in the source (between silencedetect's silences)."""
    import re

    from pipeline.schemas import Word

    log = subprocess.run(
        ["ffmpeg", "-hide_banner", "-nostats", "-t", str(seconds), "-i", str(source), "-map", "0:a:0",
         "-af", "silencedetect=noise=-35dB:d=0.2", "-f", "null", "-"],
        capture_output=True, text=True,
    ).stderr  # fmt: skip
    starts = [float(x) for x in re.findall(r"silence_start: (-?[\d.]+)", log)]
    ends = [0.0] + [float(x) for x in re.findall(r"silence_end: (-?[\d.]+)", log)]
    return [Word(text=f"s{i}", start=a, end=b) for i, (a, b) in enumerate(zip(ends, starts)) if b > a]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--keep", type=Path, help="keep the source and outputs in this folder")
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    parser.add_argument("--dir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        print(json.dumps(phase(args.phase, args.dir / "source.mp4", args.seconds, args.dir)))
        return
    with tempfile.TemporaryDirectory(prefix="cliper-bench-") as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        source = folder / "source.mp4"
        if not source.exists():
            started = time.perf_counter()
            make_source(source, args.seconds)
            print(f"source: {args.seconds:.0f} s 1920x1080 30 fps made in {time.perf_counter() - started:.1f} s")
        load = open("/proc/loadavg").read().split()[:3]
        print(f"load average before: {' '.join(load)}")
        for name in ("analysis", "preview", "final", "finished"):
            cmd = [sys.executable, __file__, "--phase", name, "--dir", str(folder), "--seconds", str(args.seconds)]
            out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
            figures = json.loads(out.strip().splitlines()[-1])
            print(
                f"{name:9s} RTF {figures['rtf']:.3f} ({figures['seconds']:.1f} s, CPU {figures['cpu_rtf']:.3f})  "
                f"peak RSS {figures['peak_rss_mb']:.0f} MB  {figures['detail']}"
            )
        print("finished = final + loudness analysis and normalisation + pause trimming, in the same single encode")
        print("preview includes its face analysis, final reuses it; CPU = (user+sys, all threads) / media s,")
        print("which is about 2x the wall-clock RTF a quiet 2-core machine would show")


if __name__ == "__main__":
    main()
