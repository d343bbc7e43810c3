"""The approved zip: the final renders of a video's approved clips (never previews), each with
its caption (.txt) and subtitles (.srt), plus manifest.csv and manifest.json.

The zip is streamed as it is read (zipstream-ng): nothing is built in memory or on disk per
request, every entry is stored (MP4 is already compressed), so its size is known up front and
the browser shows real download progress.
"""

import csv
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from zipstream import ZIP_STORED, ZipStream

from pipeline import caption_rules

from .models import Clip, Copy, Video

MANIFEST_FIELDS = [
    "clip",
    "file",
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


@dataclass
class ApprovedFinals:
    """The approved clips of a video, split by whether their final render is ready."""

    ready: list[Clip]
    missing: list[Clip]  # approved, final not rendered (or being rendered, or failed)

    @property
    def count(self) -> int:
        return len(self.ready) + len(self.missing)

    @property
    def rendering(self) -> list[Clip]:
        return [c for c in self.missing if c.final_state in (Clip.FinalState.QUEUED, Clip.FinalState.RENDERING)]

    @property
    def missing_numbers(self) -> str:
        """'2, 5 and 7': the clip numbers people see on the cards."""
        numbers = [str(c.index + 1) for c in self.missing]
        return numbers[0] if len(numbers) == 1 else f"{', '.join(numbers[:-1])} and {numbers[-1]}"


def final_path(clip: Clip) -> Path | None:
    """The final MP4 on disk, when the clip has a ready one."""
    if clip.final_state != Clip.FinalState.DONE or not clip.final:
        return None
    path = Path(settings.MEDIA_ROOT) / clip.final
    return path if path.is_file() else None


def approved_finals(video: Video) -> ApprovedFinals:
    approved = video.clips.filter(status=Clip.Status.APPROVED).select_related("reviewed_by").prefetch_related("jobs")
    clips = list(approved.order_by("index"))
    ready = [c for c in clips if final_path(c) is not None]
    return ApprovedFinals(ready=ready, missing=[c for c in clips if final_path(c) is None])


def approved_context(video: Video) -> dict:
    """What the approved bar (counter, missing finals, download link) shows."""
    return {"video": video, "finals": approved_finals(video), "total": video.clips.count()}


def approved_zip(*, video: Video, clips: list[Clip]) -> tuple[ZipStream, str]:
    """A streamed zip of `clips` (approved, with ready finals). Iterate the stream for the bytes;
    len() of it is the zip's exact size. Returns (stream, download file name)."""
    archive = ZipStream(compress_type=ZIP_STORED, sized=True)
    copies = {c.clip_id: c for c in Copy.objects.filter(clip__in=clips)}
    rows = []
    for clip in clips:
        stem = f"clip_{clip.index + 1:02d}"
        video_path = final_path(clip)
        archive.add_path(str(video_path), f"{stem}.mp4")
        row = {
            "clip": clip.index + 1,
            "file": f"{stem}.mp4",
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
        copy = copies.get(clip.pk)
        if copy is not None and copy.text:
            row["style"], row["hashtags"] = copy.style, " ".join(copy.hashtags)
            row["caption_file"] = f"{stem}.txt"
            archive.add((caption_rules.caption(copy.text, copy.hashtags) + "\n").encode(), row["caption_file"])
        # The final's own subtitles: trimming may have moved them from the preview's.
        srt_path = video_path.with_suffix(".srt")
        if srt_path.is_file():
            row["srt_file"] = f"{stem}.srt"
            archive.add_path(str(srt_path), row["srt_file"])
        rows.append(row)
    csv_text = io.StringIO()
    writer = csv.DictWriter(csv_text, fieldnames=MANIFEST_FIELDS)
    writer.writeheader()
    writer.writerows(rows)
    archive.add(csv_text.getvalue().encode(), "manifest.csv")
    manifest = {"video": {"id": video.pk, "title": str(video), "duration_s": video.duration_s}, "clips": rows}
    archive.add(json.dumps(manifest, indent=1).encode(), "manifest.json")
    slug = re.sub(r"[^\w-]+", "-", str(video)).strip("-")[:60] or f"video-{video.pk}"
    return archive, f"{slug}-approved.zip"
