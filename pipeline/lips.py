"""How far each face's mouth is open over time: MediaPipe Face Landmarker on crops around faces.

Only shots with two or more faces come here (single-face shots keep the plain detector path and
its speed). Frames at LIP_FPS, at most LIP_WIDTH px wide, come from the face analysis's own decode
when its first frame shows two faces (`InlineLips`, fed by face_analysis: one decode serves both),
else from a decode of their own (`measure`). Each face's detector box is cut out with room around
it, and the landmarker (`models/face_landmarker_full_range.task`: Google's float16 v1 bundle with
our full-range detector inside, built by scripts/setup.sh) measures the inner-lip gap relative to
the outer-eye distance, which does not depend on the face's size. Cropping matters: below ~5 % of
the frame width the landmarker's own detector misses faces.
"""

import ctypes
import math
import os
import subprocess
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from . import assets
from .face_analysis import SKIP_UNREFERENCED, _native_stderr_muted
from .probe import input_args

LIP_FPS = 5.0  # mouth movements of speech (3-6 syllables a second); 4 fps began to miss hand-overs
LIP_WIDTH = 960  # px; enough for faces >= ~10 % of the frame width
CROP_SIDE = 2.0  # the crop around a face box is this many box sizes wide
CROP_PX = 256  # crops are resized to this square before the landmarker
FRAME_GAP_MS = 3_600_000  # the time the landmarker is told passes between two crops (see open_landmarker)
INNER_LIPS = ((13, 14), (82, 87), (312, 317))  # upper / lower inner lip points, centre and sides
OUTER_EYES = (33, 263)
SPEECH_MARGIN_S = 0.3  # lips are measured in speech and this close to it: turns, and the lip changes inside them


@dataclass
class MouthSeries:
    """Mouth opening of one face track at the frames analysed (NaN where no landmarks)."""

    times: list[float] = field(default_factory=list)  # clip-relative seconds
    opening: list[float] = field(default_factory=list)  # inner-lip gap / outer-eye distance
    jaw: list[float] = field(default_factory=list)  # blendshape jawOpen, 0..1


def open_landmarker():
    """The Face Landmarker (VIDEO mode, one face per crop, blendshapes on); raises if it cannot load.

    VIDEO mode, one landmarker per face: it finds the face in the next crop from its last
    landmarks instead of running its detector again (16 instead of 23 ms a crop). It would also
    smooth the landmarks over time, which hides quick hand-overs; frames are therefore handed to
    it FRAME_GAP_MS apart, and the smoothing (a one-euro filter over time) then keeps next to
    nothing of the frame before."""
    os.environ.setdefault("GLOG_minloglevel", "2")
    from mediapipe.tasks.python import BaseOptions, vision

    path = assets.landmarker_model_path()
    if not path.exists():
        raise FileNotFoundError(f"face landmarker missing: {path} (run scripts/setup.sh)")
    options = vision.FaceLandmarkerOptions(
        base_options=BaseOptions(model_asset_path=str(path)),
        running_mode=vision.RunningMode.VIDEO,
        num_faces=1,
        output_face_blendshapes=True,
        min_face_detection_confidence=0.4,
    )
    with _native_stderr_muted():
        return vision.FaceLandmarker.create_from_options(options)


def mouth_in(landmarker, image, at_ms: int) -> tuple[float, float]:
    """(lip gap / eye distance, jawOpen) of the face in `image` (VIDEO mode, at `at_ms`); NaN
    where none is found.

    Read straight from the landmarker's C result where this mediapipe has one (1.2.x): its
    Python call turns all 478 points and 52 blendshapes into Python objects, a tenth of each
    call, for the eight points and one blendshape used here. Otherwise the public call."""
    from mediapipe.tasks.python.vision import face_landmarker as module

    try:
        library, handle, pointer = landmarker._lib, landmarker._handle, image._image_ptr
        result_type = module.MpFaceLandmarkerResultC
    except AttributeError:
        result = landmarker.detect_for_video(image, at_ms)
        if not result.face_landmarks:
            return float("nan"), float("nan")
        jaw = next((c.score for c in result.face_blendshapes[0] if c.category_name == "jawOpen"), np.nan)
        return mouth_opening(result.face_landmarks[0]), float(jaw)
    result = result_type()
    library.MpFaceLandmarkerDetectForVideo(handle, pointer, None, at_ms, ctypes.byref(result))
    try:
        if not result.face_landmarks_count:
            return float("nan"), float("nan")
        jaw = float("nan")
        if result.face_blendshapes_count:
            shapes = result.face_blendshapes[0]
            jaw = next(
                (shapes.categories[i].score for i in range(shapes.categories_count)
                 if shapes.categories[i].category_name == b"jawOpen"),
                float("nan"),
            )  # fmt: skip
        return mouth_opening(result.face_landmarks[0].landmarks), float(jaw)
    finally:
        library.MpFaceLandmarkerCloseResult(ctypes.byref(result))


