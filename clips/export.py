"""The download of a video's approved clips as one zip (videos, captions, subtitles, manifests)."""

import csv
import io
import json
import re
import tempfile
import zipfile
from pathlib import Path

from django.conf import settings

from pipeline import caption_rules

from .models import Clip, Video

MANIFEST_FIELDS = [
    "clip",
    "file",
    "kind",
    "start_s",
    "end_s",
    "duration_s",
    "score",
    "style",
    "caption_file",
    "srt_file",
    "hashtags",
    "reviewed_by",
    "reviewed_at",
    "reason",
]


def approved_zip(*, video: Video) -> tuple[io.IOBase, str]:
    """A zip of the video's approved clips: each clip's video (the final render when there is
    one, else the preview), its caption as .txt, its subtitles as .srt, and manifest.csv +
    manifest.json. Returns (an open binary file positioned at 0, a download file name)."""
    media_root = Path(settings.MEDIA_ROOT)
    clips = video.clips.filter(status=Clip.Status.APPROVED).select_related("copy", "reviewed_by")
    # Spooled: small zips stay in memory, big ones go to a temporary file, never whole in RAM.
    out = tempfile.SpooledTemporaryFile(max_size=32 * 1024**2)
    rows = []
    with zipfile.ZipFile(out, "w") as archive:
        for clip in clips:
            stem = f"clip_{clip.index + 1:02d}"
            video_rel, kind = (clip.final, "final") if clip.final else (clip.preview, "preview")
            row = {
                "clip": clip.index + 1,
                "file": "",
                "kind": kind,
                "start_s": round(clip.start_s, 3),
                "end_s": round(clip.end_s, 3),
                "duration_s": round(clip.duration_s, 3),
                "score": round(clip.score, 3),
                "style": "",
                "caption_file": "",
                "srt_file": "",
                "hashtags": "",
                "reviewed_by": clip.reviewed_by.username if clip.reviewed_by else "",
                "reviewed_at": clip.reviewed_at.isoformat() if clip.reviewed_at else "",
                "reason": clip.reason,
            }
            if video_rel and (media_root / video_rel).is_file():
                row["file"] = f"{stem}.mp4"
                # MP4 is already compressed: store it, deflate only the text files.
                archive.write(media_root / video_rel, row["file"], compress_type=zipfile.ZIP_STORED)
            copy = getattr(clip, "copy", None) if hasattr(clip, "copy") else None
            if copy is not None and copy.text:
                row["style"], row["hashtags"] = copy.style, " ".join(copy.hashtags)
                row["caption_file"] = f"{stem}.txt"
                archive.writestr(
                    row["caption_file"], caption_rules.caption(copy.text, copy.hashtags) + "\n", zipfile.ZIP_DEFLATED
                )
            if clip.subtitles_srt and (media_root / clip.subtitles_srt).is_file():
                row["srt_file"] = f"{stem}.srt"
                archive.write(media_root / clip.subtitles_srt, row["srt_file"], compress_type=zipfile.ZIP_DEFLATED)
            rows.append(row)
        csv_text = io.StringIO()
        writer = csv.DictWriter(csv_text, fieldnames=MANIFEST_FIELDS)
        writer.writeheader()
        writer.writerows(rows)
        archive.writestr("manifest.csv", csv_text.getvalue(), zipfile.ZIP_DEFLATED)
        manifest = {"video": {"id": video.pk, "title": str(video), "duration_s": video.duration_s}, "clips": rows}
        archive.writestr("manifest.json", json.dumps(manifest, indent=1), zipfile.ZIP_DEFLATED)
    out.seek(0)
    slug = re.sub(r"[^\w-]+", "-", str(video)).strip("-")[:60] or f"video-{video.pk}"
    return out, f"{slug}-approved.zip"
