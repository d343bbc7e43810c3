"""Speaker-aware framing on two-person panels of real people, and what it costs.

    .venv/bin/python bench/speakers.py [--seed 7] [--panels 3] [--keep DIR]

Needs ../shared/media (real GRID clips and a real one-face clip). Panels are composed as in
tests/speaker_panels.py, but with pairings, positions and turn scripts the tests never use, drawn
at random from --seed (turn lengths 0.6-2.6 s of speech, some quick exchanges, some one-word
interjections). Prints per panel and overall:

- speaker shown: share of 0.5 s speech windows whose output frame shows the person speaking
- listener only: share where it shows only the other person
- switches per minute: speaker cuts plus layout changes
- the same two shares with the speaker layout forced on every shot: how right the speech turns
  themselves are (a split shows both people and so hides a wrong turn)
- analysis CPU: user+sys of this process and its ffmpeg children, ms per video frame and
  s per minute of video, for the two-face 1920x1080 panel (face analysis + lips + voices)
- e2e RTF of a one-face clip (analysis + preview render), today's tracker vs speaker-aware

Targets: speaker shown >= 90 %, listener only <= 5 %, <= 30 switches/min, <= 10 s CPU per
minute of two-face 1080p, one-face RTF unchanged.
"""

import argparse
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

REPO_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_DIR))

from tests import speaker_panels as panels  # noqa: E402

# Pairs the tests do not use (tests: brbk7n+lwbsza, sbia1a+id2, lbbc2a+swiz3n).
PAIRS = [("lwbsza", "swiz3n"), ("id2_vcd_swwp2s", "brbk7n"), ("sbia1a", "lbbc2a"), ("brbk7n", "sbia1a")]
CANVAS = (1920, 1080)


def cpu_s() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def script(rng: random.Random, seconds: float) -> list:
    """Alternating turns of real speech stretches; now and then a one-word interjection or a
    run of quick exchanges."""
    turns, at, speaker = [], 0.0, rng.randrange(2)
    while at < seconds:
        kind = rng.random()
        if kind < 0.15:  # one word from the listener, then the speaker goes on
            start = rng.uniform(0.6, 1.6)
            turns.append(panels.Turn(1 - speaker, start, start + rng.uniform(0.35, 0.6)))
        elif kind < 0.35:  # a quick exchange
            start = rng.uniform(0.5, 1.4)
            turns.append(panels.Turn(speaker, start, start + rng.uniform(0.8, 1.2)))
            speaker = 1 - speaker
        else:
            start = rng.uniform(0.1, 0.6)
            turns.append(panels.Turn(speaker, start, min(2.95, start + rng.uniform(1.6, 2.6))))
            speaker = 1 - speaker
        at += turns[-1].clip_to - turns[-1].clip_from
    return turns


def one_panel(folder: Path, index: int, rng: random.Random, seconds: float):
    from pipeline import speakers
    from pipeline.face_analysis import crop_path, probe_video

    pair = PAIRS[index % len(PAIRS)]
    scales = (rng.uniform(2.0, 2.6), rng.uniform(2.0, 2.6))
    width = [360 * s for s in scales]
    x0 = rng.uniform(0, CANVAS[0] / 2 - width[0])
    x1 = rng.uniform(CANVAS[0] / 2, CANVAS[0] - width[1])
    places = (
        (int(x0), int(rng.uniform(0, CANVAS[1] - 288 * scales[0]))),
        (int(x1), int(rng.uniform(0, CANVAS[1] - 288 * scales[1]))),
    )
    panel = panels.compose(
        folder / f"panel{index}.mp4", pair, script(rng, seconds), places=places, scales=scales, canvas=CANVAS
    )
    duration = probe_video(panel.path).duration_s
    crop_path(panel.path, 0, min(duration, 6.0))  # warm: a worker loads the models once, not per clip
    before = cpu_s()
    today = crop_path(panel.path, 0, duration, speaker_aware=False)
    tracker_cpu = cpu_s() - before
    before = cpu_s()
    path = crop_path(panel.path, 0, duration)
    aware_cpu = cpu_s() - before
    figures = panels.score(path, panel)
    # the speaker layout forced on every shot: how right the turns are, which a split hides
    forced = panels.score(speakers.replan(path, aspect="9:16", choice="speaker"), panel)
    figures["forced_speaker_shown"], figures["forced_listener_only"] = forced["speaker_shown"], forced["listener_only"]
    figures["tracker_listener_only"] = panels.score(today, panel)["listener_only"]
    figures["tracker_speaker_shown"] = panels.score(today, panel)["speaker_shown"]
    return pair, duration, path, figures, tracker_cpu, aware_cpu