def mouth_opening(landmarks) -> float:
    """Inner-lip gap over outer-eye distance from 478 normalised landmarks (crop is square;
    anything indexable whose items have .x and .y: mediapipe's landmarks or its C structs)."""

    def distance(a: int, b: int) -> float:  # only the points needed: 478 objects cost 0.3 ms a face
        return math.hypot(landmarks[a].x - landmarks[b].x, landmarks[a].y - landmarks[b].y)

    eyes = distance(*OUTER_EYES)
    if eyes <= 1e-6:
        return float("nan")
    return sum(distance(a, b) for a, b in INNER_LIPS) / len(INNER_LIPS) / eyes


def lip_frame_size(video) -> tuple[int, int]:
    """Width and height (even) of the frames lips are measured on."""
    width = min(LIP_WIDTH, video.width)
    width -= width % 2
    return width, max(2, round(video.height * width / video.width / 2) * 2)


def lip_tick(index: int, fps: float) -> int | None:
    """The lip frame k (labelled k / LIP_FPS s) that frame `index` of a decode at `fps` stands
    for, or None. ffmpeg's fps filter, which measure() decodes through, takes for tick k the
    last frame before (k + 0.5) / LIP_FPS s; so does the face analysis's `select` filter
    (lip_select_filter), so that both paths measure the same frames at the same labels."""

    def tick(n: int) -> int:
        return math.floor(n * LIP_FPS / fps + 0.5)

    return tick(index) if tick(index + 1) > tick(index) else None


def lip_select_filter(fps: float) -> str:
    """ffmpeg's `select` for the frames lip_tick picks (same floats, same floor)."""
    ratio = f"{LIP_FPS!r}/{float(fps)!r}"
    return f"select='gt(floor((n+1)*{ratio}+0.5),floor(n*{ratio}+0.5))'"


class _Landmarker:
    """One landmarker per face (`slot`: its place, left to right, among the faces measured at
    that time; a few landmarkers, however many tracks and shots a clip has), and the mouth it
    measures in one crop. Crops are centred on their face, so a landmarker that goes on from
    one shot's face to the next one's finds it where the last one was."""

    def __init__(self):
        self.landmarkers: dict = {}  # slot -> [landmarker, crops it has measured]
        self.calls = 0

    def measure(self, crop: np.ndarray, slot) -> tuple[float, float]:
        """(lip gap / eye distance, jawOpen) of the face in `crop`; NaN where none is found.
        `slot` names the face (see the class)."""
        import cv2
        import mediapipe as mp

        if slot not in self.landmarkers:
            self.landmarkers[slot] = [open_landmarker(), 0]
        one = self.landmarkers[slot]
        crop = cv2.resize(crop, (CROP_PX, CROP_PX), interpolation=cv2.INTER_LINEAR)
        image = mp.Image(image_format=mp.ImageFormat.SRGB, data=crop)
        at_ms, one[1] = one[1] * FRAME_GAP_MS, one[1] + 1
        if self.calls == 0:
            with _native_stderr_muted():  # the first call logs a memory-alignment notice to fd 2
                mouth = mouth_in(one[0], image, at_ms)
        else:
            mouth = mouth_in(one[0], image, at_ms)
        self.calls += 1
        return mouth

    def close(self) -> None:
        with _native_stderr_muted():
            for landmarker, _ in self.landmarkers.values():
                landmarker.close()
        self.landmarkers.clear()


def in_speech(t: float, speech) -> bool:
    """Whether clip time t needs lips: within SPEECH_MARGIN_S of a (start, end) stretch of
    `speech`; everywhere when speech is None (unknown)."""
    return speech is None or any(a - SPEECH_MARGIN_S <= t <= b + SPEECH_MARGIN_S for a, b in speech)


