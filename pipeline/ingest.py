"""Ingest stage: bring the source (uploaded file or URL) into the work directory, check it with
ffprobe and extract the 16 kHz mono audio once for the later stages. Writes media.json.
"""

import os
import shutil
import wave
from collections.abc import Iterable
from pathlib import Path

from . import atomic, ffmpeg_progress, proxy, schemas
from .errors import InputError
from .fetch import check_url, fetch, human_bytes, is_url
from .probe import ffmpeg_input, format_duration, input_args, probe
from .progress import Progress, no_progress, scaled

__all__ = ["check_url", "extract_audio", "probe", "run", "save_upload"]

SAMPLE_RATE_HZ = 16000
SOURCE_STEM = "source"  # the media file inside the work directory is source.<ext>


def run(workdir: Path, options: schemas.PipelineOptions, progress: Progress) -> schemas.MediaInfo:
    """Fetch or take options.source, probe it, extract audio.wav and write media.json."""
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    _remove_leftovers(workdir)
    source = options.source.strip()
    if not source:
        raise InputError("No video given: upload a file or paste a link.")

    if is_url(source):
        media_path, title = fetch(
            source,
            workdir,
            allow_private=options.allow_private_urls,
            blocked_networks=options.blocked_networks,
            max_bytes=options.max_upload_bytes,
            max_duration_s=options.max_duration_s,
            stem=SOURCE_STEM,
            progress=scaled(progress, 0.0, 0.6),
        )
        try:
            info = probe(media_path, max_duration_s=options.max_duration_s)
        except InputError:
            media_path.unlink(missing_ok=True)  # refused: do not keep gigabytes around
            raise
    else:
        original = Path(source).expanduser()
        if not original.is_file():
            raise InputError(f"File not found: {original.name}")
        size_bytes = original.stat().st_size
        if size_bytes > options.max_upload_bytes:
            raise InputError(
                f"The file is {human_bytes(size_bytes)}; the limit is {human_bytes(options.max_upload_bytes)}."
            )
        progress(0.0, "Checking the file")
        info = probe(original, max_duration_s=options.max_duration_s)
        title = original.stem
        media_path = _bring_into(original, workdir, scaled(progress, 0.0, 0.6))

    progress(0.6, f"Extracting audio ({format_duration(info.duration)})")
    audio_path = workdir / info.audio_file
    try:
        audio_s = extract_audio(media_path, audio_path, duration_s=info.duration, progress=scaled(progress, 0.6, 0.8))
        if audio_s < info.duration - max(2.0, 0.1 * info.duration):
            audio_path.unlink(missing_ok=True)
            raise InputError(
                f"The file looks truncated: it should last {format_duration(info.duration)} but its sound stops "
                f"after {format_duration(audio_s)}. Upload the complete file again."
            )
    except InputError:
        if media_path.name.startswith(f"{SOURCE_STEM}."):  # our own link, copy or download
            media_path.unlink(missing_ok=True)
        raise

    media_file = media_path.resolve().relative_to(workdir.resolve()).as_posix()
    info = info.model_copy(update={"media_file": media_file, "title": title})
    (workdir / proxy.PROXY_FILE).unlink(missing_ok=True)  # a rerun may bring a playable file
    if proxy.needs_proxy(info):
        progress(0.8, "Making a browser copy for previews")
        proxy.write_proxy(media_path, info, workdir / proxy.PROXY_FILE, scaled(progress, 0.8, 1.0))
        info = info.model_copy(update={"proxy_file": proxy.PROXY_FILE})
    _remove_stale_sources(workdir, keep=media_path)
    progress(1.0, "Audio ready")
    return info


