"""A browser-playable copy of the source, written once at ingest, for the clip previews.

Browser previews play the source itself, cropped by CSS. Every browser plays H.264 + AAC in an
MP4 file up to 1080p; anything else (WebM/VP9 or AV1 from a link, MKV, HEVC, 4K) gets a small
proxy. When only the container or the audio is wrong the video is copied (seconds, not minutes);
otherwise it is re-encoded at PROXY_WIDTH with a fast preset. Finals always render from the
original: crop paths are in original pixels and the browser applies them as fractions of the
picture, so they fit the proxy as they fit the original.
"""

from pathlib import Path

from . import atomic, ffmpeg_progress
from .errors import InputError
from .probe import ffmpeg_input, input_args
from .progress import Progress, no_progress
from .schemas import MediaInfo

PROXY_FILE = "proxy.mp4"
PROXY_WIDTH = 640  # px; a card shows at most ~400 px of it, cropped
PROXY_ENCODE = ("veryfast", 28)  # x264 preset, CRF: small and quick, it is only looked at
PROXY_KEYFRAME_S = 1  # a keyframe every second, so seeking inside a clip is immediate
BROWSER_VIDEO_CODECS = {"h264"}
BROWSER_AUDIO_CODECS = {"aac", "mp3"}
BROWSER_SUFFIXES = {".mp4", ".m4v"}
MAX_BROWSER_PIXELS = (1920, 1080)  # larger sources decode too slowly in a page of a dozen players


def needs_proxy(media: MediaInfo) -> bool:
    """True when `media` is not something every browser plays smoothly."""
    long_side, short_side = max(media.width, media.height), min(media.width, media.height)
    return (
        Path(media.media_file).suffix.lower() not in BROWSER_SUFFIXES
        or media.video_codec not in BROWSER_VIDEO_CODECS
        or media.audio_codec not in BROWSER_AUDIO_CODECS
        or long_side > MAX_BROWSER_PIXELS[0]
        or short_side > MAX_BROWSER_PIXELS[1]
    )


def _video_copyable(media: MediaInfo) -> bool:
    long_side, short_side = max(media.width, media.height), min(media.width, media.height)
    return (
        media.video_codec in BROWSER_VIDEO_CODECS
        and long_side <= MAX_BROWSER_PIXELS[0]
        and short_side <= MAX_BROWSER_PIXELS[1]
    )


def write_proxy(media_path: Path, media: MediaInfo, out_path: Path, progress: Progress = no_progress) -> Path:
    """Write the proxy of `media_path` to `out_path` (whole or not at all); returns out_path."""
    out_path = Path(out_path)
    tmp_path = atomic.temp_path(out_path)
    if _video_copyable(media):
        video_args = ["-c:v", "copy"]
    else:
        preset, crf = PROXY_ENCODE
        video_args = [
            "-vf", f"scale={PROXY_WIDTH}:-2:flags=bilinear,format=yuv420p",
            "-c:v", "libx264", "-preset", preset, "-crf", str(crf),
            "-force_key_frames", f"expr:gte(t,n_forced*{PROXY_KEYFRAME_S})",
        ]  # fmt: skip
    audio_args = (
        ["-c:a", "copy"] if media.audio_codec in BROWSER_AUDIO_CODECS else ["-c:a", "aac", "-b:a", "96k", "-ac", "2"]
    )
    cmd = [
        "ffmpeg", "-hide_banner", "-nostdin", "-y", "-v", "error", *input_args(media_path),
        "-map", "0:v:0", "-map", "0:a:0", *video_args, *audio_args,
        "-movflags", "+faststart", "-progress", "pipe:1", "-nostats", "-f", "mp4", ffmpeg_input(tmp_path),
    ]  # fmt: skip
    try:
        done = ffmpeg_progress.run(cmd, media.duration, progress, "Making a browser copy for previews")
        if done.returncode != 0:
            detail = (done.stderr.strip().splitlines() or ["unknown error"])[-1]
            raise InputError(f"Could not make the preview copy of the video ({detail[-300:]}).")
        tmp_path.replace(out_path)
    finally:
        tmp_path.unlink(missing_ok=True)
    return out_path
