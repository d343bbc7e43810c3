"""Two-person panels composed from the real GRID clips in ../shared/media (never committed).

Each panel puts two real people side by side on a 1280x720 canvas. Turns follow a script: in a
turn the speaker plays a stretch of their own clip (their real voice and mouth), while the
listener plays real idle footage of themselves (their clip's closed-mouth lead-in, played
forwards and backwards). The answer (who speaks when) is only in the script, never in the
picture's layout: positions and sizes vary, and the first speaker is not the face a one-face
tracker starts on. Used by tests/test_speakers_*.py and bench/speakers.py.
"""

import subprocess
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

MEDIA_DIR = Path(__file__).resolve().parent.parent.parent / "shared" / "media"
GRID_DIR = MEDIA_DIR / "grid"
CANVAS = (1280, 720)
FPS = 25
MISSING = f"real footage not found at {MEDIA_DIR} (../shared/media; a user's clone has none)"


def grid_clip(name: str) -> Path:
    return GRID_DIR / f"{name}.mp4"


def available() -> bool:
    return GRID_DIR.is_dir() and len(list(GRID_DIR.glob("*.mp4"))) >= 2


@cache
def speech_span(clip: Path) -> tuple[float, float]:
    """Where the clip's speech starts and ends (20 ms RMS above a quarter of its peak: brbk7n's
    background noise reaches 13 % of it)."""
    raw = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", f"file:{clip}", "-ac", "1", "-ar", "16000", "-f", "s16le", "pipe:1"],
        capture_output=True, check=True,
    ).stdout  # fmt: skip
    audio = np.frombuffer(raw, np.int16).astype(float)
    frames = audio[: len(audio) // 320 * 320].reshape(-1, 320)
    rms = np.sqrt((frames**2).mean(axis=1))
    loud = np.flatnonzero(rms > 0.25 * rms.max())
    return loud[0] * 0.02, (loud[-1] + 1) * 0.02


BOTH = 2  # Turn.speaker: both people talk at once (each plays the stretch of their own clip)


@dataclass(frozen=True)
class Turn:
    speaker: int  # 0 = left person, 1 = right person, BOTH
    clip_from: float  # seconds inside the speaker's own clip
    clip_to: float


@dataclass
class Panel:
    path: Path
    people: tuple[str, str]
    face_centres: tuple[float, float]  # x of each person's face centre on the canvas
    speech: list[tuple[float, float, int]]  # (start, end, speaker) panel seconds of real speech

    def windows(self, length: float = 0.5) -> list[tuple[float, int]]:
        """Centres of `length` s speech windows and who speaks in each."""
        out = []
        for start, end, speaker in self.speech:
            t = start
            while t + length <= end + 1e-6:
                out.append((t + length / 2, speaker))
                t += length
        return out


def _idle_span(clip: Path) -> tuple[float, float]:
    """The longer closed-mouth stretch of a clip: before its speech or after it (clips are 3 s)."""
    start, end = speech_span(clip)
    before, after = (0.0, max(0.0, start - 0.08)), (end + 0.1, 2.96)
    return max(before, after, key=lambda span: span[1] - span[0])


def _face_centre_x(clip: Path) -> float:
    """x of the face centre in the clip's own pixels (MediaPipe on its frame at 1 s)."""
    from tests.media_support import detect_faces, frame_at

    faces = detect_faces(frame_at(clip, 1.0))
    x, _, w, _ = max(faces, key=lambda f: f[2] * f[3])
    return x + w / 2


def compose(
    out: Path,
    people: tuple[str, str],
    turns: list[Turn],
    *,
    places: tuple[tuple[int, int], tuple[int, int]],
    scales: tuple[float, float] = (1.5, 1.5),
    canvas: tuple[int, int] = CANVAS,
) -> Panel:
    """Write the panel video (H.264 + AAC) and return where the faces and the speech are."""
    clips = [grid_clip(name) for name in people]
    idle = [_idle_span(c) for c in clips]
    segments = []
    speech = []
    at = 0.0
    with tempfile.TemporaryDirectory(prefix="panel-") as tmp:
        for n, turn in enumerate(turns):
            duration = turn.clip_to - turn.clip_from
            talking = (0, 1) if turn.speaker == BOTH else (turn.speaker,)
            video, sounds = {}, []
            for side in (0, 1):
                if side in talking:
                    spoken = speech_span(clips[side])
                    low, high = max(turn.clip_from, spoken[0]), min(turn.clip_to, spoken[1])
                    if high > low:
                        speech.append((at + low - turn.clip_from, at + high - turn.clip_from, side))
                    video[side] = f"[{side}:v]trim={turn.clip_from}:{turn.clip_to},setpts=PTS-STARTPTS"
                    sounds.append(
                        f"[{side}:a]atrim={turn.clip_from}:{turn.clip_to},asetpts=PTS-STARTPTS,aresample=48000[s{side}]"
                    )
                    continue
                idle_from, idle_to = idle[side]
                frames = round((idle_to - idle_from) * FPS)
                video[side] = (
                    f"[{side}:v]trim={idle_from}:{idle_to},setpts=PTS-STARTPTS,split[i0][i1];[i1]reverse[ir];"
                    f"[i0][ir]concat=n=2,loop=loop=-1:size={2 * frames},trim=0:{duration},setpts=PTS-STARTPTS"
                )
            graph = [f"color=c=0x2b2f38:s={canvas[0]}x{canvas[1]}:r={FPS}:d={duration}[bg]"]
            for side in (0, 1):
                graph.append(f"{video[side]},scale=iw*{scales[side]}:-2[p{side}]")
            graph.append(f"[bg][p0]overlay=x={places[0][0]}:y={places[0][1]}:shortest=1[t]")
            graph.append(f"[t][p1]overlay=x={places[1][0]}:y={places[1][1]}:shortest=1,format=yuv420p[v]")
            graph += sounds
            # both voices as recorded, not halved: two people talking at once are louder
            mixed = "[s0][s1]amix=inputs=2:normalize=0," if len(talking) == 2 else f"[s{talking[0]}]"
            graph.append(f"{mixed}apad=whole_dur={duration}[a]")
            segment = Path(tmp) / f"{n:03d}.mkv"
            subprocess.run(
                ["ffmpeg", "-v", "error", "-y", "-i", f"file:{clips[0]}", "-i", f"file:{clips[1]}",
                 "-filter_complex", ";".join(graph), "-map", "[v]", "-map", "[a]", "-t", f"{duration}",
                 "-c:v", "libx264", "-preset", "ultrafast", "-crf", "18", "-c:a", "pcm_s16le", str(segment)],
                check=True, capture_output=True,
            )  # fmt: skip
            segments.append(segment)
            at += duration
        listing = Path(tmp) / "list.txt"
        listing.write_text("".join(f"file '{s}'\n" for s in segments))
        subprocess.run(
            ["ffmpeg", "-v", "error", "-y", "-f", "concat", "-safe", "0", "-i", str(listing),
             "-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-r", str(FPS), "-c:a", "aac", f"file:{out}"],
            check=True, capture_output=True,
        )  # fmt: skip
    centres = tuple(places[i][0] + scales[i] * _face_centre_x(clips[i]) for i in (0, 1))
    return Panel(out, people, centres, speech)


def shown(path, t: float, panel: Panel) -> set[int]:
    """Which of the panel's two people the rendered frame shows at clip time t (from the plan)."""
    from pipeline.crop_plan import positions_per_frame

    analysis = path.speakers
    layout = "single"
    if analysis is not None:
        layout = next((s.layout for s in analysis.layouts if s.start <= t < s.end), analysis.layouts[-1].layout)
    if layout in ("fit", "split"):
        return {0, 1}
    frame = int(t * FPS)
    xs, _ = positions_per_frame(path, frame + 1, FPS)
    x = xs[frame]
    return {i for i, centre in enumerate(panel.face_centres) if x <= centre <= x + path.width}


def score(path, panel: Panel) -> dict:
    """Share of speech windows showing the speaker, showing only the listener, and cuts per minute."""
    windows = panel.windows()
    speaker = sum(1 for t, who in windows if who in shown(path, t, panel))
    listener_only = sum(1 for t, who in windows if shown(path, t, panel) == {1 - who})
    minutes = max(path.times[-1], 1e-3) / 60
    layouts = path.speakers.layouts if path.speakers else []
    changes = len(path.switches) + sum(1 for a, b in zip(layouts, layouts[1:]) if a.layout != b.layout)
    return {
        "windows": len(windows),
        "speaker_shown": speaker / max(len(windows), 1),
        "listener_only": listener_only / max(len(windows), 1),
        "switches_per_min": changes / minutes,
    }
