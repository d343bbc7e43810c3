"""Reframing: where to crop each frame of a clip so the speaker's face stays in the picture.

ffmpeg decodes the clip's time range already downscaled; every frame feeds a cheap cut detector
(HSV difference, like PySceneDetect's ContentDetector) and every `sample_every`-th frame of each
shot goes to MediaPipe's full-range face detector. One face is followed per shot (largest and most
central, with hysteresis), then a crop path is planned per shot, so it never slides across a cut:

- keep_in_frame: the crop holds still while the face stays inside a safe zone (the crop minus
  `margin` of its width on each side); when the face leaves it, the crop eases (a critically
  damped spring) until the face is centred again.
- centered: the face is centred, smoothed over time (Gaussian, zero phase) with a small dead band.

A failing or absent detector never fails: the crop falls back to the centre, with a warning.
"""

import contextlib
import json
import math
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import assets
from .errors import InputError
from .schemas import CropPath

ASPECTS = {"9:16": (9, 16), "1:1": (1, 1), "16:9": (16, 9)}
ANALYSIS_WIDTH = 384  # px; the full-range model sees 192x192 anyway, so more only costs decoding
CUT_THRESHOLD = 27.0  # mean HSV difference (0..255), ContentDetector's default
MIN_SHOT_S = 0.5
SWITCH_AFTER_MISSING_S = 1.0  # the followed face may vanish this long before another is chosen
SWITCH_BETTER_RATIO = 2.0  # another face must score this much higher ...
SWITCH_BETTER_S = 2.0  # ... for this long before the crop switches to it
EASE_TIME_S = 0.35  # spring smooth time of keep_in_frame moves
CENTERED_SIGMA_S = 0.5
CENTERED_DEADBAND = 0.02  # of the crop width: detection noise smaller than this never moves it


@dataclass(frozen=True)
class VideoInfo:
    width: int  # displayed size, rotation applied
    height: int
    fps: float
    duration_s: float
    has_audio: bool


