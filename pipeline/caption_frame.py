"""One frame of a clip with its captions burned in, for the caption style editor's live preview.

The same crop, scale and libass drawing as the render, on one decoded frame: a fraction of a
second where a full render takes many, so every change in the editor can show a real frame.
"""

import subprocess
import tempfile
from pathlib import Path

from . import crop_plan, face_analysis, subtitles
from .errors import InputError
from .probe import input_args
from .schemas import CaptionStyle, CropPath, Word


def render_caption_frame(
    media_path: Path,
    start_s: float,
    end_s: float,
    at_s: float,
    *,
    words: list[Word],
    style: CaptionStyle,
    hook_text: str = "",
    aspect: str = "9:16",
    crop: CropPath | None = None,
    size: tuple[int, int] | None = None,
    quality: int = 4,
) -> bytes:
    """A JPEG of clip second `at_s` (clip start_s..end_s of media_path, source seconds) with the
    captions of `words` drawn in `style`. `crop` is the clip's crop path (as the render uses);
    without one the crop is centred. `size` defaults to the preview size for the aspect."""
    from .render import output_size  # render imports this module's neighbours, not this one

    media_path = Path(media_path)
    if not media_path.exists():
        raise InputError(f"No such media file: {media_path.name}")
    video = face_analysis.probe_video(media_path)
    end_s = min(end_s, video.duration_s) if video.duration_s else end_s
    at_s = min(max(0.0, at_s), max(0.0, end_s - start_s - 0.05))
    crop_w, crop_h = crop_plan.crop_size(video.width, video.height, aspect)
    if crop is not None and (crop.width, crop.height) == (crop_w, crop_h) and crop.times:
        frame = round(at_s * video.fps)
        xs, ys = crop_plan.positions_per_frame(crop, frame + 1, video.fps)
        x, y = int(xs[-1]), int(ys[-1])
    else:
        x, y = (video.width - crop_w) // 2, (video.height - crop_h) // 2
    width, height = size or output_size(aspect, True, crop_w, crop_h)
    cues = subtitles.style_cues(subtitles.clip_words(words, start_s, end_s), style, width, height)
    with tempfile.TemporaryDirectory(prefix="cliper-frame-") as tmp:
        ass_path = Path(tmp) / "captions.ass"
        ass_path.write_text(subtitles.ass_document(cues, style, width, height, hook_text=hook_text), encoding="utf-8")
        out_path = Path(tmp) / "frame.jpg"
        # -ss before -i restarts the frame's time at 0: setpts puts it back at at_s for libass.
        cmd = [
            "ffmpeg", "-hide_banner", "-nostdin", "-y", "-loglevel", "error",
            "-ss", f"{start_s + at_s:.3f}", *input_args(media_path), "-frames:v", "1", "-an", "-sn",
            "-vf", f"crop={crop_w}:{crop_h}:{x}:{y},scale={width}:{height}:flags=bicubic,setsar=1,"
                   f"setpts=PTS-STARTPTS+{at_s:.3f}/TB,ass=filename='{ass_path}'",
            "-q:v", str(quality), "-f", "image2", f"file:{out_path}",
        ]  # fmt: skip
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        if result.returncode != 0 or not out_path.exists():
            raise InputError(f"Could not draw a preview frame: {result.stderr.strip()[-300:] or 'no frame'}")
        return out_path.read_bytes()
