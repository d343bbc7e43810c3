"""The lip frames ffmpeg picks during the face analysis's decode are the frames Python expects:
the tracker's frames and the lip frames travel in two pipes, paired by frame index."""

import re
import subprocess

import numpy as np
import pytest

from pipeline import lips
from tests import speaker_panels


@pytest.mark.parametrize("rate", ["25", "30000/1001", "50"])
def test_ffmpegs_select_picks_the_frames_lip_tick_names_and_its_fps_filter_would(rate):
    numerator, _, denominator = rate.partition("/")
    fps = int(numerator) / int(denominator or 1)
    shown = subprocess.run(
        ["ffmpeg", "-hide_banner", "-nostdin", "-f", "lavfi", "-i", f"testsrc=size=64x36:rate={rate}:duration=4",
         "-vf", f"{lips.lip_select_filter(fps)},showinfo", "-fps_mode", "passthrough", "-f", "null", "-"],
        capture_output=True, text=True, check=True,
    ).stderr  # fmt: skip
    picked = [round(float(t) * fps) for t in re.findall(r"pts_time:([0-9.]+)", shown)]
    expected = [n for n in range(round(4 * fps)) if lips.lip_tick(n, fps) is not None]
    assert picked == expected
    assert [lips.lip_tick(n, fps) for n in expected] == list(range(len(expected)))  # one frame per tick
    assert len(expected) == pytest.approx(4 * lips.LIP_FPS, abs=1)
    # the frames measure()'s fps filter takes, for the same ticks
    fps_filter = subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", f"testsrc=size=64x36:rate={rate}:duration=4",
         "-vf", f"fps={lips.LIP_FPS}", "-f", "framemd5", "-"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    every = subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", f"testsrc=size=64x36:rate={rate}:duration=4", "-f", "framemd5", "-"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    hashes = [line.split(",")[-1].strip() for line in every.splitlines() if not line.startswith("#")]
    taken = [hashes.index(line.split(",")[-1].strip()) for line in fps_filter.splitlines() if not line.startswith("#")]
    assert taken[: len(expected)] == expected


@pytest.mark.skipif(not speaker_panels.available(), reason=speaker_panels.MISSING)
def test_the_mouth_read_from_the_landmarkers_c_result_is_what_its_public_call_gives():
    """mouth_in reads eight points and jawOpen straight from mediapipe's C result: on a real
    speaker's frames it must give exactly what the public detect_for_video does."""
    import mediapipe as mp

    clip = speaker_panels.grid_clip("lwbsza")
    raw = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(clip), "-vf", "fps=5,crop=288:288,scale=256:256", "-frames:v", "12",
         "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"],
        capture_output=True, check=True,
    ).stdout  # fmt: skip
    frames = [raw[i : i + 256 * 256 * 3] for i in range(0, len(raw), 256 * 256 * 3)]
    assert len(frames) == 12
    ours, public = lips.open_landmarker(), lips.open_landmarker()
    read_raw, read_public = [], []
    for k, data in enumerate(frames):
        image = mp.Image(image_format=mp.ImageFormat.SRGB, data=np.frombuffer(data, np.uint8).reshape(256, 256, 3))
        read_raw.append(lips.mouth_in(ours, image, k * lips.FRAME_GAP_MS))
        result = public.detect_for_video(image, k * lips.FRAME_GAP_MS)
        jaw = next(c.score for c in result.face_blendshapes[0] if c.category_name == "jawOpen")
        read_public.append((lips.mouth_opening(result.face_landmarks[0]), jaw))
    ours.close()
    public.close()
    np.testing.assert_allclose(np.array(read_raw), np.array(read_public), rtol=1e-6)
    openings = np.array(read_raw)[:, 0]
    assert not np.isnan(openings).any() and openings.max() > 2 * openings.min()  # a face, speaking
