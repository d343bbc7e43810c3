"""Is this file a video we can work with? ffprobe answers; refusals carry a message for a person."""

import functools
import json
import os
import subprocess
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from .errors import InputError
from .schemas import MediaInfo

MIN_DURATION_S = 5.0  # shorter than this there is nothing to cut a clip from
IMAGE_CODECS = {"png", "mjpeg", "jpegls", "bmp", "webp", "tiff", "gif", "jpeg2000", "qoi", "avif"}


def probe(path: Path, *, max_duration_s: float = 10 * 3600, min_duration_s: float = MIN_DURATION_S) -> MediaInfo:
    """Describe a media file, or raise InputError saying why it cannot be used.

    Accepts a file with at least one decodable video stream (not a still image) and one audio
    stream, lasting min_duration_s..max_duration_s seconds. media_file is the file's name.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"File not found: {path.name}")
    size_bytes = path.stat().st_size
    if size_bytes == 0:
        raise InputError("The file is empty (0 bytes). Upload it again.")

    info = _ffprobe(path)
    streams = info.get("streams", [])
    fmt = info.get("format", {})
    videos = [s for s in streams if s.get("codec_type") == "video" and not s.get("disposition", {}).get("attached_pic")]
    audios = [s for s in streams if s.get("codec_type") == "audio"]
    format_name = fmt.get("format_name", "")

    if (
        format_name == "image2"
        or format_name.endswith("_pipe")
        or (videos and not audios and videos[0].get("codec_name") in IMAGE_CODECS)
    ):
        raise InputError("This is a still image, not a video. Upload a video with sound.")
    if not videos and audios:
        raise InputError("This file has sound but no picture. CLIPER needs a video file.")
    if not videos:
        raise InputError("This file has no video or audio that ffmpeg can read. Is it really a video file?")
    video = videos[0]
    if video.get("codec_name") in (None, "", "unknown", "none"):
        tag = video.get("codec_tag_string", "?")
        raise InputError(
            f"The video is in a format ffmpeg cannot decode (codec tag {tag}). Convert it to H.264 MP4 first."
        )
    if not audios:
        raise InputError("This video has no sound track. CLIPER needs speech to find clips.")
    audio = audios[0]
    if audio.get("codec_name") in (None, "", "unknown", "none"):
        raise InputError(
            "The sound track is in a format ffmpeg cannot decode. Convert the file to MP4 (AAC audio) first."
        )

    duration = _duration(fmt, streams)
    if duration is None:
        raise InputError("Could not read how long this video is; the file may be damaged.")
    if duration > max_duration_s:
        raise InputError(
            f"The video lasts {format_duration(duration)}; the limit is {format_duration(max_duration_s)}. "
            "Cut it into shorter parts first."
        )
    if duration < min_duration_s:
        raise InputError(
            f"The video lasts only {duration:.1f} s: too short to make clips (at least {min_duration_s:g} s needed)."
        )
    _check_video_decodes(path)

    width, height = int(video.get("width") or 0), int(video.get("height") or 0)
    if _rotation(video) % 180 == 90:
        width, height = height, width
    if not width or not height:
        raise InputError("The video has no picture size; the file may be damaged.")
    return MediaInfo(
        media_file=path.name,
        title=path.stem,
        duration=duration,
        width=width,
        height=height,
        fps=_fps(video),
        video_codec=video.get("codec_name", ""),
        audio_codec=audio.get("codec_name", ""),
        size_bytes=size_bytes,
    )


# Demuxers an ingested file may be opened with. A playlist or list format (hls, concat, ...)
# would make ffmpeg read the files or URLs written inside it: a text file named talk.mp4 that
# holds "#EXTM3U" and "file:/etc/..." lines must be refused, not followed. Plain audio files
# (wav, mp3, flac) open for the transcribe command.
INPUT_FORMATS = "mov,mp4,m4a,3gp,3g2,mj2,matroska,webm,avi,mpeg,mpegts,flv,asf,ogg,wav,mp3,flac"


@dataclass(frozen=True)
class VideoInfo:
    """What rendering needs to know about an (already accepted) media file."""

    width: int  # displayed size, rotation applied
    height: int
    fps: float
    duration_s: float
    has_audio: bool


def probe_video(media_path: Path) -> VideoInfo:
    """Size (after rotation), frame rate and duration of a media file's first video stream,
    read through the same ffprobe call, and the same input checks, as probe().

    Remembered per process for the same file (path, size, modification time, inode): making one
    clip reviewable asked ffprobe the same question four times, ~0.1 s of CPU each."""
    media_path = Path(media_path).resolve()
    stat = os.stat(media_path)
    return _probe_video(media_path, stat.st_size, stat.st_mtime_ns, stat.st_ino)


@functools.lru_cache(maxsize=64)
def _probe_video(media_path: Path, size: int, mtime_ns: int, inode: int) -> VideoInfo:
    info = _ffprobe(media_path)
    streams = info.get("streams", [])
    video = next((s for s in streams if s.get("codec_type") == "video"), None)
    if video is None:
        raise InputError(f"{Path(media_path).name} has no video track to reframe")
    width, height = int(video.get("width") or 0), int(video.get("height") or 0)
    if _rotation(video) % 180 == 90:
        width, height = height, width
    duration_s = _duration(info.get("format", {}), streams) or 0.0
    has_audio = any(s.get("codec_type") == "audio" for s in streams)
    return VideoInfo(width, height, _fps(video) or 25.0, duration_s, has_audio)


def ffmpeg_input(path: Path) -> str:
    """path as an ffmpeg input that no name can be misread as an option or protocol ("a:b.mp4")."""
    return f"file:{Path(path).resolve()}"


def input_args(path: Path) -> list[str]:
    """`-i path` for an ffmpeg/ffprobe call that reads an ingested file, with the container
    formats limited to INPUT_FORMATS and the file protocol only. Input options such as -ss go
    before these."""
    return ["-format_whitelist", INPUT_FORMATS, "-protocol_whitelist", "file", "-i", ffmpeg_input(path)]


def format_duration(seconds: float) -> str:
    """'1 h 05 min', '4 min 10 s' or '12.0 s'."""
    seconds = float(seconds)
    if seconds >= 3600:
        return f"{int(seconds // 3600)} h {int(seconds % 3600 // 60):02d} min"
    if seconds >= 60:
        return f"{int(seconds // 60)} min {int(seconds % 60):02d} s"
    return f"{seconds:.1f} s"


def _ffprobe(path: Path) -> dict:
    cmd = ["ffprobe", "-v", "error", "-print_format", "json", "-show_format", "-show_streams", *input_args(path)]
    result = subprocess.run(cmd, capture_output=True, text=True, errors="replace", timeout=120)
    if result.returncode != 0:
        detail = result.stderr.strip().splitlines()[-1:] or ["unknown error"]
        detail_text = detail[0].replace(ffmpeg_input(path), path.name)
        head = _read_head(path)
        if "not on whitelist" in result.stderr:
            if head.startswith(_IMAGE_MAGIC) or head[8:12] == b"WEBP":
                raise InputError("This is a still image, not a video. Upload a video with sound.")
            if _looks_like_text(head):
                raise InputError("This file is a playlist or list of files, not a video. Upload the video itself.")
            raise InputError("This file is in a container format CLIPER does not accept. Convert it to MP4 first.")
        if head[4:8] == b"ftyp" and "moov atom not found" in result.stderr:
            raise InputError(
                "The file looks truncated or damaged (its index is missing, often an interrupted upload "
                "or recording). Upload the complete file again."
            )
        if _looks_like_text(head):
            raise InputError("This is a text file, not a video (whatever its name says).")
        raise InputError(f"This file is not a video ffmpeg can read ({detail_text}).")
    return json.loads(result.stdout or "{}")


_IMAGE_MAGIC = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"BM", b"II*\x00", b"MM\x00*", b"qoif")


def _read_head(path: Path, size: int = 4096) -> bytes:
    with open(path, "rb") as f:
        return f.read(size)


def _looks_like_text(head: bytes) -> bool:
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return all(ch.isprintable() or ch in "\r\n\t" for ch in text)


def _check_video_decodes(path: Path) -> None:
    # ffprobe reads headers only; decoding one second catches codecs with no decoder here.
    cmd = ["ffmpeg", "-nostdin", "-v", "error", *input_args(path), "-map", "0:v:0", "-t", "1", "-f", "null", "-"]
    result = subprocess.run(cmd, capture_output=True, text=True, errors="replace", timeout=120)
    if result.returncode != 0:
        raise InputError(
            "The video cannot be decoded by ffmpeg (unsupported codec or damaged file). Convert it to H.264 MP4 first."
        )


def _duration(fmt: dict, streams: list[dict]) -> float | None:
    candidates = [fmt.get("duration")] + [s.get("duration") for s in streams]
    values = []
    for value in candidates:
        try:
            values.append(float(value))
        except (TypeError, ValueError):
            continue
    return max(values) if values else None


def _fps(video: dict) -> float:
    for key in ("avg_frame_rate", "r_frame_rate"):
        try:
            rate = Fraction(video.get(key, "0/0"))
        except (ValueError, ZeroDivisionError):
            continue
        if rate > 0:
            return float(rate)
    return 0.0


def _rotation(video: dict) -> int:
    for side in video.get("side_data_list", []):
        if "rotation" in side:
            return int(float(side["rotation"])) % 360
    return int(float(video.get("tags", {}).get("rotate", 0))) % 360
