"""Who speaks when in a clip, from voices and lips together, and which face that is.

Input: the face detector samples of the reframer (boxes per sampled frame, shots between cuts).
Face tracks are linked per shot. Only when some shot has two faces does the expensive part run:
lip movement per face (pipeline.lips), speech turns and one voice per turn (pipeline.voices).
Each voice is mapped to the face whose lips move most over all of that voice's turns (a
one-to-one assignment); a voice with fewer than MIN_VOICE_TURNS turns is instead decided turn by
turn from the lips. The layouts module turns the result into a framing per shot.
"""

import math
import time
from dataclasses import dataclass

import numpy as np

from .schemas import Box, FaceTrack, SpeechTurn

TRACK_MIN_SHARE = 0.4  # a face seen in fewer of its shot's sampled frames is a passer-by
MIN_VOICE_TURNS = 3  # fewer turns than this: a voice's face is decided per turn, from the lips
LIP_WINDOW_S = 0.5


@dataclass
class ShotFaces:
    shot: int
    start: float  # clip-relative seconds
    end: float
    tracks: list[FaceTrack]


def link_tracks(samples, clip_s: float) -> list[ShotFaces]:
    """Face tracks per shot: detections linked frame to frame by nearest centre."""
    shots: list[ShotFaces] = []
    bounds = [0.0, *samples.cuts, clip_s]
    next_id = 0
    for shot_id in sorted(set(samples.shot_ids)):
        index = [i for i, s in enumerate(samples.shot_ids) if s == shot_id]
        start = bounds[shot_id] if shot_id < len(bounds) else samples.times[index[0]]
        end = bounds[shot_id + 1] if shot_id + 1 < len(bounds) else clip_s
        open_tracks: list[dict] = []
        for i in index:
            t = samples.times[i]
            unmatched = list(samples.boxes[i])
            for track in open_tracks:
                if not unmatched:
                    break
                lx, ly, lw, lh = track["boxes"][-1]
                cx, cy = lx + lw / 2, ly + lh / 2
                best = min(unmatched, key=lambda b: math.hypot(b[0] + b[2] / 2 - cx, b[1] + b[3] / 2 - cy))
                if math.hypot(best[0] + best[2] / 2 - cx, best[1] + best[3] / 2 - cy) <= max(lw, best[2]):
                    track["times"].append(t)
                    track["boxes"].append(best[:4])
                    unmatched.remove(best)
            for box in unmatched:
                open_tracks.append({"times": [t], "boxes": [box[:4]]})
        kept = []
        for track in open_tracks:
            if len(track["times"]) < max(2, TRACK_MIN_SHARE * len(index)):
                continue
            boxes = np.array(track["boxes"], dtype=float)
            median = np.median(boxes, axis=0)
            kept.append(
                FaceTrack(
                    id=0,
                    shot=shot_id,
                    box=_box(median),
                    times=[float(t) for t in track["times"]],
                    boxes=[_box(b) for b in boxes],
                )
            )
        kept.sort(key=lambda f: f.box.x)  # left to right: stable ids, and the split's top is the left person
        for track in kept:
            track.id = next_id
            next_id += 1
        shots.append(ShotFaces(shot_id, float(start), float(end), kept))
    return shots


def _box(values) -> Box:
    x, y, w, h = (float(v) for v in values[:4])
    return Box(x=round(x), y=round(y), width=max(1, round(w)), height=max(1, round(h)))


