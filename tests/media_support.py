"""Test helpers to compose small videos with real face photographs at known places, and to look
at what a render produced. Built on pipeline.sample.compose_face_video (ffmpeg, no downloads)."""

import json
import subprocess
from pathlib import Path

import numpy as np

from pipeline.sample import Placement, Shot, compose_face_video, speak

WIDTH, HEIGHT, FPS = 640, 360, 25
HEAD_SCALE = 0.8  # the 300 px head photograph at 240 px: its face is ~82 px, well detected at 640 px
HEAD_SIZE = 300 * HEAD_SCALE
# A name that broke subtitle filters in the original: quotes, colon, comma, brackets, non-ASCII.
ODD_NAME = 'clip \'é:1, [x]; ñ "q" 字幕.mp4'


def head(
    x0: float, x1: float | None = None, *, y: float = (HEIGHT - HEAD_SIZE) / 2, scale: float = HEAD_SCALE
) -> Placement:
    """The astronaut's head photograph, top-left at x0 (moving to x1 over the shot)."""
    return Placement(x0, y, x1, None if x1 is None else y, scale)


def face_video(path: Path, shots: list[Shot], *, speech: str | None = None) -> Path:
    """A WIDTHxHEIGHT video of `shots`; `speech` is spoken by espeak-ng (else a quiet tone)."""
    audio = None
    if speech:
        audio = speak(speech, Path(path).with_suffix(".wav"))
    return compose_face_video(Path(path), shots, width=WIDTH, height=HEIGHT, fps=FPS, audio_path=audio)


def face_box(shots: list[Shot], t: float, index: int = 0) -> tuple[float, float, float, float]:
    """Where face `index` of the shot playing at `t` seconds is (x, y, w, h, output pixels)."""
    offset = 0.0
    for shot in shots:
        if t < offset + shot.duration_s or shot is shots[-1]:
            return shot.faces[index].face_box_at(t - offset, shot.duration_s)
        offset += shot.duration_s
    raise ValueError(t)


def probe(path: Path) -> dict:
    """ffprobe's streams and format of a media file, as JSON."""
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_streams", "-show_format", "-of", "json", f"file:{path}"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(out.stdout)


def frame_at(path: Path, t: float) -> np.ndarray:
    """The decoded RGB frame of a video at `t` seconds (height x width x 3 uint8)."""
    streams = probe(path)["streams"]
    video = next(s for s in streams if s["codec_type"] == "video")
    width, height = int(video["width"]), int(video["height"])
    seek = ["-ss", f"{t:.3f}"] if t > 0 else []  # -ss 0 on a JPEG decodes nothing
    raw = subprocess.run(
        ["ffmpeg", "-v", "error", *seek, "-i", f"file:{path}", "-frames:v", "1",
         "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"],
        capture_output=True, check=True,
    ).stdout  # fmt: skip
    return np.frombuffer(raw, np.uint8).reshape(height, width, 3)


def detect_faces(frame: np.ndarray) -> list[tuple[float, float, float, float]]:
    """Face boxes (x, y, w, h, pixels) MediaPipe's full-range detector finds in an RGB frame."""
    import mediapipe as mp
    from mediapipe.tasks.python import BaseOptions, vision

    from pipeline.assets import face_model_path

    options = vision.FaceDetectorOptions(base_options=BaseOptions(model_asset_path=str(face_model_path())))
    with vision.FaceDetector.create_from_options(options) as detector:
        result = detector.detect(mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(frame)))
    return [
        (d.bounding_box.origin_x, d.bounding_box.origin_y, d.bounding_box.width, d.bounding_box.height)
        for d in result.detections
    ]
