"""Face analysis: where the speaker's face is in each frame of a clip, and where the camera cuts.

ffmpeg decodes the clip's time range already downscaled; every frame feeds a cheap cut detector
(HSV difference, like PySceneDetect's ContentDetector) and every `sample_every`-th frame of each
shot goes to MediaPipe's full-range face detector. `crop_path` then hands the boxes to
`crop_plan` for the crop path itself.

A failing or absent detector never fails: the crop falls back to the centre, with a warning.
"""

import contextlib
import functools
import math
import os
import queue
import subprocess
import tempfile
import threading
from pathlib import Path

import numpy as np

from . import assets
from .crop_plan import ASPECTS, FaceSamples, centred_path, plan
from .errors import InputError
from .probe import VideoInfo, input_args, probe_video
from .schemas import Aspect, CropPath, Strategy, values

__all__ = ["VideoInfo", "crop_path", "probe_video"]

ANALYSIS_WIDTH = 384  # px; the full-range model sees 192x192 anyway, so more only costs decoding
CUT_THRESHOLD = 27.0  # mean HSV difference (0..255), ContentDetector's default
MIN_SHOT_S = 0.5
READ_STALL_S = 60.0  # a lip frame this late means ffmpeg is stuck: go on without lips
TRACKER_QUEUE_FRAMES = 64  # tracker frames held while a lip frame is awaited (~16 MB at 384 px)
# The two-face decode skips the frames no other frame refers to (x264's non-reference B-frames,
# half of all frames): 40 % less decoding. Its fps filter repeats the frame before each gap, so
# frame n is still at n / fps; and encoders start a new scene on a reference frame (x264's
# scenecut, on by default), so camera cuts are found on the same frame as with a full decode.
SKIP_UNREFERENCED = ("-skip_frame", "noref")
# Two-face shots get their faces detected half as often (~4 fps at 25 fps): seated people move
# little, the lip crops are twice a face wide, and the detector was a quarter of the analysis.
TWO_FACE_SAMPLING = 2


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
        raise InputError(f"Unknown aspect ratio {aspect!r}: use {', '.join(values(Aspect))}")
    if strategy not in values(Strategy):
        raise InputError(f"Unknown reframing strategy {strategy!r}: use {' or '.join(values(Strategy))}")
    if end_s <= start_s:
        raise InputError(f"The clip ends ({end_s:.2f} s) before it starts ({start_s:.2f} s)")
    video = probe_video(media_path)
    path = centred_path(video.width, video.height, video.fps, aspect)
    width, height = path.width, path.height
    if width == video.width and height == video.height:
        return path  # nothing to reframe: the crop is the whole frame
    sample_every = max(1, int(sample_every))
    try:
        samples = _analyse(media_path, video, start_s, end_s, sample_every, progress, lips=speaker_aware)
    except (InputError, OSError, RuntimeError, ValueError) as exc:
        path.warning = f"Face analysis failed ({str(exc)[:200]}): centre crop"
        return path
    plan(path, samples, strategy, margin)
    if speaker_aware:  # two faces, a wide shot or a close-up: pipeline/layouts.py frames it
        from . import speakers

        path = speakers.frame(path, samples, media_path, video, start_s, end_s, aspect=aspect, margin=margin)
    return path


def face_samples(
    media_path: Path, video: VideoInfo, start_s: float, end_s: float, sample_every: int, progress=None, lips=False
) -> FaceSamples:
    """What the detector saw over `start_s`..`end_s`: kept by browser_preview, so that crop
    paths for other bounds inside the range are planned without decoding again. With `lips`,
    mouths too when the first frame shows two faces (see _analyse)."""
    return _analyse(media_path, video, start_s, end_s, sample_every, progress, lips=lips)


class _TwoFaces(Exception):
    """The first frame shows two faces: decode again with lip frames (see _analyse)."""


def _analyse(
    media_path: Path, video: VideoInfo, start_s: float, end_s: float, sample_every: int, progress, lips: bool = False
) -> FaceSamples:
    """The detector's samples; with `lips`, mouths too when the first frame shows two faces.

    One-face clips keep today's decode exactly: the first frame decides, and only a two-face
    first frame restarts the decode with a second output of lip frames (pipeline.lips), so that
    one decode serves the tracker and the lips. Two-face shots later in a clip get their lips
    from a decode of their own (speakers.analyse_shots).
    """
    if not lips:
        return _decode(media_path, video, start_s, end_s, sample_every, progress)
    try:
        return _decode(media_path, video, start_s, end_s, sample_every, progress, stop_at_two_faces=True)
    except _TwoFaces:
        return _decode(media_path, video, start_s, end_s, TWO_FACE_SAMPLING * sample_every, progress, with_lips=True)


