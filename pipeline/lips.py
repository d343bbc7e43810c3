"""How far each face's mouth is open over time: MediaPipe Face Landmarker on crops around faces.

Only shots with two or more faces come here (single-face shots keep the plain detector path and
its speed). ffmpeg decodes the clip again at LIP_FPS and at most LIP_WIDTH px wide; each face
track's detector box (interpolated to the frame time) is cut out with room around it, and the
landmarker (`models/face_landmarker_full_range.task`: Google's float16 v1 bundle with our
full-range detector inside, built by scripts/setup.sh) measures the inner-lip gap relative to the
outer-eye distance, which does not depend on the face's size. Cropping matters: below ~5 % of the
frame width the landmarker's own detector misses faces.
"""

import os
import subprocess
from dataclasses import dataclass, field

import numpy as np

from . import assets
from .face_analysis import _native_stderr_muted
from .probe import input_args

LIP_FPS = 6.0  # mouth movements of speech (3-6 syllables a second) show at 6 fps
LIP_WIDTH = 960  # px; enough for faces >= ~10 % of the frame width
CROP_SIDE = 2.0  # the crop around a face box is this many box sizes wide
CROP_PX = 256  # crops are resized to this square before the landmarker
INNER_LIPS = ((13, 14), (82, 87), (312, 317))  # upper / lower inner lip points, centre and sides
OUTER_EYES = (33, 263)


@dataclass
class MouthSeries:
    """Mouth opening of one face track at the frames analysed (NaN where no landmarks)."""

    times: list[float] = field(default_factory=list)  # clip-relative seconds
    opening: list[float] = field(default_factory=list)  # inner-lip gap / outer-eye distance
    jaw: list[float] = field(default_factory=list)  # blendshape jawOpen, 0..1


def open_landmarker():
    """The Face Landmarker (IMAGE mode, one face per crop, blendshapes on); raises if it cannot load."""
    os.environ.setdefault("GLOG_minloglevel", "2")
    from mediapipe.tasks.python import BaseOptions, vision

    path = assets.landmarker_model_path()
    if not path.exists():
        raise FileNotFoundError(f"face landmarker missing: {path} (run scripts/setup.sh)")
    options = vision.FaceLandmarkerOptions(
        base_options=BaseOptions(model_asset_path=str(path)),
        num_faces=1,
        output_face_blendshapes=True,
        min_face_detection_confidence=0.4,
    )
    with _native_stderr_muted():
        return vision.FaceLandmarker.create_from_options(options)


def mouth_opening(landmarks) -> float:
    """Inner-lip gap over outer-eye distance from 478 normalised landmarks (crop is square)."""
    points = np.array([(p.x, p.y) for p in landmarks])
    eyes = float(np.linalg.norm(points[OUTER_EYES[0]] - points[OUTER_EYES[1]]))
    if eyes <= 1e-6:
        return float("nan")
    gaps = [float(np.linalg.norm(points[a] - points[b])) for a, b in INNER_LIPS]
    return float(np.mean(gaps)) / eyes


def measure(media_path, video, start_s: float, end_s: float, tracks: dict[int, tuple[list, list]]) -> dict:
    """MouthSeries per track id over source seconds start_s..end_s.

    `tracks` maps a track id to (clip-relative times, boxes (x, y, w, h) in source px), where
    times are relative to `start_s` as the returned ones are. A track is measured only inside
    its own time span (plus half a second).
    """
    import cv2
    import mediapipe as mp

    width = min(LIP_WIDTH, video.width)
    width -= width % 2
    height = max(2, round(video.height * width / video.width / 2) * 2)
    scale = width / video.width
    cmd = [
        "ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error",
        "-ss", f"{start_s:.3f}", "-t", f"{end_s - start_s:.3f}", *input_args(media_path),
        "-map", "0:v:0", "-vf", f"fps={LIP_FPS},scale={width}:{height}:flags=bilinear,format=yuv420p",
        "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1",
    ]  # fmt: skip
    series = {track_id: MouthSeries() for track_id in tracks}
    frame_bytes = width * height * 3
    landmarker = open_landmarker()
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
            for track_id, (times, boxes) in tracks.items():
                if not times or t < times[0] - 0.5 or t > times[-1] + 0.5:
                    continue
                box = _box_at(times, boxes, t)
                crop = _square_crop(frame, [v * scale for v in box])
                if crop is None:
                    continue
                crop = cv2.resize(crop, (CROP_PX, CROP_PX), interpolation=cv2.INTER_LINEAR)
                image = mp.Image(image_format=mp.ImageFormat.SRGB, data=crop)
                if index == 1:  # the first call logs a memory-alignment notice to fd 2
                    with _native_stderr_muted():
                        result = landmarker.detect(image)
                else:
                    result = landmarker.detect(image)
                out = series[track_id]
                out.times.append(t)
                if not result.face_landmarks:
                    out.opening.append(float("nan"))
                    out.jaw.append(float("nan"))
                    continue
                out.opening.append(mouth_opening(result.face_landmarks[0]))
                jaw = next((c.score for c in result.face_blendshapes[0] if c.category_name == "jawOpen"), np.nan)
                out.jaw.append(float(jaw))
    finally:
        with _native_stderr_muted():
            landmarker.close()
        proc.stdout.close()
        proc.kill()
        proc.wait()
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
