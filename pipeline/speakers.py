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

from .probe import input_args
from .schemas import Box, FaceTrack, SpeechTurn

TRACK_MIN_SHARE = 0.4  # a face seen in fewer of its shot's sampled frames is a passer-by
MIN_VOICE_TURNS = 3  # fewer turns than this: a voice's face is decided per turn, from the lips
MIN_PIECE_S = 0.5  # a lip change shorter than this does not cut a stretch of speech
LIPS_OVERRULE = 0.3  # another face's lip score this much higher than the voice's face: that face speaks
OVERLAP_LEVEL = 0.6  # both faces' lip scores at least this (1 = a face's own wide-open) ...
OVERLAP_RATIO = 0.8  # ... and the quieter one this close to the louder one: both speak


@dataclass
class ShotFaces:
    shot: int
    start: float  # clip-relative seconds
    end: float
    tracks: list[FaceTrack]
    faces_per_frame: int = 0  # 90th percentile of detections per sampled frame (small faces flicker)


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
        busy = int(np.percentile([len(samples.boxes[i]) for i in index], 90))
        shots.append(ShotFaces(shot_id, float(start), float(end), kept, busy))
    return shots


def _box(values) -> Box:
    x, y, w, h = (float(v) for v in values[:4])
    return Box(x=round(x), y=round(y), width=max(1, round(w)), height=max(1, round(h)))


