"""The offline sample video: a talk made with espeak-ng over face photos, then the whole pipeline."""

import os
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django_q.tasks import async_task

from . import services
from .models import Video

SAMPLE_TITLE = "Sample talk: coffee, space, budgets and tides"


def sample_text() -> str | None:
    """The sample's script: CLIPER_SAMPLE_TEXT (text, or a path to a .txt file) or the built-in."""
    value = os.getenv("CLIPER_SAMPLE_TEXT", "").strip()
    if value.endswith(".txt") and Path(value).is_file():
        return Path(value).read_text()
    return value or None


@transaction.atomic
def sample_video_create(*, owner, clip_preset: str = "short", queue: bool = True) -> Video:
    """A video row for the offline sample; with queue=True the worker makes the file then starts
    the pipeline (otherwise call sample_video_make yourself)."""
    video = services.video_create(
        owner=owner,
        source=Video.Source.UPLOAD,
        start=False,
        title=SAMPLE_TITLE,
        language="en",
        clip_preset=clip_preset,
        copy_provider="local",
        whisper_model=settings.CLIPER["WHISPER_MODEL"],
    )
    if queue:
        transaction.on_commit(lambda: async_task("clips.tasks.make_sample", video.pk, task_name=f"sample{video.pk}"))
    return video


def sample_video_make(video_id: int) -> None:
    """Worker task: writes the sample talk (espeak-ng over face photos, ~30 s) and starts the pipeline."""
    from pipeline.sample import make_sample_talk

    video = Video.objects.get(pk=video_id)
    if video.status == Video.Status.CANCELLED:
        return
    try:
        with tempfile.TemporaryDirectory(prefix="cliper-sample-") as tmp:
            path = make_sample_talk(Path(tmp) / "sample-talk.mp4", text=sample_text())
            with path.open("rb") as f:
                video.original.save("sample-talk.mp4", File(f), save=True)
    except Exception:
        Video.objects.filter(pk=video.pk).update(status=Video.Status.FAILED)
        raise
    services.video_start(video=video)