def _decode(
    media_path: Path,
    video: VideoInfo,
    start_s: float,
    end_s: float,
    sample_every: int,
    progress,
    *,
    stop_at_two_faces: bool = False,
    with_lips: bool = False,
) -> FaceSamples:
    import cv2

    scale_w = min(ANALYSIS_WIDTH, video.width)
    scale_w -= scale_w % 2
    scale_h = max(2, round(video.height * scale_w / video.width / 2) * 2)
    to_source = video.width / scale_w
    duration_s = end_s - start_s
    # scaling in YUV first, then converting the small frame: 3x less CPU than scaling to RGB
    tracker_filter = f"scale={scale_w}:{scale_h}:flags=fast_bilinear,format=yuv420p"
    inline = lip_reader = None
    skip, frame_limit = [], None
    sound = None
    if with_lips:
        from . import lips

        sound = _clip_sound(media_path, start_s, end_s)
        inline = lips.InlineLips(video, sound.speech if sound is not None else None)
        lip_read, lip_write = os.pipe()
        _widen_pipe(lip_write)
        skip = list(SKIP_UNREFERENCED)
        frame_limit = math.ceil(duration_s * video.fps) + 1  # the fps filter pads the end: no more than a full decode
        # the tracker's frames are scaled (and made RGB) before the fps filter repeats them: each
        # decoded frame once, the same bytes
        fps_filter = f"fps={float(video.fps)!r}:start_time=0"
        graph = (
            f"[0:v:0]split=2[t][l];[t]{tracker_filter},format=rgb24,{fps_filter}[tv];"
            f"[l]{fps_filter},{lips.lip_select_filter(video.fps)},scale={inline.width}:{inline.height}:flags=bilinear,"
            "format=yuv420p[lv]"
        )
        outputs = [
            "-filter_complex", graph, "-map", "[tv]", "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1",
            "-map", "[lv]", "-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", "rgb24", f"pipe:{lip_write}",
        ]  # fmt: skip
    else:
        outputs = ["-map", "0:v:0", "-vf", tracker_filter, "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"]
    # one decoding thread for the two-face decode: 10 % less CPU than frame threads, and the
    # landmarker, not the decoder, sets its pace (one-face clips keep today's command)
    threads = ["-threads", "1", "-filter_complex_threads", "1"] if with_lips else []
    cmd = [
        "ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", *threads,
        *skip, "-ss", f"{start_s:.3f}", "-t", f"{duration_s:.3f}", *input_args(media_path), *outputs,
    ]  # fmt: skip
    frame_bytes = scale_w * scale_h * 3
    samples = FaceSamples()
    detector = _open_detector(samples)
    # stderr to a file, not a pipe: nobody reads a pipe while frames are read, and ffmpeg blocks
    # (and with it this loop, forever) once a long warning fills the pipe's 64 KB.
    stderr_file = tempfile.TemporaryFile()
    if with_lips:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=stderr_file, pass_fds=(lip_write,))
        os.close(lip_write)
        lip_reader = _FrameReader(lip_read, inline.frame_bytes)
        # The tracker's frames are read by a thread too: while this loop waits for a lip frame that
        # ffmpeg holds back, ffmpeg must be able to go on writing tracker frames (a full tracker pipe
        # with this loop waiting on the lip pipe was a deadlock).
        tracker_reader = _FrameReader(os.dup(proc.stdout.fileno()), frame_bytes, queued=TRACKER_QUEUE_FRAMES)
        read_tracker_frame = tracker_reader.next_bytes
    else:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=stderr_file)
        tracker_reader = None
        read_tracker_frame = functools.partial(proc.stdout.read, frame_bytes)
    _widen_pipe(proc.stdout.fileno())
    try:
        previous_hsv = previous_data = None
        frame_index = shot_start_index = 0
        shot_id = 0
        min_shot_frames = max(1, round(MIN_SHOT_S * video.fps))
        while True:
            data = read_tracker_frame()
            if len(data) < frame_bytes or frame_index == frame_limit:
                break
            frame = np.frombuffer(data, np.uint8).reshape(scale_h, scale_w, 3)
            t = frame_index / video.fps
            repeated = data == previous_data  # the fps filter's copy of the frame before a skipped one
            if not repeated:
                small = cv2.resize(frame, (64, max(2, 64 * scale_h // scale_w)), interpolation=cv2.INTER_AREA)
                hsv = cv2.cvtColor(small, cv2.COLOR_RGB2HSV).astype(np.int16)
            if not repeated and previous_hsv is not None and frame_index - shot_start_index >= min_shot_frames:
                difference = np.abs(hsv - previous_hsv).mean()
                if difference >= CUT_THRESHOLD:
                    samples.cuts.append(round(t, 3))
                    shot_start_index = frame_index
                    shot_id += 1
            previous_hsv, previous_data = hsv, data
            if (frame_index - shot_start_index) % sample_every == 0:
                samples.times.append(round(t, 3))
                samples.shot_ids.append(shot_id)
                boxes = _detect(detector, frame, samples)
                samples.boxes.append(
                    [(x * to_source, y * to_source, w * to_source, h * to_source, score) for x, y, w, h, score in boxes]
                )
                if inline is not None:
                    inline.detection(round(t, 3), shot_id, samples.boxes[-1])
                if stop_at_two_faces and frame_index == 0 and len(boxes) == 2:
                    raise _TwoFaces
                if progress is not None and len(samples.times) % 20 == 0:
                    progress(min(t / duration_s, 1.0), "Finding faces")
            tick = lips.lip_tick(frame_index, video.fps) if inline is not None else None
            if tick is not None:
                lip_frame = lip_reader.next()
                if lip_frame is not None:
                    inline.frame(round(tick / lips.LIP_FPS, 3), shot_id, lip_frame)
            frame_index += 1
    finally:
        if detector is not None:
            try:
                detector.close()
            except Exception:  # noqa: BLE001 - closing must not fail a render either
                pass
        if inline is not None:
            inline.close()
        proc.stdout.close()
        proc.kill()
        proc.wait()
        for reader in (lip_reader, tracker_reader):
            if reader is not None:
                reader.close()
        stderr_file.seek(0)
        stderr = stderr_file.read().decode(errors="replace")
        stderr_file.close()
    if not samples.times:
        raise RuntimeError(f"ffmpeg decoded no frames: {stderr.strip()[-200:]}")
    if inline is not None:
        samples.mouths, samples.lips_measured, samples.sound = inline.samples, True, sound
    return samples


def _clip_sound(media_path: Path, start_s: float, end_s: float):
    """The clip's sound and speech (speakers.clip_sound), or None where it cannot be read: the
    lips are then measured everywhere, and the speaker analysis reads the sound itself."""
    from . import speakers

    try:
        return speakers.clip_sound(media_path, start_s, end_s)
    except (OSError, RuntimeError, ValueError, ImportError):
        return None


class _FrameReader:
    """Frames of one raw-video pipe, read by a thread: ffmpeg writes its two outputs in turn, and
    a blocked write to one must never stall the other. Once the reader has ended (or stalled),
    its thread drops what still arrives, so ffmpeg is never left blocked on this pipe."""

    def __init__(self, fd: int, frame_bytes: int, *, queued: int = 16):
        self._file = os.fdopen(fd, "rb", buffering=0)
        self._frames: queue.Queue = queue.Queue(maxsize=queued)
        self._bytes = frame_bytes
        self._ended = self._closing = False
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            while not self._closing:
                frame = np.empty(self._bytes, np.uint8)
                view, got = memoryview(frame), 0
                while got < self._bytes:
                    count = self._file.readinto(view[got:])
                    if not count:
                        break
                    got += count
                if got < self._bytes:
                    break
                while not (self._ended or self._closing):  # after the end: read on, keep nothing
                    try:
                        self._frames.put(frame, timeout=0.1)
                        break
                    except queue.Full:
                        pass
        except (OSError, ValueError):
            pass
        finally:
            self._frames.put(None)

    def next(self) -> np.ndarray | None:
        """The next frame, or None once the pipe has ended (or stalled: never hang a worker)."""
        if self._ended:
            return None
        try:
            frame = self._frames.get(timeout=READ_STALL_S)
        except queue.Empty:
            frame = None
        self._ended = frame is None
        if self._ended:
            self._drain()
        return frame

    def next_bytes(self) -> bytes:
        """The next frame as bytes, b"" at the end (the plain pipe read's contract)."""
        frame = self.next()
        return b"" if frame is None else frame.tobytes()

    def _drain(self) -> None:
        while True:
            try:
                self._frames.get_nowait()
            except queue.Empty:
                return

    def close(self) -> None:
        """Call after ffmpeg has ended: drains the queue until the thread sees the end."""
        self._closing = True
        while self._thread.is_alive():
            self._drain()
            self._thread.join(timeout=0.05)
        self._file.close()


def _widen_pipe(fd: int) -> None:
    """Let ffmpeg decode a few frames ahead while the detector works (Linux; 64 KB otherwise)."""
    try:
        import fcntl

        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, 1 << 20)
    except (ImportError, AttributeError, OSError):
        pass


# File descriptor 2 belongs to the whole process: two threads muting it at once would save each
# other's /dev/null and could leave the worker's stderr (tracebacks included) muted for good.
_stderr_lock = threading.Lock()


@contextlib.contextmanager
def _native_stderr_muted():
    """Silence the ~50 lines TFLite prints (to file descriptor 2) while loading the model; one
    thread at a time, so fd 2 is always given back as it was found."""
    with _stderr_lock:
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


def _open_detector(samples: FaceSamples):
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


def _detect(detector, frame: np.ndarray, samples: FaceSamples) -> list[tuple[float, float, float, float, float]]:
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
