"""One still frame of a video as a JPEG: posters for previews and finals."""

import subprocess
from pathlib import Path

from . import atomic
from .probe import ffmpeg_input, input_args


def write_frame(media_path: Path, at_s: float, out_path: Path, *, video_filter: str = "", quality: int = 3) -> bool:
    """Write the frame at `at_s` seconds (after `video_filter`, if any) to `out_path`, whole or not
    at all; False when ffmpeg could not (the caller decides whether a missing poster matters)."""
    out_path = Path(out_path)
    tmp = atomic.temp_path(out_path)
    filters = ["-vf", video_filter] if video_filter else []
    result = subprocess.run(
        [
            "ffmpeg",
            "-hide_banner",
            "-nostdin",
            "-y",
            "-loglevel",
            "error",
            "-ss",
            f"{at_s:.3f}",
            *input_args(media_path),
            "-frames:v",
            "1",
            *filters,
            "-q:v",
            str(quality),
            "-f",
            "image2",
            ffmpeg_input(tmp),
        ],  # fmt: skip
        capture_output=True,
        text=True,
    )
    if result.returncode == 0 and tmp.exists():
        tmp.replace(out_path)
        return True
    tmp.unlink(missing_ok=True)
    return False