def probe_video(media_path: Path) -> VideoInfo:
    """Size (after rotation), frame rate and duration of a media file's first video stream."""
    result = subprocess.run(
        ["ffprobe", "-v", "error", "-show_streams", "-show_format", "-of", "json", f"file:{media_path}"],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise InputError(f"Cannot read {Path(media_path).name}: {result.stderr.strip()[-300:]}")
    info = json.loads(result.stdout)
    streams = info.get("streams", [])
    video = next((s for s in streams if s.get("codec_type") == "video"), None)
    if video is None:
        raise InputError(f"{Path(media_path).name} has no video track to reframe")
    width, height = int(video["width"]), int(video["height"])
    rotation = video.get("tags", {}).get("rotate", "0")
    for side_data in video.get("side_data_list", []):
        rotation = side_data.get("rotation", rotation)
    if abs(int(float(rotation))) % 180 == 90:
        width, height = height, width
    fps = _rate(video.get("avg_frame_rate")) or _rate(video.get("r_frame_rate")) or 25.0
    duration_s = float(info.get("format", {}).get("duration") or video.get("duration") or 0.0)
    has_audio = any(s.get("codec_type") == "audio" for s in streams)
    return VideoInfo(width, height, fps, duration_s, has_audio)


def _rate(text: str | None) -> float:
    if not text or text in ("0/0", "0"):
        return 0.0
    num, _, den = text.partition("/")
    return float(num) / float(den or 1) if float(den or 1) else 0.0


def crop_size(source_width: int, source_height: int, aspect: str) -> tuple[int, int]:
    """The largest crop (even width and height, source pixels) of `aspect` inside the source."""
    aw, ah = ASPECTS[aspect]
    if source_width * ah >= source_height * aw:
        height = source_height - source_height % 2
        width = min(source_width, round(height * aw / ah))
    else:
        width = source_width - source_width % 2
        height = min(source_height, round(width * ah / aw))
    return width - width % 2, height - height % 2


def crop_path(
    media_path: Path,
    start_s: float,
    end_s: float,
    *,
    aspect: str = "9:16",
    strategy: str = "keep_in_frame",
    sample_every: int = 3,
    margin: float = 0.15,
    progress=None,
    speaker_aware: bool = True,
) -> CropPath:
    """The crop window over the clip `start_s`..`end_s` (seconds in the source).

    Returned times are clip-relative seconds, positions source pixels. Never raises because of
    the face detector: without faces the crop is centred and `warning` says why.
    `progress(fraction, message)` is called now and then if given (it may raise Cancelled).
    """
    if aspect not in ASPECTS:
        raise InputError(f"Unknown aspect ratio {aspect!r}: use 9:16, 1:1 or 16:9")
    if strategy not in ("keep_in_frame", "centered"):
        raise InputError(f"Unknown reframing strategy {strategy!r}: use keep_in_frame or centered")
    if end_s <= start_s:
        raise InputError(f"The clip ends ({end_s:.2f} s) before it starts ({start_s:.2f} s)")
    video = probe_video(media_path)
    width, height = crop_size(video.width, video.height, aspect)
    path = CropPath(
        width=width,
        height=height,
        source_width=video.width,
        source_height=video.height,
        fps=video.fps,
        times=[0.0],
        xs=[(video.width - width) // 2],
        ys=[(video.height - height) // 2],
    )
    if width == video.width and height == video.height:
        return path  # nothing to reframe: the crop is the whole frame
    sample_every = max(1, int(sample_every))
    try:
        samples = _analyse(media_path, video, start_s, end_s, sample_every, progress)
    except (InputError, OSError, RuntimeError, ValueError) as exc:
        path.warning = f"Face analysis failed ({str(exc)[:200]}): centre crop"
        return path
    _plan(path, samples, strategy, margin)
    if speaker_aware:  # two faces, a wide shot or a close-up: pipeline/layouts.py frames it
        from . import speakers

        path = speakers.frame(path, samples, media_path, video, start_s, end_s, aspect=aspect, margin=margin)
    return path


@dataclass
class _Samples:
    times: list[float]  # clip-relative seconds of analysed frames
    shot_ids: list[int]
    boxes: list[list[tuple[float, float, float, float, float]]]  # x, y, w, h, score in source px
    cuts: list[float]
    detector_error: str = ""


def _analyse(media_path: Path, video: VideoInfo, start_s: float, end_s: float, sample_every: int, progress) -> _Samples:
    import cv2

    scale_w = min(ANALYSIS_WIDTH, video.width)
    scale_w -= scale_w % 2
    scale_h = max(2, round(video.height * scale_w / video.width / 2) * 2)
    to_source = video.width / scale_w
    duration_s = end_s - start_s
    cmd = [
        "ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error",
        "-ss", f"{start_s:.3f}", "-t", f"{duration_s:.3f}", "-i", f"file:{media_path}",
        # scaling in YUV first, then converting the small frame: 3x less CPU than scaling to RGB
        "-map", "0:v:0", "-vf", f"scale={scale_w}:{scale_h}:flags=fast_bilinear,format=yuv420p",
        "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1",
    ]  # fmt: skip
    frame_bytes = scale_w * scale_h * 3
    samples = _Samples([], [], [], [])
    detector = _open_detector(samples)
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _widen_pipe(proc.stdout.fileno())
    try:
        previous_hsv = None
        frame_index = shot_start_index = 0
        shot_id = 0
        min_shot_frames = max(1, round(MIN_SHOT_S * video.fps))
        while True:
            data = proc.stdout.read(frame_bytes)
            if len(data) < frame_bytes:
                break
            frame = np.frombuffer(data, np.uint8).reshape(scale_h, scale_w, 3)
            t = frame_index / video.fps
            small = cv2.resize(frame, (64, max(2, 64 * scale_h // scale_w)), interpolation=cv2.INTER_AREA)
            hsv = cv2.cvtColor(small, cv2.COLOR_RGB2HSV).astype(np.int16)
            if previous_hsv is not None and frame_index - shot_start_index >= min_shot_frames:
                difference = np.abs(hsv - previous_hsv).mean()
                if difference >= CUT_THRESHOLD:
                    samples.cuts.append(round(t, 3))
                    shot_start_index = frame_index
                    shot_id += 1
            previous_hsv = hsv
            if (frame_index - shot_start_index) % sample_every == 0:
                samples.times.append(round(t, 3))
                samples.shot_ids.append(shot_id)
                boxes = _detect(detector, frame, samples)
                samples.boxes.append(
                    [(x * to_source, y * to_source, w * to_source, h * to_source, score) for x, y, w, h, score in boxes]
                )
                if progress is not None and len(samples.times) % 20 == 0:
                    progress(min(t / duration_s, 1.0), "Finding faces")
            frame_index += 1
    finally:
        if detector is not None:
            try:
                detector.close()
            except Exception:  # noqa: BLE001 - closing must not fail a render either
                pass
        proc.stdout.close()
        proc.kill()
        stderr = proc.stderr.read().decode(errors="replace")
        proc.stderr.close()
        proc.wait()
    if not samples.times:
        raise RuntimeError(f"ffmpeg decoded no frames: {stderr.strip()[-200:]}")
    return samples


def _widen_pipe(fd: int) -> None:
    """Let ffmpeg decode a few frames ahead while the detector works (Linux; 64 KB otherwise)."""
    try:
        import fcntl

        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, 1 << 20)
    except (ImportError, AttributeError, OSError):
        pass


@contextlib.contextmanager
def _native_stderr_muted():
    """Silence the ~50 lines TFLite prints (to file descriptor 2) while loading the model."""
    try:
        saved = os.dup(2)
    except OSError:
        yield
        return
    try:
        with open(os.devnull, "wb") as devnull:
            os.dup2(devnull.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _open_detector(samples: _Samples):
    """MediaPipe's full-range face detector, or None (error noted in samples) if it cannot load."""
    os.environ.setdefault("GLOG_minloglevel", "2")
    try:
        from mediapipe.tasks.python import BaseOptions, vision

        model_path = assets.face_model_path()
        if not model_path.exists():
            raise FileNotFoundError(f"face model missing: {model_path} (run scripts/setup.sh)")
        options = vision.FaceDetectorOptions(
            base_options=BaseOptions(model_asset_path=str(model_path)), min_detection_confidence=0.5
        )
        with _native_stderr_muted():
            return vision.FaceDetector.create_from_options(options)
    except Exception as exc:  # noqa: BLE001 - any detector problem means "centre crop", never a failure
        samples.detector_error = f"{type(exc).__name__}: {exc}"[:200]
        return None


def _detect(detector, frame: np.ndarray, samples: _Samples) -> list[tuple[float, float, float, float, float]]:
    if detector is None:
        return []
    try:
        import mediapipe as mp

        result = detector.detect(mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(frame)))
    except Exception as exc:  # noqa: BLE001 - see _open_detector
        samples.detector_error = f"{type(exc).__name__}: {exc}"[:200]
        return []
    boxes = []
    for detection in result.detections:
        box = detection.bounding_box
        score = detection.categories[0].score if detection.categories else 0.0
        boxes.append((float(box.origin_x), float(box.origin_y), float(box.width), float(box.height), float(score)))
    return boxes


def _follow_one_face(samples: _Samples, source_width: int, source_height: int) -> list[tuple | None]:
    """Per sample, the box of the one face being followed (or None), switching with hysteresis."""

    def appeal(box) -> float:  # large and central
        x, y, w, h, _ = box
        off_centre = math.hypot((x + w / 2) / source_width - 0.5, (y + h / 2) / source_height - 0.5)
        return w * h * (1.0 - off_centre)

    followed: list[tuple | None] = []
    current = None
    last_seen_t = better_since_t = -math.inf
    previous_shot = None
    for t, shot_id, boxes in zip(samples.times, samples.shot_ids, samples.boxes):
        if shot_id != previous_shot:
            current, last_seen_t, better_since_t, previous_shot = None, -math.inf, math.inf, shot_id
        if not boxes:
            followed.append(None)
            if current is not None and t - last_seen_t > SWITCH_AFTER_MISSING_S:
                current = None
            continue
        best = max(boxes, key=appeal)
        if current is None:
            current, better_since_t = best, math.inf
        else:
            cx, cy = current[0] + current[2] / 2, current[1] + current[3] / 2
            same = min(boxes, key=lambda b: math.hypot(b[0] + b[2] / 2 - cx, b[1] + b[3] / 2 - cy))
            if math.hypot(same[0] + same[2] / 2 - cx, same[1] + same[3] / 2 - cy) > 1.5 * max(current[2], same[2]):
                same = None  # the followed face is not in this frame
            if same is None:
                if t - last_seen_t <= SWITCH_AFTER_MISSING_S:
                    followed.append(None)
                    continue
                current, better_since_t = best, math.inf
            elif best is not same and appeal(best) > SWITCH_BETTER_RATIO * appeal(same):
                better_since_t = min(better_since_t, t)
                if t - better_since_t >= SWITCH_BETTER_S:
                    current, better_since_t = best, math.inf
                else:
                    current = same
            else:
                current, better_since_t = same, math.inf
        last_seen_t = t
        followed.append(current)
    return followed


def _plan(path: CropPath, samples: _Samples, strategy: str, margin: float) -> None:
    """Fill path.times/xs/ys/cuts/faces_seen/warning from the analysed samples."""
    followed = _follow_one_face(samples, path.source_width, path.source_height)
    times = np.array(samples.times)
    shot_ids = np.array(samples.shot_ids)
    xs = np.empty(len(times))
    ys = np.empty(len(times))
    shots_without_face = 0
    for shot_id in np.unique(shot_ids):
        index = np.flatnonzero(shot_ids == shot_id)
        boxes = [followed[i] for i in index]
        if not any(boxes):
            shots_without_face += 1
            xs[index] = (path.source_width - path.width) / 2
            ys[index] = (path.source_height - path.height) / 2
            continue
        boxes = _fill_gaps(boxes)
        for axis, out, crop_len, source_len in (
            (0, xs, path.width, path.source_width),
            (1, ys, path.height, path.source_height),
        ):
            starts = np.array([b[axis] for b in boxes])
            sizes = np.array([b[axis + 2] for b in boxes])
            if crop_len >= source_len:
                out[index] = 0
            elif strategy == "centered":
                out[index] = _centered(times[index], starts, sizes, crop_len, source_len)
            else:
                out[index] = _keep_in_frame(times[index], starts, sizes, crop_len, source_len, margin)
    path.times = [float(t) for t in times]
    path.xs = [int(round(x)) for x in xs]
    path.ys = [int(round(y)) for y in ys]
    path.cuts = samples.cuts
    path.frames_analysed = len(times)
    path.faces_seen = sum(1 for boxes in samples.boxes if boxes)
    if samples.detector_error:
        path.warning = f"Face detection failed ({samples.detector_error}): centre crop"
    elif path.faces_seen == 0:
        path.warning = "No face found: centre crop"
    elif shots_without_face:
        path.warning = f"No face found in {shots_without_face} of {len(np.unique(shot_ids))} shots: centre crop there"


def _fill_gaps(boxes: list) -> list:
    """Hold the last seen box over gaps (and the first seen one before it)."""
    first = next(b for b in boxes if b)
    filled, last = [], first
    for box in boxes:
        last = box or last
        filled.append(last)
    return filled


def _clamp_to_face(position: np.ndarray | float, start, size, crop_len: int, source_len: int):
    """Keep the face inside the crop when it fits, and the crop inside the source."""
    fit_low = np.minimum(start + size - crop_len, start)
    fit_high = np.maximum(start, start + size - crop_len)
    if np.ndim(position) == 0:
        position = float(np.clip(position, fit_low, fit_high)) if size <= crop_len else position
    else:
        position = np.where(size <= crop_len, np.clip(position, fit_low, fit_high), position)
    return np.clip(position, 0, source_len - crop_len)


def _centered(times, starts, sizes, crop_len: int, source_len: int) -> np.ndarray:
    wanted = np.clip(starts + sizes / 2 - crop_len / 2, 0, source_len - crop_len)
    if len(times) > 2:
        step_s = max(float(np.median(np.diff(times))), 1e-3)
        sigma = CENTERED_SIGMA_S / step_s
        radius = int(3 * sigma)
        kernel = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
        padded = np.pad(wanted, radius, mode="edge")
        wanted = np.convolve(padded, kernel / kernel.sum(), mode="valid")
    # Trail the wanted position by at most the dead band: still under noise, smooth in pans.
    deadband_px = CENTERED_DEADBAND * crop_len
    held = np.empty_like(wanted)
    current = wanted[0]
    for i, value in enumerate(wanted):
        current = min(max(current, value - deadband_px), value + deadband_px)
        held[i] = current
    return _clamp_to_face(held, starts, sizes, crop_len, source_len)


def _keep_in_frame(times, starts, sizes, crop_len: int, source_len: int, margin: float) -> np.ndarray:
    margin_px = margin * crop_len
    limit = source_len - crop_len
    position = float(np.clip(starts[0] + sizes[0] / 2 - crop_len / 2, 0, limit))
    velocity = 0.0
    moving = False
    out = np.empty(len(times))
    previous_t = times[0]
    for i, (t, start, size) in enumerate(zip(times, starts, sizes)):
        centred = float(np.clip(start + size / 2 - crop_len / 2, 0, limit))
        zone_low, zone_high = start + size + margin_px - crop_len, start - margin_px
        if zone_low > zone_high:  # face wider than the safe zone: only centring keeps it safe
            zone_low = zone_high = centred
        zone_low, zone_high = min(max(zone_low, 0), limit), min(max(zone_high, 0), limit)
        if not moving and not (zone_low - 0.5 <= position <= zone_high + 0.5):
            moving = True
        if moving:
            position, velocity = _smooth_damp(position, centred, velocity, EASE_TIME_S, t - previous_t)
            if abs(position - centred) < 1.0 and abs(velocity) < 10.0:
                position, velocity, moving = centred, 0.0, False
        position = float(_clamp_to_face(position, start, size, crop_len, source_len))
        out[i] = position
        previous_t = t
    return out


def _smooth_damp(
    current: float, target: float, velocity: float, smooth_time_s: float, dt: float
) -> tuple[float, float]:
    """One step of a critically damped spring (Game Programming Gems 4, 1.10): eases in and out."""
    if dt <= 0:
        return current, velocity
    omega = 2.0 / smooth_time_s
    x = omega * dt
    decay = 1.0 / (1.0 + x + 0.48 * x * x + 0.235 * x * x * x)
    change = current - target
    temp = (velocity + omega * change) * dt
    velocity = (velocity - omega * temp) * decay
    return target + (change + temp) * decay, velocity


def positions_per_frame(path: CropPath, frame_count: int, fps: float) -> tuple[np.ndarray, np.ndarray]:
    """Crop x and y (source px) for each output frame 0..frame_count-1 at `fps`.

    Linear between analysed frames, but never across a cut or a switch to another speaker:
    there the crop steps.
    """
    frame_times = np.arange(frame_count) / fps
    times = np.asarray(path.times, dtype=float)
    xs = np.asarray(path.xs, dtype=float)
    ys = np.asarray(path.ys, dtype=float)
    steps = np.unique(np.asarray([*path.cuts, *path.switches], dtype=float))
    bounds = np.concatenate(([-np.inf], steps, [np.inf]))
    out_x = np.empty(frame_count)
    out_y = np.empty(frame_count)
    for low, high in zip(bounds[:-1], bounds[1:]):
        # half a frame of slack: cut times are rounded to the millisecond
        frames = (frame_times >= low - 0.5 / fps) & (frame_times < high - 0.5 / fps)
        samples = (times >= low - 0.5 / fps) & (times < high - 0.5 / fps)
        if not frames.any():
            continue
        if not samples.any():  # no analysed frame in this stretch: hold the nearest earlier one
            samples = times < high
            if not samples.any():
                samples = np.ones(len(times), bool)
            out_x[frames] = xs[samples][-1]
            out_y[frames] = ys[samples][-1]
            continue
        out_x[frames] = np.interp(frame_times[frames], times[samples], xs[samples])
        out_y[frames] = np.interp(frame_times[frames], times[samples], ys[samples])
    return np.round(out_x).astype(int), np.round(out_y).astype(int)


# --- CLI -------------------------------------------------------------------------------------


def register(subparsers) -> None:
    p = subparsers.add_parser("reframe", help="compute the crop path of a clip (JSON)")
    p.add_argument("media", type=Path)
    p.add_argument("--start", type=float, required=True, help="seconds")
    p.add_argument("--end", type=float, required=True, help="seconds")
    p.add_argument("--aspect", default="9:16", choices=list(ASPECTS))
    p.add_argument("--strategy", default="keep_in_frame", choices=["keep_in_frame", "centered"])
    p.add_argument("--sample-every", type=int, default=3, help="analyse every Nth frame")
    p.add_argument("--margin", type=float, default=0.15, help="safe-zone margin, fraction of crop width")
    p.add_argument("-o", "--output", type=Path, required=True, help="crop path JSON file")
    p.set_defaults(handler=_reframe_command)


def _reframe_command(args) -> int:
    from .stages import write_model

    if not args.media.exists():
        raise InputError(f"No such file: {args.media}")
    path = crop_path(
        args.media, args.start, args.end, aspect=args.aspect, strategy=args.strategy,
        sample_every=args.sample_every, margin=args.margin,
    )  # fmt: skip
    write_model(args.output, path)
    print(f"{path.frames_analysed} frames analysed, faces in {path.faces_seen}, cuts at {path.cuts}")
    if path.warning:
        print(f"warning: {path.warning}")
    return 0