def measure(media_path, video, start_s: float, end_s: float, tracks: dict[int, tuple[list, list]], speech=None) -> dict:
    """MouthSeries per track id over source seconds start_s..end_s, from a decode of its own.

    `tracks` maps a track id to (clip-relative times, boxes (x, y, w, h) in source px), where
    times are relative to `start_s` as the returned ones are. A track is measured only inside
    its own time span (plus half a second), and only where in_speech(`speech`).
    """
    width, height = lip_frame_size(video)
    scale = width / video.width
    cmd = [
        "ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", *SKIP_UNREFERENCED,
        "-ss", f"{start_s:.3f}", "-t", f"{end_s - start_s:.3f}", *input_args(media_path),
        "-map", "0:v:0", "-vf", f"fps={LIP_FPS},scale={width}:{height}:flags=bilinear,format=yuv420p",
        "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1",
    ]  # fmt: skip
    series = {track_id: MouthSeries() for track_id in tracks}
    frame_bytes = width * height * 3
    landmarker = _Landmarker()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        index = 0
        while True:
            data = proc.stdout.read(frame_bytes)
            if len(data) < frame_bytes:
                break
            frame = np.frombuffer(data, np.uint8).reshape(height, width, 3)
            t = round(index / LIP_FPS, 3)
            index += 1
            if not in_speech(t, speech):
                continue
            here = {
                track_id: _box_at(times, boxes, t)
                for track_id, (times, boxes) in tracks.items()
                if times and times[0] - 0.5 <= t <= times[-1] + 0.5
            }
            ids, boxes_now = list(here), list(here.values())
            for slot, i in enumerate(_left_to_right(boxes_now)):
                track_id = ids[i]
                crop = _square_crop(frame, [v * scale for v in boxes_now[i]])
                if crop is None:
                    continue
                opening, jaw = landmarker.measure(crop, slot)
                out = series[track_id]
                out.times.append(t)
                out.opening.append(opening)
                out.jaw.append(jaw)
    finally:
        landmarker.close()
        proc.stdout.close()
        proc.kill()
        proc.wait()
    return series


class MouthSample(NamedTuple):
    """One face's mouth at one lip frame, measured during the face analysis's decode."""

    t: float  # clip-relative seconds
    shot: int
    x: float  # the face box's centre and width, source px
    y: float
    width: float
    opening: float  # as MouthSeries
    jaw: float


class InlineLips:
    """Lips measured on the face analysis's own lip frames (no second decode).

    Each lip frame waits for the next detection; then every face is cut around its box at the
    frame's time, interpolated between the detections before and after it (boxes paired by
    nearest centre), as measure() interpolates a track's boxes: the same crops, the same mouths. Frames with two or three faces
    only: single faces and crowds never need lips. `samples` keeps what was measured; the face
    tracks, linked after the decode, pick theirs (series_for_tracks). Only frames in_speech(`speech`).
    """

    MAX_FACES = 3

    def __init__(self, video, speech=None):
        self.speech = speech
        self.width, self.height = lip_frame_size(video)
        self.frame_bytes = self.width * self.height * 3
        self.scale = self.width / video.width
        self.samples: list[MouthSample] = []
        self._landmarker: _Landmarker | None = None
        self._waiting: list[tuple[float, int, np.ndarray]] = []  # lip frames (t, shot, RGB bytes)
        self._history: list[tuple[float, int, list]] = []  # the shot's last detections (t, shot, boxes)

    def frame(self, t: float, shot: int, frame: np.ndarray) -> None:
        """A lip frame (flat RGB, frame_bytes long) at clip time t, measured once the
        detection after it is known; dropped at once outside speech."""
        if in_speech(t, self.speech):
            self._waiting.append((t, shot, frame))

    def detection(self, t: float, shot: int, boxes: list) -> None:
        """The detector's boxes ((x, y, w, h, ...) source px) at clip time t: measure the lip
        frames up to t."""
        if self._history and self._history[-1][1] != shot:  # a cut: the last shot's frames are due
            self._flush(None)
            self._history = []
        # whole pixels, as the face tracks store them (FaceTrack.boxes): the same crops as measure()
        rounded = [(round(b[0]), round(b[1]), max(1, round(b[2])), max(1, round(b[3]))) for b in boxes]
        self._history = [*self._history[-2:], (t, shot, rounded)]
        self._flush(t)

    def close(self) -> None:
        self._flush(None)
        if self._landmarker is not None:
            self._landmarker.close()
            self._landmarker = None

    def _flush(self, until: float | None) -> None:
        """Measure the waiting lip frames up to `until` (all of them for None)."""
        waiting, self._waiting = self._waiting, []
        for item in waiting:
            if until is not None and item[0] > until:
                self._waiting.append(item)
            else:
                self._measure(item)

    def _measure(self, item) -> None:
        t, shot, frame = item
        same = [d for d in self._history if d[1] == shot]
        before = next((d for d in reversed(same) if d[0] <= t), None)
        after = next((d for d in same if d[0] >= t), None)
        boxes = _boxes_between(before, after, t)
        if not 2 <= len(boxes) <= self.MAX_FACES:
            return
        for slot, i in enumerate(_left_to_right(boxes)):
            x, y, w, h = boxes[i]
            crop = _square_crop(frame.reshape(self.height, self.width, 3), [v * self.scale for v in (x, y, w, h)])
            if crop is None:
                continue
            if self._landmarker is None:
                self._landmarker = _Landmarker()
            opening, jaw = self._landmarker.measure(crop, slot)
            self.samples.append(MouthSample(t, shot, x + w / 2, y + h / 2, w, opening, jaw))


