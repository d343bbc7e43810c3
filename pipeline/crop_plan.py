"""Crop planning: pure maths from analysed face boxes to a crop path (no ffmpeg, no detector).

One face is followed per shot (largest and most central, with hysteresis), then a crop path is
planned per shot, so it never slides across a cut:

- keep_in_frame: the crop holds still while the face stays inside a safe zone (the crop minus
  `margin` of its width on each side); when the face leaves it, the crop eases (a critically
  damped spring) until the face is centred again.
- centered: the face is centred, smoothed over time (Gaussian, zero phase) with a small dead band.
"""

import math
from dataclasses import dataclass, field

import numpy as np

from .schemas import CropPath

ASPECTS = {"9:16": (9, 16), "1:1": (1, 1), "16:9": (16, 9)}
SWITCH_AFTER_MISSING_S = 1.0  # the followed face may vanish this long before another is chosen
SWITCH_BETTER_RATIO = 2.0  # another face must score this much higher ...
SWITCH_BETTER_S = 2.0  # ... for this long before the crop switches to it
EASE_TIME_S = 0.35  # spring smooth time of keep_in_frame moves
CENTERED_SIGMA_S = 0.5
CENTERED_DEADBAND = 0.02  # of the crop width: detection noise smaller than this never moves it


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


def centred_path(source_width: int, source_height: int, fps: float, aspect: str) -> CropPath:
    """A still crop of `aspect` in the middle of the frame: where every plan starts, and what a
    clip with no usable face keeps."""
    width, height = crop_size(source_width, source_height, aspect)
    return CropPath(
        width=width,
        height=height,
        source_width=source_width,
        source_height=source_height,
        fps=fps,
        times=[0.0],
        xs=[(source_width - width) // 2],
        ys=[(source_height - height) // 2],
    )


@dataclass
class FaceSamples:
    """What face analysis saw: per analysed frame its time, shot and face boxes; the cuts."""

    times: list[float] = field(default_factory=list)  # clip-relative seconds of analysed frames
    shot_ids: list[int] = field(default_factory=list)
    boxes: list[list[tuple[float, float, float, float, float]]] = field(default_factory=list)  # x, y, w, h, score
    cuts: list[float] = field(default_factory=list)
    detector_error: str = ""
    # pipeline.lips.MouthSample per face seen with another, measured during the same decode
    mouths: list = field(default_factory=list)
    lips_measured: bool = False  # mouths cover the whole range (else lips need a decode of their own)
    sound: object = None  # pipeline.speakers.ClipSound of the range when the lips needed it (kept in memory only)


def _follow_one_face(samples: FaceSamples, source_width: int, source_height: int) -> list[tuple | None]:
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


def plan(path: CropPath, samples: FaceSamples, strategy: str, margin: float) -> None:
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
