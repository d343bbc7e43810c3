"""Download a video from a URL with yt-dlp (as a library), refusing unsafe links and playlists."""

import ipaddress
import itertools
import re
import shutil
import socket
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

from .errors import InputError
from .progress import Progress, no_progress


def is_url(source: str) -> bool:
    """True when source looks like a URL (has a scheme such as http://) rather than a file path."""
    return bool(re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", source))


def check_url(url: str, *, allow_private: bool = False) -> None:
    """Raise InputError unless url is http(s) and its host resolves only to public addresses.

    allow_private lets private, loopback and link-local hosts through (tests, home servers).
    """
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in ("http", "https"):
        raise InputError("Only http:// and https:// links can be downloaded.")
    host = parts.hostname
    if not host:
        raise InputError("This link has no host name.")
    try:
        port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
    except ValueError:
        raise InputError("This link has an invalid port number.") from None
    if allow_private:
        return
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)}
    except (socket.gaierror, UnicodeError):
        raise InputError(f"Could not find the server {host!r}. Check the link.") from None
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%")[0])
        if ip.version == 6 and ip.ipv4_mapped:
            ip = ip.ipv4_mapped
        if not ip.is_global or ip.is_multicast:
            raise InputError(
                f"This link points to a private or local network address ({ip}); "
                "downloading from there is not allowed on this server."
            )


def fetch(
    url: str,
    dest_dir: Path,
    *,
    allow_private: bool = False,
    max_bytes: int = 0,
    stem: str = "source",
    progress: Progress = no_progress,
) -> tuple[Path, str]:
    """Download one video into dest_dir as `<stem>.<ext>`; return (path, title).

    Playlists are refused (one video per job). max_bytes > 0 caps the download size.
    progress gets the fraction of bytes downloaded and a message with size, speed and time left.
    """
    import yt_dlp

    check_url(url, allow_private=allow_private)
    dest_dir = Path(dest_dir)
    dest_dir.mkdir(parents=True, exist_ok=True)
    failure: list[BaseException] = []

    def hook(d: dict) -> None:
        try:
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
        # Clips are rendered at 1080 px at most: a 4K download would only cost time and disk.
        "format": "bv*[height<=?1080]+ba/b[height<=?1080]/bv*+ba/b",
        "merge_output_format": "mp4/mkv",
        "overwrites": True,
        "continuedl": False,
        "logger": logger,
    }
    if max_bytes:
        options["max_filesize"] = max_bytes
    try:
        with yt_dlp.YoutubeDL(options) as ydl:
            progress(0.0, "Looking at the link")
            info = ydl.extract_info(url, download=False, process=False)
            _refuse_playlist(info)
            for later_url in (info.get("webpage_url"), info.get("url")):
                if later_url and is_url(later_url):
                    check_url(later_url, allow_private=allow_private)  # redirects must stay public too
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
    except yt_dlp.utils.DownloadError as exc:
        if failure:
            raise failure[0] from None
        raise InputError(_explain(str(exc))) from None
    except yt_dlp.utils.YoutubeDLError as exc:
        if failure:
            raise failure[0] from None
        raise InputError(_explain(str(exc))) from None
    finally:
        shutil.rmtree(tmp_dir, ignore_errors=True)


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