def clip_audio(media_path, start_s: float, end_s: float) -> np.ndarray:
    """The clip's sound as 16 kHz mono float32 (empty when the media has no audio)."""
    import subprocess

    cmd = [
        "ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error",
        "-ss", f"{start_s:.3f}", "-t", f"{end_s - start_s:.3f}", "-i", f"file:{media_path}",
        "-map", "0:a:0?", "-ac", "1", "-ar", "16000", "-f", "s16le", "pipe:1",
    ]  # fmt: skip
    raw = subprocess.run(cmd, capture_output=True).stdout
    return np.frombuffer(raw[: len(raw) // 2 * 2], np.int16).astype(np.float32) / 32768.0


def lip_score(series, start: float, end: float) -> float:
    """How much a face's mouth moved in start..end: spread of jawOpen (else of the lip gap) in
    0.5 s windows, averaged; speech moves it ~3x more than silence does. NaN if not measured."""
    times = np.asarray(series.times, dtype=float)
    if not len(times):
        return float("nan")
    values = np.asarray(series.jaw, dtype=float)
    if np.isnan(values).all():
        values = np.asarray(series.opening, dtype=float)
    inside = (times >= start - 0.1) & (times <= end + 0.1)
    spreads = []
    low = start
    while low < end - 1e-6:
        high = min(end, low + LIP_WINDOW_S)
        window = values[inside & (times >= low - 0.1) & (times <= high + 0.1)]
        window = window[~np.isnan(window)]
        if len(window) >= 2:
            spreads.append(float(np.std(window)))
        low = high
    return float(np.mean(spreads)) if spreads else float("nan")


def assign_turns(turns: list[SpeechTurn], scores: np.ndarray, voices: list[int], face_ids: list[int]) -> None:
    """Set each turn's face: voices mapped one to one to faces by lip movement over all their turns;
    voices with few turns (and turns without a voice) go by the lips of that turn alone.

    `scores[i, j]` is the lip score of face j in turn i (NaN: unknown).
    """
    from scipy.optimize import linear_sum_assignment

    scores = np.nan_to_num(np.asarray(scores, dtype=float), nan=0.0)
    durations = np.array([t.end - t.start for t in turns])
    voice_ids = sorted({v for v in voices if v >= 0})
    face_of_voice: dict[int, int] = {}
    mapped = [v for v in voice_ids if sum(1 for x in voices if x == v) >= MIN_VOICE_TURNS]
    if mapped:
        totals = np.array(
            [(scores[np.array(voices) == v] * durations[np.array(voices) == v, None]).sum(0) for v in mapped]
        )
        rows, cols = linear_sum_assignment(-totals)
        face_of_voice = {mapped[r]: face_ids[c] for r, c in zip(rows, cols)}
    for i, turn in enumerate(turns):
        turn.voice = voices[i]
        if turn.voice in face_of_voice:
            turn.face = face_of_voice[turn.voice]
        elif scores[i].max() > 0:
            turn.face = face_ids[int(np.argmax(scores[i]))]
        order = np.sort(scores[i])[::-1]
        turn.overlap = bool(len(order) > 1 and order[0] > 0 and order[1] >= 0.75 * order[0])


def speaker_turns(media_path, video, start_s: float, end_s: float, shot: ShotFaces, audio: np.ndarray, lips) -> list:
    """Speech turns inside one two-face shot, each with its voice and face."""
    from . import voices

    turns = [SpeechTurn(start=a, end=b) for a, b in voices.speech_turns(audio) if b > shot.start and a < shot.end]
    if not turns:
        return []
    for turn in turns:
        turn.start, turn.end = max(turn.start, shot.start), min(turn.end, shot.end)
    face_ids = [f.id for f in shot.tracks]
    scores = np.array([[lip_score(lips[f], t.start, t.end) for f in face_ids] for t in turns])
    embeddable = [i for i, t in enumerate(turns) if t.end - t.start >= voices.MIN_TURN_S]
    labels = [-1] * len(turns)
    if len(embeddable) >= 2:
        rate = voices.SAMPLE_RATE
        embeddings = np.stack(
            [voices.embed(audio[int(turns[i].start * rate) : int(turns[i].end * rate)]) for i in embeddable]
        )
        for i, label in zip(embeddable, voices.cluster(embeddings, len(face_ids))):
            labels[i] = label
    assign_turns(turns, scores, labels, face_ids)
    return turns


def analyse_shots(media_path, video, start_s: float, end_s: float, shots: list[ShotFaces]) -> tuple[list, float]:
    """Speech turns of the clip's two-face shots (with faces), and the CPU seconds it took."""
    from . import lips

    cpu_started = time.process_time()
    two_face = [s for s in shots if len(s.tracks) == 2]
    if not two_face:
        return [], 0.0
    audio = clip_audio(media_path, start_s, end_s)
    if not len(audio):
        return [], time.process_time() - cpu_started
    tracks = {f.id: (f.times, [(b.x, b.y, b.width, b.height) for b in f.boxes]) for s in two_face for f in s.tracks}
    series = lips.measure(media_path, video, start_s, end_s, tracks)
    turns = []
    for shot in two_face:
        turns += speaker_turns(media_path, video, start_s, end_s, shot, audio, series)
        for face in shot.tracks:
            own = [t for t in turns if t.face == face.id]
            face.speaking_s = round(sum(t.end - t.start for t in own), 2)
            active = [lip_score(series[face.id], t.start, t.end) for t in turns if t.start >= shot.start]
            active = [a for a in active if not math.isnan(a)]
            face.lip_activity = round(float(np.mean(active)), 4) if active else 0.0
    return turns, time.process_time() - cpu_started


def needs_analysis(shots: list[ShotFaces]) -> bool:
    """False for clips whose every shot shows exactly one face: those keep today's path as it is."""
    return any(len(s.tracks) != 1 for s in shots)


def frame(path, samples, media_path, video, start_s: float, end_s: float, *, aspect: str, margin: float):
    """The reframer's `path` with speaker-aware layouts, or `path` itself for one-face clips."""
    from . import layouts

    shots = link_tracks(samples, end_s - start_s)
    if not needs_analysis(shots) and not _close_up(shots, path.width):
        return path
    warning = ""
    try:
        turns, cpu_s = analyse_shots(media_path, video, start_s, end_s, shots)
    except (OSError, RuntimeError, ValueError, ImportError) as exc:  # missing model files, ffmpeg
        turns, cpu_s = [], 0.0
        warning = f"Speaker analysis failed ({str(exc)[:160]}): follows one face"
    planned = layouts.plan(path, shots, turns, aspect=aspect, margin=margin)
    planned.speakers.analysis_cpu_s = round(cpu_s, 3)
    if warning:
        planned.warning = f"{planned.warning}; {warning}" if planned.warning else warning
    return planned


def _close_up(shots: list[ShotFaces], crop_width: int) -> bool:
    from .layouts import CLOSE_UP_RATIO

    return any(f.box.width > CLOSE_UP_RATIO * crop_width for s in shots for f in s.tracks)


def replan(path, *, aspect: str, margin: float, choice: str = "auto", follow: int | None = None):
    """`path` (planned earlier, with its analysis) planned again for a reviewer's override."""
    from . import layouts

    analysis = path.speakers
    if analysis is None:
        return path
    tracker = path.model_copy(deep=True)
    tracker.xs, tracker.ys = list(analysis.tracker_xs or path.xs), list(analysis.tracker_ys or path.ys)
    tracker.switches, tracker.speakers = [], None
    shots = [
        ShotFaces(i, shot.start, shot.end, [f for f in analysis.faces if f.shot == i])
        for i, shot in enumerate(analysis.layouts)
    ]
    planned = layouts.plan(tracker, shots, analysis.turns, aspect=aspect, margin=margin, choice=choice, follow=follow)
    planned.speakers.analysis_cpu_s = analysis.analysis_cpu_s
    for face in planned.speakers.faces:
        old = next((f for f in analysis.faces if f.id == face.id), None)
        face.thumbnail = old.thumbnail if old else face.thumbnail
    return planned