def one_face_rtf(folder: Path) -> tuple[float, float, float]:
    """Analysis + preview render of a real one-face clip: today's tracker vs speaker-aware."""
    from pipeline.face_analysis import crop_path, probe_video
    from pipeline.render import render_clip

    source = panels.MEDIA_DIR / "liveportrait" / "d0.mp4"
    duration = probe_video(source).duration_s
    times = {}
    for name, aware in (("warm", True), ("before", False), ("after", True), ("before2", False), ("after2", True)):
        started = time.perf_counter()
        crop = crop_path(source, 0, duration, speaker_aware=aware)
        render_clip(source, 0, duration, folder / f"one_face_{name}.mp4", crop=crop)
        times[name] = (time.perf_counter() - started) / duration
    return min(times["before"], times["before2"]), min(times["after"], times["after2"]), duration


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--panels", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=30.0, help="length of each panel")
    parser.add_argument("--keep", type=Path, help="keep the panels and renders in this folder")
    args = parser.parse_args()
    if not panels.available():
        sys.exit(f"bench/speakers.py: {panels.MISSING}")
    rng = random.Random(args.seed)
    print(f"load average before: {' '.join(open('/proc/loadavg').read().split()[:3])}")
    with tempfile.TemporaryDirectory(prefix="cliper-speakers-") as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        totals = {
            "windows": 0,
            **dict.fromkeys(("shown", "listener", "forced", "forced_listener", "switches", "minutes"), 0.0),
        }
        cpu = {"tracker": 0.0, "aware": 0.0, "seconds": 0.0}
        for index in range(args.panels):
            pair, duration, path, f, tracker_cpu, aware_cpu = one_panel(folder, index, rng, args.seconds)
            layouts = ", ".join(f"{s.layout} {s.end - s.start:.0f} s" for s in path.speakers.layouts)
            print(
                f"panel {index} {pair[0]}+{pair[1]} {duration:.0f} s: speaker shown {f['speaker_shown']:.0%}, "
                f"listener only {f['listener_only']:.0%}, {f['switches_per_min']:.1f} switches/min [{layouts}]; "
                f"speaker layout forced: shown {f['forced_speaker_shown']:.0%}, "
                f"listener only {f['forced_listener_only']:.0%}; "
                f"today's tracker: shown {f['tracker_speaker_shown']:.0%}, listener only {f['tracker_listener_only']:.0%}"
            )
            totals["windows"] += f["windows"]
            totals["shown"] += f["speaker_shown"] * f["windows"]
            totals["listener"] += f["listener_only"] * f["windows"]
            totals["forced"] += f["forced_speaker_shown"] * f["windows"]
            totals["forced_listener"] += f["forced_listener_only"] * f["windows"]
            totals["switches"] += f["switches_per_min"] * duration / 60
            totals["minutes"] += duration / 60
            cpu["tracker"] += tracker_cpu
            cpu["aware"] += aware_cpu
            cpu["seconds"] += duration
        windows = max(totals["windows"], 1)
        print(
            f"overall ({totals['windows']} speech windows): speaker shown {totals['shown'] / windows:.1%}, "
            f"listener only {totals['listener'] / windows:.1%}, "
            f"{totals['switches'] / max(totals['minutes'], 1e-9):.1f} switches/min; speaker layout forced "
            f"on every shot: shown {totals['forced'] / windows:.1%}, listener only {totals['forced_listener'] / windows:.1%}"
        )
        frames = cpu["seconds"] * panels.FPS
        print(
            f"analysis CPU, two-face {CANVAS[0]}x{CANVAS[1]}: {1000 * cpu['aware'] / frames:.1f} ms/frame, "
            f"{60 * cpu['aware'] / cpu['seconds']:.1f} s per minute "
            f"(today's tracker alone {60 * cpu['tracker'] / cpu['seconds']:.1f} s per minute)"
        )
        before, after, duration = one_face_rtf(folder)
        print(
            f"one-face clip ({duration:.1f} s, liveportrait/d0) analysis + preview RTF: before {before:.3f}, after {after:.3f}"
        )
    print("machine shared with other jobs: wall-clock figures vary with its load; CPU figures less so")


if __name__ == "__main__":
    main()
