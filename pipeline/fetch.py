"""Download a video from a URL with yt-dlp (as a library), refusing unsafe links and playlists."""

import itertools
import re
import shutil
import socket
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

from . import netguard
from .errors import InputError
from .netguard import AddressPolicy, BlockedAddress, unguarded
from .probe import format_duration
from .progress import Progress, no_progress


def is_url(source: str) -> bool:
    """True when source looks like a URL (has a scheme such as http://) rather than a file path."""
    return bool(re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", source))


def address_policy(*, allow_private: bool = False, blocked_networks: list[str] | None = None) -> AddressPolicy:
    """The networks a URL ingest may not reach: blocked_networks (CIDR strings; None = every
    non-public range), or none at all with allow_private (tests, a home NAS)."""
    return AddressPolicy.from_networks([] if allow_private else blocked_networks)


def check_url(url: str, *, allow_private: bool = False, blocked_networks: list[str] | None = None) -> None:
    """Raise InputError unless url is http(s) and its host resolves only to allowed addresses.

    An early, friendly refusal for the form; the rule that counts is enforced again on every
    connection the download makes (pipeline.netguard).
    """
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in ("http", "https"):
        raise InputError("Only http:// and https:// links can be downloaded.")
    host = parts.hostname
    if not host:
        raise InputError("This link has no host name.")
    try:
        _ = parts.port
    except ValueError:
        raise InputError("This link has an invalid port number.") from None
    policy = address_policy(allow_private=allow_private, blocked_networks=blocked_networks)
    if not policy.blocked:
        return
    try:
        policy.check(host)
    except (socket.gaierror, UnicodeError):
        raise InputError(f"Could not find the server {host!r}. Check the link.") from None
    except BlockedAddress:
        raise InputError(_private_message(policy.refused[-1])) from None


def _private_message(address: str) -> str:
    return (
        f"This link points to a private or local network address ({address}); "
        "downloading from there is not allowed on this server."
    )


# Protocols yt-dlp downloads itself, through connections the guard sees. Anything else
# (rtmp, rtsp, mms, ...) would be handed to an external program that connects on its own.
_NATIVE_PROTOCOLS = r"^(https?|m3u8_native|m3u8|http_dash_segments|http_dash_segments_generator)$"
_P = f"[protocol~='{_NATIVE_PROTOCOLS}']"
# Clips are rendered at 1080 px at most: a 4K download would only cost time and disk.
FORMAT = f"bv*[height<=?1080]{_P}+ba{_P}/b[height<=?1080]{_P}/bv*{_P}+ba{_P}/b{_P}"


def fetch(
    url: str,
    dest_dir: Path,
    *,
    allow_private: bool = False,
    blocked_networks: list[str] | None = None,
    max_bytes: int = 0,
    max_duration_s: float = 0,
    stem: str = "source",
    progress: Progress = no_progress,
) -> tuple[Path, str]:
    """Download one video into dest_dir as `<stem>.<ext>`; return (path, title).

    Every connection goes to an allowed address (see address_policy), checked when it is made,
    redirects and embedded format URLs included. Playlists and live streams are refused; so is
    a video whose metadata says it is longer than max_duration_s (> 0) or larger than
    max_bytes (> 0), before anything is downloaded. progress gets the fraction of bytes
    downloaded and a message with size, speed and time left.
    """
    import yt_dlp

    check_url(url, allow_private=allow_private, blocked_networks=blocked_networks)
    policy = address_policy(allow_private=allow_private, blocked_networks=blocked_networks)
    dest_dir = Path(dest_dir)
    dest_dir.mkdir(parents=True, exist_ok=True)
    failure: list[BaseException] = []

    def hook(d: dict) -> None:
        try:
            with unguarded():  # the callback may write to a database on a private address
                _report_download(d, progress, max_bytes)
        except BaseException as exc:  # yt-dlp may wrap it: keep the original to raise later
            failure.append(exc)
            raise

    logger = _QuietLogger()
    tmp_dir = Path(tempfile.mkdtemp(dir=dest_dir, prefix=".fetch-"))
    options = {
        "outtmpl": str(tmp_dir / "media.%(ext)s"),
        "noplaylist": True,
        "quiet": True,
        "noprogress": True,
        "no_warnings": True,
        "noplaylist_warning": False,
        "progress_hooks": [hook],
        "cachedir": False,
        "socket_timeout": 30,
        "retries": 3,
        "format": FORMAT,
        "merge_output_format": "mp4/mkv",
        "overwrites": True,
        "continuedl": False,
        "logger": logger,
        # yt-dlp downloads itself, on this thread, directly: no proxy from the environment, no
        # external downloader, no fragment threads (the guard is per thread), and ffmpeg, should
        # yt-dlp still hand it a URL (HLS it cannot do natively), may open local files only.
        "proxy": "",
        "external_downloader": {"default": "native"},
        "hls_prefer_native": True,
        "concurrent_fragment_downloads": 1,
        "external_downloader_args": {"ffmpeg_i": ["-protocol_whitelist", "file,crypto,data"]},
    }
    if max_bytes:
        options["max_filesize"] = max_bytes
    try:
        with netguard.guard(policy), yt_dlp.YoutubeDL(options) as ydl:
            with unguarded():
                progress(0.0, "Looking at the link")
            info = ydl.extract_info(url, download=False, process=False)
            _refuse_playlist(info)
            _refuse_by_metadata(info, max_duration_s)
            info = ydl.process_ie_result(info, download=True)
        if failure:
            raise failure[0]
        files = [p for p in tmp_dir.iterdir() if p.is_file() and not p.name.endswith((".part", ".ytdl"))]
        if not files:
            if any("max-filesize" in message for message in logger.messages):
                raise InputError(f"The video is larger than the {human_bytes(max_bytes)} limit.")
            raise InputError("The link gave no video file to download.")
        media = max(files, key=lambda p: p.stat().st_size)
        target = dest_dir / f"{stem}{media.suffix.lower()}"
        media.replace(target)
        return target, str(info.get("title") or target.stem)
    except (yt_dlp.utils.YoutubeDLError, OSError) as exc:
        if failure:
            raise failure[0] from None
        if policy.refused:
            raise InputError(_private_message(policy.refused[0])) from None
        if isinstance(exc, OSError) and not isinstance(exc, yt_dlp.utils.YoutubeDLError):
            raise
        raise InputError(_explain(str(exc))) from None
    finally:
        shutil.rmtree(tmp_dir, ignore_errors=True)


def _refuse_by_metadata(info: dict, max_duration_s: float) -> None:
    if info.get("is_live") or info.get("live_status") in ("is_live", "is_upcoming"):
        raise InputError("This link is a live stream. Paste the link of a recorded video.")
    duration = info.get("duration")
    if max_duration_s and isinstance(duration, int | float) and duration > max_duration_s:
        raise InputError(
            f"The video lasts {format_duration(duration)}; the limit is {format_duration(max_duration_s)}. "
            "Nothing was downloaded."
        )


class _QuietLogger:
    """yt-dlp talks through this; errors reach us as exceptions, so only messages are kept."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def debug(self, msg: str) -> None:
        self.messages.append(msg)

    info = warning = error = debug


def _refuse_playlist(info: dict) -> None:
    if info.get("_type") not in ("playlist", "multi_video"):
        return
    entries = info.get("entries")
    count = info.get("playlist_count") or info.get("n_entries") or (len(entries) if isinstance(entries, list) else 0)
    title = info.get("title") or "untitled"
    size = f" of {count} videos" if count else ""
    links = []
    try:  # entries may be a lazy generator: take only the first few
        for entry in itertools.islice(entries or [], 3):
            if not isinstance(entry, dict):
                continue
            formats = entry.get("formats") or [{}]
            link = entry.get("webpage_url") or entry.get("url") or formats[0].get("url")
            if link:
                links.append(str(link))
    except Exception:  # listing is a courtesy; the refusal stands without it
        pass
    first = f" It starts with: {', '.join(links)}" if links else ""
    raise InputError(
        f"This link is a playlist{size} ({title!r}). CLIPER works on one video at a time: "
        f"paste the link of the video you want.{first}"
    )


def _report_download(d: dict, progress: Progress, max_bytes: int) -> None:
    if d.get("status") != "downloading":
        return
    done = d.get("downloaded_bytes") or 0
    total = d.get("total_bytes") or d.get("total_bytes_estimate") or 0
    if max_bytes and max(done, total if d.get("total_bytes") else 0) > max_bytes:
        raise InputError(f"The video is larger than the {human_bytes(max_bytes)} limit.")
    parts = [f"Downloading {_mb(done)}" + (f" of {_mb(total)}" if total else "")]
    if d.get("speed"):
        parts.append(f"at {_mb(d['speed'])}/s")
    if d.get("eta") is not None:
        parts.append(f"{int(d['eta'])} s left")
    progress(done / total if total else 0.0, ", ".join(parts))


def _mb(n_bytes: float) -> str:
    return f"{n_bytes / 1e6:.1f} MB"


def human_bytes(n_bytes: float) -> str:
    """'10 GB', '2.5 MB', '700 bytes' (decimal units, as file managers show)."""
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n_bytes >= size:
            return f"{n_bytes / size:.3g} {unit}"
    return f"{int(n_bytes)} bytes"


def _explain(error: str) -> str:
    error = re.sub(r"^(ERROR:\s*)?(\[[^\]]+\]\s*)?", "", error.strip())
    status = re.search(r"HTTP Error (\d{3}):?\s*([^\n(]*)", error)
    if status:
        code, reason = status.group(1), status.group(2).strip()
        return f"The server refused the link (HTTP {code} {reason}). Check that the video is public."
    if "Unsupported URL" in error or "No video formats found" in error or "no suitable" in error.lower():
        return "No video found at this link. Paste the link of a page with one video, or a direct link to a video file."
    if "Unable to download webpage" in error or "timed out" in error.lower() or "Connection refused" in error:
        return f"Could not reach the server ({error[:200]})."
    return f"Could not download the video: {error[:300]}"
