"""Serving media files: only an allow-list of kinds from a video's work directory, each behind
its own permission, with a fixed content type and headers that stop a browser from running it.

Anything else under MEDIA_ROOT (uploads/, audio.wav, transcripts, crop caches, stray files) is
never served: an upload named x.html or x.svg can hold script, and served inline from our
origin it would run with the viewer's session."""

import re
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse
from django.utils.csp import CSP
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_GET

# A media response is never a document: no script, no plugin, no form, even if a browser
# ignored the content type.
MEDIA_CSP = {"default-src": [CSP.NONE], "sandbox": [""]}


@dataclass(frozen=True)
class MediaKind:
    name: str
    pattern: re.Pattern  # matched against the path inside videos/<id>/
    permission: str
    content_type: str
    inline: bool  # a <video>/<img>/<track> needs it inline; anything else is a download


_VIDEO_TYPES = {"mp4": "video/mp4", "m4v": "video/mp4", "mov": "video/quicktime", "webm": "video/webm"}
_VIDEO_TYPES |= {"mkv": "video/x-matroska"}
_SOURCE_EXT = "|".join(_VIDEO_TYPES)

# What the pipeline writes that a page shows, and who may fetch it. One row per kind; the
# content type comes from here, never from the file name an uploader chose.
MEDIA_KINDS = [
    MediaKind("source", re.compile(rf"source\.({_SOURCE_EXT})"), "clips.view_video", "video/*", True),
    MediaKind("proxy", re.compile(r"proxy\.mp4"), "clips.view_video", "video/mp4", True),
    MediaKind("preview", re.compile(r"renders/clip_\d+_preview\.mp4"), "clips.view_clip", "video/mp4", True),
    MediaKind("poster", re.compile(r"renders/clip_\d+_preview\.jpg"), "clips.view_clip", "image/jpeg", True),
    MediaKind("captions", re.compile(r"renders/clip_\d+_preview\.vtt"), "clips.view_clip", "text/vtt; charset=utf-8", True),
    MediaKind("subtitles", re.compile(r"renders/clip_\d+_preview\.srt"), "clips.view_clip", "application/x-subrip", False),
    MediaKind("face", re.compile(r"renders/clip_\d+_face_\d+\.jpg"), "clips.view_clip", "image/jpeg", True),
    MediaKind("final", re.compile(r"renders/clip_\d+_final(_\d+)?\.mp4"), "clips.download_clip", "video/mp4", True),
    MediaKind("final_poster", re.compile(r"renders/clip_\d+_final(_\d+)?\.jpg"), "clips.download_clip", "image/jpeg", True),
    MediaKind("final_captions", re.compile(r"renders/clip_\d+_final(_\d+)?\.(vtt|srt)"), "clips.download_clip",
              "application/octet-stream", False),
]  # fmt: skip
_WORKDIR_PATH = re.compile(r"videos/(\d+)/(.+)")


def media_kind(relpath: str) -> MediaKind | None:
    """The kind of a MEDIA_ROOT-relative path, or None when it is not something we serve."""
    match = _WORKDIR_PATH.fullmatch(relpath)
    if not match:
        return None
    inside = match.group(2)
    return next((kind for kind in MEDIA_KINDS if kind.pattern.fullmatch(inside)), None)


def _content_type(kind: MediaKind, path: Path) -> str:
    if kind.content_type == "video/*":
        return _VIDEO_TYPES[path.suffix.lower().lstrip(".")]
    return kind.content_type


def media_path(relpath: str) -> Path:
    """The file a MEDIA_ROOT-relative path names; Http404 if it escapes MEDIA_ROOT or is missing."""
    root = Path(settings.MEDIA_ROOT).resolve()
    path = (root / relpath).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        raise Http404
    return path


# "bytes=A-B" with at most 18 digits a side: a longer number is past any file and int() of a
# 5000-digit string raises (it used to be a 500).
_RANGE = re.compile(r"bytes=(\d*)-(\d*)$")
_MAX_RANGE_DIGITS = 18


@require_GET
@csp_override(MEDIA_CSP)
def media(request, relpath):
    """One allow-listed media file for a user holding its kind's permission; never a public
    URL. Answers byte ranges so the player can seek without fetching it all."""
    kind = media_kind(relpath)
    if kind is None or not request.user.has_perm(kind.permission):
        raise Http404
    path = media_path(relpath)
    if path.relative_to(Path(settings.MEDIA_ROOT).resolve()).as_posix() != relpath:
        raise Http404  # a symlink inside the work directory pointing elsewhere
    content_type = _content_type(kind, path)
    size = path.stat().st_size
    header = request.headers.get("Range", "").strip()
    match = _RANGE.match(header)
    if not match or not any(match.groups()):
        response = FileResponse(path.open("rb"), content_type=content_type)
        return _finish(response, kind, path)
    first, last = match.groups()
    if len(first) > _MAX_RANGE_DIGITS or len(last) > _MAX_RANGE_DIGITS:
        return _unsatisfiable(size)
    if first:
        start, end = int(first), min(int(last), size - 1) if last else size - 1
    else:  # "bytes=-N": the last N bytes
        start, end = max(size - int(last), 0), size - 1
    if start >= size or start > end:
        return _unsatisfiable(size)
    response = StreamingHttpResponse(_file_range(path, start, end), status=206, content_type=content_type)
    response["Content-Range"] = f"bytes {start}-{end}/{size}"
    response["Content-Length"] = str(end - start + 1)
    return _finish(response, kind, path)


def _finish(response, kind: MediaKind, path: Path):
    response["Accept-Ranges"] = "bytes"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = "inline" if kind.inline else f'attachment; filename="{path.name}"'
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


def _unsatisfiable(size: int) -> HttpResponse:
    response = HttpResponse(status=416)
    response["Content-Range"] = f"bytes */{size}"
    return response


def _file_range(path: Path, start: int, end: int, chunk_bytes: int = 256 * 1024):
    with path.open("rb") as f:
        f.seek(start)
        left = end - start + 1
        while left > 0:
            data = f.read(min(chunk_bytes, left))
            if not data:
                break
            left -= len(data)
            yield data