def _left_to_right(boxes) -> list[int]:
    """Indices of (x, y, w, h) boxes by their centres' x: each face's landmarker slot."""
    return sorted(range(len(boxes)), key=lambda i: boxes[i][0] + boxes[i][2] / 2)


def _boxes_between(before, after, t: float) -> list[tuple[float, float, float, float]]:
    """Face boxes at time t from the detections (t, shot, boxes) before and after it (either may
    be None): paired by nearest centre and interpolated; a face seen in only one is kept as seen."""
    if before is None or after is None:
        return list((before or after or (0, 0, []))[2])
    (t0, _, first), (t1, _, second) = before, after
    share = 0.0 if t1 <= t0 else min(max((t - t0) / (t1 - t0), 0.0), 1.0)
    unpaired = list(first)
    out = []
    for box in second:
        centre = (box[0] + box[2] / 2, box[1] + box[3] / 2)
        near = [(math.hypot(b[0] + b[2] / 2 - centre[0], b[1] + b[3] / 2 - centre[1]), b) for b in unpaired]
        near = [n for n in near if n[0] <= max(box[2], n[1][2])]
        if not near:
            out.append(box)
            continue
        old = min(near)[1]
        unpaired.remove(old)
        out.append(tuple(a + share * (b - a) for a, b in zip(old, box)))
    return out + unpaired


def series_for_tracks(mouths: list[MouthSample], tracks: dict[int, tuple[int, list, list]]) -> dict:
    """MouthSeries per face track from inline measurements: at each lip frame, the measurement
    nearest the track's box (within its width), inside the track's time span plus half a second
    as measure() does. `tracks` maps a track id to (shot, clip-relative times, boxes (x, y, w, h)
    source px)."""
    series = {}
    for track_id, (shot, times, boxes) in tracks.items():
        best: dict[float, tuple[float, float, float]] = {}
        for m in mouths:
            if m.shot != shot or not times or m.t < times[0] - 0.5 or m.t > times[-1] + 0.5:
                continue
            x, y, w, h = _box_at(times, boxes, m.t)
            distance = math.hypot(m.x - x - w / 2, m.y - y - h / 2)
            if distance <= w and (m.t not in best or distance < best[m.t][0]):
                best[m.t] = (distance, m.opening, m.jaw)
        one = MouthSeries()
        for t in sorted(best):
            one.times.append(t)
            one.opening.append(best[t][1])
            one.jaw.append(best[t][2])
        series[track_id] = one
    return series


def _box_at(times: list, boxes: list, t: float) -> tuple[float, float, float, float]:
    """A track's box at time t, linear between its detector samples."""
    array = np.asarray(boxes, dtype=float)
    return tuple(float(np.interp(t, times, array[:, i])) for i in range(4))


def _square_crop(frame: np.ndarray, box) -> np.ndarray | None:
    x, y, w, h = box
    side = CROP_SIDE * max(w, h)
    cx, cy = x + w / 2, y + h / 2
    x0, y0 = int(max(0, cx - side / 2)), int(max(0, cy - side / 2))
    x1, y1 = int(min(frame.shape[1], cx + side / 2)), int(min(frame.shape[0], cy + side / 2))
    if x1 - x0 < 16 or y1 - y0 < 16:
        return None
    crop = frame[y0:y1, x0:x1]
    if crop.shape[0] != crop.shape[1]:  # at a frame edge: pad to a square, landmarks assume one
        side_px = max(crop.shape[:2])
        padded = np.zeros((side_px, side_px, 3), np.uint8)
        padded[: crop.shape[0], : crop.shape[1]] = crop
        crop = padded
    return np.ascontiguousarray(crop)