def extract_audio(
    media_path: Path, wav_path: Path, *, duration_s: float = 0.0, progress: Progress = no_progress
) -> float:
    """Write the first audio stream as 16 kHz mono 16-bit PCM WAV; return its length in seconds.

    The file appears whole or not at all (written under a temporary name, then renamed).
    duration_s (the expected length) only scales the progress fraction.
    """
    wav_path = Path(wav_path)
    tmp_path = atomic.temp_path(wav_path)
    cmd = [
        "ffmpeg", "-nostdin", "-v", "error", "-y", *input_args(media_path),
        "-map", "0:a:0", "-vn", "-ac", "1", "-ar", str(SAMPLE_RATE_HZ), "-c:a", "pcm_s16le",
        "-f", "wav", "-progress", "pipe:1", "-nostats", ffmpeg_input(tmp_path),
    ]  # fmt: skip
    try:
        done = ffmpeg_progress.run(
            cmd, duration_s, progress, lambda done_s: f"Extracting audio: {format_duration(done_s)}"
        )
        if done.returncode != 0:
            detail = (done.stderr.strip().splitlines() or ["unknown error"])[-1]
            raise InputError(
                f"Could not read the sound track ({detail.replace(ffmpeg_input(media_path), Path(media_path).name)})."
            )
        with wave.open(str(tmp_path), "rb") as wav:
            seconds = wav.getnframes() / wav.getframerate()
        os.replace(tmp_path, wav_path)
        return seconds
    finally:
        tmp_path.unlink(missing_ok=True)


def save_upload(chunks: Iterable[bytes], dest: Path, *, max_bytes: int) -> int:
    """Stream uploaded chunks to dest (never the whole file in memory); return the size in bytes.

    Raises InputError, leaving nothing behind, when the upload goes over max_bytes.
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp_path = atomic.temp_path(dest)
    written = 0
    try:
        with open(tmp_path, "wb") as f:
            for chunk in chunks:
                written += len(chunk)
                if written > max_bytes:
                    raise InputError(f"The file is larger than the {human_bytes(max_bytes)} limit.")
                f.write(chunk)
        os.replace(tmp_path, dest)
        return written
    finally:
        tmp_path.unlink(missing_ok=True)


def _bring_into(original: Path, workdir: Path, progress: Progress) -> Path:
    """The media inside workdir: used in place if already there, else hard-linked or copied."""
    resolved = original.resolve()
    if resolved.is_relative_to(workdir.resolve()):
        return resolved
    # A plain ASCII name: later stages pass it to ffmpeg filters and it never needs quoting.
    suffix = "".join(ch for ch in original.suffix.lower() if ch.isascii() and (ch.isalnum() or ch == "."))[:8]
    target = workdir.resolve() / f"{SOURCE_STEM}{suffix or '.media'}"
    tmp_path = atomic.temp_path(target)
    tmp_path.unlink()  # os.link needs a free name
    try:
        try:
            os.link(resolved, tmp_path)
        except OSError:
            _copy_with_progress(resolved, tmp_path, progress)
        os.replace(tmp_path, target)
    finally:
        tmp_path.unlink(missing_ok=True)
    return target


def _copy_with_progress(src: Path, dest: Path, progress: Progress, block_bytes: int = 16 * 1024**2) -> None:
    total = max(src.stat().st_size, 1)
    done = 0
    with open(src, "rb") as fin, open(dest, "wb") as fout:
        while block := fin.read(block_bytes):
            fout.write(block)
            done += len(block)
            progress(done / total, f"Copying {human_bytes(done)} of {human_bytes(total)}")


def _remove_leftovers(workdir: Path) -> None:
    # Temporary files of an earlier run that was killed before it could clean up.
    for pattern in (
        ".fetch-*",
        f".{SOURCE_STEM}.*.part",
        f".{SOURCE_STEM}.*.part.*",
        ".audio.*.wav",
        ".proxy.part.mp4",
        ".proxy.*.part.mp4",
    ):
        for old in workdir.glob(pattern):
            shutil.rmtree(old) if old.is_dir() else old.unlink()


def _remove_stale_sources(workdir: Path, keep: Path) -> None:
    # A rerun may bring a different extension (source.webm after source.mp4).
    for old in workdir.glob(f"{SOURCE_STEM}.*"):
        if old.resolve() != keep.resolve() and old.is_file():
            old.unlink()
