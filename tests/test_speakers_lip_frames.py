"""The lip frames ffmpeg picks during the face analysis's decode are the frames Python expects:
the tracker's frames and the lip frames travel in two pipes, paired by frame index."""

import re
import subprocess

import pytest

from pipeline import lips


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
