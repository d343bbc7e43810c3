"""Non-trivial reads for the pages: list annotations, clip filters, dashboard figures."""

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Max, Prefetch, Q
from django.utils import timezone

from pipeline.stages import STAGES

from .models import Clip, ClipJob, Copy, CopyEdit, StageRun, Video

CLIP_SORTS = {
    "position": ("index",),
    "score": ("-score", "index"),
    "start": ("start_s",),
    "duration": ("duration", "index"),
}


def videos_for_list():
    """Videos with clip counts (all / approved / waiting for review) and the owner, newest first."""
    return (
        Video.objects.select_related("owner")
        .annotate(
            clip_count=Count("clips"),
            approved_count=Count("clips", filter=Q(clips__status=Clip.Status.APPROVED)),
            proposed_count=Count("clips", filter=Q(clips__status=Clip.Status.PROPOSED)),
        )
        .order_by("-created", "-pk")
    )  # explicit: GROUP BY drops the model's default ordering


def clips_for_review(
    video: Video, *, status: str = "", style: str = "", min_score: float | None = None, sort: str = "position"
):
    """A video's clips with their copy, filtered by status, copy style and minimum score (0..1)."""
    from django.db.models import FloatField

    edits = Prefetch("copy__edits", queryset=CopyEdit.objects.select_related("user"))
    clips = (
        video.clips.select_related("video", "copy", "reviewed_by")
        .prefetch_related(edits, "jobs")
        .annotate(duration=ExpressionWrapper(F("end_s") - F("start_s"), output_field=FloatField()))
    )
    if status:
        clips = clips.filter(status=status)
    if style:
        clips = clips.filter(copy__style=style)
    if min_score is not None:
        clips = clips.filter(score__gte=min_score)
    return clips.order_by(*CLIP_SORTS.get(sort, CLIP_SORTS["position"]))


def copy_of(clip: Clip) -> Copy | None:
    """The clip's copy, or None when it has none yet (uses what select_related fetched)."""
    try:
        return clip.copy
    except Copy.DoesNotExist:
        return None


def copy_history(copy: Copy | None, limit: int = 20) -> list:
    """Newest edits first; uses prefetched edits when the copy came with them."""
    if copy is None or copy.pk is None:
        return []
    if "edits" in getattr(copy, "_prefetched_objects_cache", {}):
        return list(copy.edits.all())[:limit]
    return list(copy.edits.select_related("user")[:limit])


def media_file_of(video: Video) -> str:
    """The playable source video, relative to MEDIA_ROOT ('' before ingest made one)."""
    from pipeline.stages import get_stage

    try:
        media = get_stage("ingest").load_output(video.workdir)
    except ValueError:
        media = None
    if media is not None and (video.workdir / media.media_file).is_file():
        return str((video.workdir / media.media_file).relative_to(Path(settings.MEDIA_ROOT)))
    return ""  # never the upload itself: /media/ serves only what ingest checked


@dataclass
class StageTiming:
    stage: str
    label: str
    runs: int
    mean_s: float | None
    max_s: float | None


def dashboard_figures() -> dict:
    """What the admin dashboard shows: queue, running and failed work, stage times, approvals, disk."""
    from django_q.brokers import get_broker
    from django_q.models import Failure

    try:
        queue_depth = get_broker().queue_size()
    except Exception:  # a broker that is down must not take the dashboard with it
        queue_depth = None
    running = StageRun.objects.filter(state=StageRun.State.RUNNING).select_related("video")
    queued = StageRun.objects.filter(state=StageRun.State.QUEUED).count()
    failed = StageRun.objects.filter(state=StageRun.State.FAILED).select_related("video").order_by("-finished_at")[:20]
    finals = ClipJob.objects.filter(kind=ClipJob.Kind.FINAL, state__in=ClipJob.ACTIVE_STATES).count()
    took = ExpressionWrapper(F("finished_at") - F("started_at"), output_field=DurationField())
    per_stage = {
        row["stage"]: row
        for row in StageRun.objects.filter(
            state=StageRun.State.DONE, started_at__isnull=False, finished_at__isnull=False
        )
        .values("stage")
        .annotate(runs=Count("id"), mean=Avg(took), longest=Max(took))
    }
    timings = []
    for stage in STAGES:
        row = per_stage.get(stage.name, {"runs": 0, "mean": None, "longest": None})
        timings.append(
            StageTiming(stage.name, stage.label, row["runs"], _seconds(row["mean"]), _seconds(row["longest"]))
        )
    approvals = videos_for_list().filter(clip_count__gt=0)[:50]
    return {
        "queue_depth": queue_depth,
        "queued_stages": queued,
        "running": list(running),
        "final_renders": finals,
        "failed": list(failed),
        "task_failures": Failure.objects.count(),
        "timings": timings,
        "approvals": approvals,
        "disk": disk_usage(),
        "now": timezone.now(),
    }


def _seconds(duration) -> float | None:
    return duration.total_seconds() if duration is not None else None


def clip_counts(video: Video) -> dict[str, int]:
    """How many of a video's clips are in each review status, and "total", in one query."""
    counts = video.clips.aggregate(
        total=Count("id"), **{status: Count("id", filter=Q(status=status)) for status in Clip.Status.values}
    )
    return counts


@dataclass
class DiskUsage:
    media_bytes: int
    free_bytes: int
    total_bytes: int

    @property
    def used_fraction(self) -> float:
        return 1 - self.free_bytes / self.total_bytes if self.total_bytes else 0.0


def disk_usage() -> DiskUsage:
    """Bytes under MEDIA_ROOT and the free/total space of the disk that holds it."""
    root = Path(settings.MEDIA_ROOT)
    media_bytes = 0
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            try:
                media_bytes += os.lstat(os.path.join(dirpath, name)).st_size
            except OSError:
                pass
    usage = shutil.disk_usage(root if root.exists() else settings.DATA_DIR)
    return DiskUsage(media_bytes, usage.free, usage.total)