def clip_audio(media_path, start_s: float, end_s: float) -> np.ndarray:
    """The clip's sound as 16 kHz mono float32 (empty when the media has no audio)."""
    import subprocess

    cmd = [
        "ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error",
        "-ss", f"{start_s:.3f}", "-t", f"{end_s - start_s:.3f}", *input_args(media_path),
        "-map", "0:a:0?", "-ac", "1", "-ar", "16000", "-f", "s16le", "pipe:1",
    ]  # fmt: skip
    raw = subprocess.run(cmd, capture_output=True).stdout
    return np.frombuffer(raw[: len(raw) // 2 * 2], np.int16).astype(np.float32) / 32768.0


@dataclass
class ClipSound:
    """A clip's sound and where in it people speak: read once per clip, before the lips (which
    are measured only in speech) and for the voices."""

    audio: np.ndarray  # 16 kHz mono float32, empty without an audio stream
    speech: list[tuple[float, float]]  # clip-relative (start, end) of speech between pauses (VAD)


def clip_sound(media_path, start_s: float, end_s: float) -> ClipSound:
    """The clip's sound and its speech stretches."""
    from . import voices

    audio = clip_audio(media_path, start_s, end_s)
    return ClipSound(audio, voices.speech_stretches(audio) if len(audio) else [])


def mouth_activity(series: dict) -> dict:
    """Per face id: (times, mouth opening scaled between the face's rest and its wide-open).

    jawOpen, else the lip gap; 0 = the face's 10th percentile, 1 = its 90th. People open their
    mouths differently wide and landmarks jitter differently (a moustache), so each face is
    measured against itself; but the span is at least half the widest face's, so a listener
    who never speaks is not blown up into a speaker.
    """
    raw = {}
    for face_id, one in series.items():
        values = np.asarray(one.jaw, dtype=float)
        if not len(values) or np.isnan(values).all():
            values = np.asarray(one.opening, dtype=float)
        raw[face_id] = (np.asarray(one.times, dtype=float), values)
    spans = {}
    for face_id, (_, values) in raw.items():
        valid = values[~np.isnan(values)] if len(values) else values
        spans[face_id] = (np.percentile(valid, 10), np.percentile(valid, 90)) if len(valid) else (0.0, 0.0)
    widest = max((high - low for low, high in spans.values()), default=0.0)
    out = {}
    for face_id, (times, values) in raw.items():
        low, high = spans[face_id]
        span = max(high - low, 0.5 * widest, 1e-6)
        out[face_id] = (times, np.maximum(values - low, 0.0) / span)
    return out


def lip_score(activity, start: float, end: float) -> float:
    """How much a face's mouth moved in start..end (mean scaled opening plus its spread: speech
    opens and moves the mouth ~3x more than silence). NaN where it was not measured."""
    times, values = activity
    if not len(times):
        return float("nan")
    inside = values[(times >= start - 0.05) & (times <= end + 0.05)]
    inside = inside[~np.isnan(inside)]
    if not len(inside):
        return float("nan")
    return float(inside.mean() + inside.std())


def split_at_lip_changes(start: float, end: float, series: list, step: float = 0.25) -> list[tuple[float, float]]:
    """Cut a stretch of speech where the face with the most mouth movement changes for at least
    MIN_PIECE_S: people hand over without pausing, and a pause-free VAD stretch spans both."""
    if end - start < 2 * MIN_PIECE_S:
        return [(start, end)]
    grid = np.arange(start, end, step)
    winners = []
    for t in grid:
        scores = [lip_score(s, t - step, t + step) for s in series]
        scores = [-1.0 if np.isnan(v) else v for v in scores]
        winners.append(int(np.argmax(scores)) if max(scores) > 0 else -1)
    pieces, piece_start, current = [], start, winners[0]
    run_start = None
    for t, winner in zip(grid, winners):
        if winner == current or winner < 0:
            run_start = None
            continue
        run_start = t if run_start is None else run_start
        if t + step - run_start >= MIN_PIECE_S and run_start - piece_start >= MIN_PIECE_S:
            pieces.append((piece_start, round(float(run_start), 3)))
            piece_start, current, run_start = round(float(run_start), 3), winner, None
    pieces.append((piece_start, end))
    return pieces


def assign_turns(turns: list[SpeechTurn], scores: np.ndarray, voices: list[int], face_ids: list[int]) -> None:
    """Set each turn's face: each voice goes to the face whose lips move most over all of that
    voice's turns; voices with few turns (and turns without a voice) go by that turn's lips.

    `scores[i, j]` is the lip score of face j in turn i (NaN: unknown). Not a one-to-one match:
    when one person does all the talking, both voice clusters are theirs.
    """
    scores = np.nan_to_num(np.asarray(scores, dtype=float), nan=0.0)
    durations = np.array([t.end - t.start for t in turns])
    labels = np.array(voices)
    face_of_voice: dict[int, int] = {}
    for voice in sorted({v for v in voices if v >= 0}):
        mine = labels == voice
        if mine.sum() >= MIN_VOICE_TURNS:
            face_of_voice[voice] = face_ids[int(np.argmax((scores[mine] * durations[mine, None]).sum(axis=0)))]
    for i, turn in enumerate(turns):
        turn.voice = voices[i]
        lips_face = int(np.argmax(scores[i]))
        if turn.voice in face_of_voice:
            turn.face = face_of_voice[turn.voice]
            # a short turn's voice embedding can be wrong; lips this clear are not
            own = scores[i, face_ids.index(turn.face)]
            if scores[i, lips_face] >= own + LIPS_OVERRULE:
                turn.face = face_ids[lips_face]
        elif scores[i].max() > 0:
            turn.face = face_ids[lips_face]
        # talking at once: both mouths move as in their own speech, and about as much as each
        # other (a listener's jittery landmarks stay well below the speaker's movement)
        top = np.sort(scores[i])[::-1]
        turn.overlap = bool(len(top) > 1 and top[1] >= OVERLAP_LEVEL and top[1] >= OVERLAP_RATIO * top[0])


def speaker_turns(shot: ShotFaces, sound: ClipSound, lips) -> list:
    """Speech turns inside one two-face shot, each with its voice and face."""
    from . import voices

    audio = sound.audio
    face_ids = [f.id for f in shot.tracks]
    turns = []
    for a, b in sound.speech:
        a, b = max(a, shot.start), min(b, shot.end)
        if b > a:  # lip changes first: a piece boundary must not hide a hand-over next to it
            for x, y in split_at_lip_changes(a, b, [lips[f] for f in face_ids]):
                turns += [SpeechTurn(start=p, end=q) for p, q in voices.pieces(x, y)]
    if not turns:
        return []
    scores = np.array([[lip_score(lips[f], t.start, t.end) for f in face_ids] for t in turns])
    embeddable = [i for i, t in enumerate(turns) if t.end - t.start >= voices.MIN_TURN_S]
    labels = [-1] * len(turns)
    if len(embeddable) >= 2:
        rate = voices.SAMPLE_RATE
        embeddings = voices.embed_many(
            [audio[int(turns[i].start * rate) : int(turns[i].end * rate)] for i in embeddable]
        )
        for i, label in zip(embeddable, voices.cluster(embeddings, len(face_ids))):
            labels[i] = label
    assign_turns(turns, scores, labels, face_ids)
    return turns


def analyse_shots(
    media_path, video, start_s: float, end_s: float, shots: list[ShotFaces], samples=None
) -> tuple[list, float]:
    """Speech turns of the clip's two-face shots (with faces), and the CPU seconds it took.

    Lips come from `samples.mouths` when the face analysis measured them in its own decode,
    else from a decode of their own; the sound from `samples.sound` when it read it."""
    from . import lips

    cpu_started = time.process_time()
    two_face = [s for s in shots if len(s.tracks) == 2]
    if not two_face:
        return [], 0.0
    sound = getattr(samples, "sound", None) or clip_sound(media_path, start_s, end_s)
    if not len(sound.audio):
        return [], time.process_time() - cpu_started
    if samples is not None and samples.lips_measured:
        tracks = {
            f.id: (s.shot, f.times, [(b.x, b.y, b.width, b.height) for b in f.boxes])
            for s in two_face
            for f in s.tracks
        }
        series = mouth_activity(lips.series_for_tracks(samples.mouths, tracks))
    else:
        tracks = {f.id: (f.times, [(b.x, b.y, b.width, b.height) for b in f.boxes]) for s in two_face for f in s.tracks}
        series = mouth_activity(lips.measure(media_path, video, start_s, end_s, tracks, sound.speech))
    turns = []
    for shot in two_face:
        turns += speaker_turns(shot, sound, series)
        for face in shot.tracks:
            own = [t for t in turns if t.face == face.id]
            face.speaking_s = round(sum(t.end - t.start for t in own), 2)
            active = [lip_score(series[face.id], t.start, t.end) for t in turns if t.start >= shot.start]
            active = [a for a in active if not math.isnan(a)]
            face.lip_activity = round(float(np.mean(active)), 4) if active else 0.0
    return turns, time.process_time() - cpu_started


def needs_analysis(shots: list[ShotFaces]) -> bool:
    """False for clips whose every shot shows exactly one face: those keep today's path as it is."""
    return any(len(s.tracks) != 1 or s.faces_per_frame >= 3 for s in shots)


def frame(path, samples, media_path, video, start_s: float, end_s: float, *, aspect: str, margin: float):
    """The reframer's `path` with speaker-aware layouts, or `path` itself for one-face clips."""
    from . import layouts

    shots = link_tracks(samples, end_s - start_s)
    warning = ""
    try:  # one-face clips skip this: their path stays exactly today's, at today's speed
        turns, cpu_s = (
            analyse_shots(media_path, video, start_s, end_s, shots, samples) if needs_analysis(shots) else ([], 0.0)
        )
    except (OSError, RuntimeError, ValueError, ImportError) as exc:  # missing model files, ffmpeg
        turns, cpu_s = [], 0.0
        warning = f"Speaker analysis failed ({str(exc)[:160]}): follows one face"
    planned = layouts.plan(path, shots, turns, aspect=aspect, margin=margin)
    planned.speakers.analysis_cpu_s = round(cpu_s, 3)
    if warning:
        planned.warning = f"{planned.warning}; {warning}" if planned.warning else warning
    return planned


def replan(path, *, aspect: str, margin: float = 0.15, choice: str = "auto", follow: int | None = None):
    """`path` (planned earlier, with its analysis) planned again for a reviewer's override.

    A path without analysis (the crop is the whole frame, or the detector failed) is kept.
    """
    from . import layouts

    analysis = path.speakers
    if analysis is None:
        return path
    tracker = path.model_copy(deep=True)
    tracker.xs, tracker.ys = list(analysis.tracker_xs or path.xs), list(analysis.tracker_ys or path.ys)
    tracker.switches, tracker.speakers = [], None
    shots = [
        ShotFaces(i, shot.start, shot.end, [f for f in analysis.faces if f.shot == i], shot.faces_per_frame)
        for i, shot in enumerate(analysis.layouts)
    ]
    planned = layouts.plan(tracker, shots, analysis.turns, aspect=aspect, margin=margin, choice=choice, follow=follow)
    planned.speakers.analysis_cpu_s = analysis.analysis_cpu_s
    for face in planned.speakers.faces:
        old = next((f for f in analysis.faces if f.id == face.id), None)
        face.thumbnail = old.thumbnail if old else face.thumbnail
    return planned


THUMBNAIL_PX = 96


def write_thumbnails(media_path, start_s: float, path, base_dir, stem) -> None:
    """A square JPEG of each face track (at its middle sample) for the reviewer's person picker;
    file names (relative to `base_dir`) go into the track. Best effort: a failure leaves none."""
    import subprocess
    from pathlib import Path

    if path.speakers is None:
        return
    for face in path.speakers.faces:
        if not face.times:
            continue
        middle = len(face.times) // 2
        box = face.boxes[middle]
        side = int(min(1.6 * max(box.width, box.height), path.source_width, path.source_height))
        side -= side % 2
        x = int(np.clip(box.x + box.width / 2 - side / 2, 0, path.source_width - side))
        y = int(np.clip(box.y + box.height / 2 - side / 2, 0, path.source_height - side))
        out = Path(f"{stem}_{face.id}.jpg")
        result = subprocess.run(
            ["ffmpeg", "-hide_banner", "-nostdin", "-y", "-loglevel", "error",
             "-ss", f"{start_s + face.times[middle]:.3f}", *input_args(media_path), "-frames:v", "1",
             "-vf", f"crop={side}:{side}:{x}:{y},scale={THUMBNAIL_PX}:{THUMBNAIL_PX}", "-q:v", "4",
             "-f", "image2", f"file:{out}"],
            capture_output=True,
        )  # fmt: skip
        if result.returncode == 0 and out.exists():
            try:
                face.thumbnail = out.resolve().relative_to(Path(base_dir).resolve()).as_posix()
            except ValueError:
                face.thumbnail = str(out)
