"""Short generated talks for the end-to-end tests (espeak-ng speech over a face photograph)."""

from pathlib import Path

from django.core.files import File

from clips import services
from clips.models import Video
from pipeline.sample import make_sample_talk

SHORT_TALK = (
    "Good morning everyone. Today I want to explain why coffee tastes different in every city. "
    "The water matters more than the beans. Hard water pulls out bitter flavours, soft water makes it flat. "
    "So if your coffee tastes wrong on a trip, blame the tap, not the barista. "
    "Now let us change the subject completely and talk about saving money. "
    "Write down every expense for one month. Most people find three subscriptions they forgot about. "
    "Cancel them, and move that money into savings on the day you get paid. "
    "That simple habit beats any clever budgeting app."
)


def short_talk(directory: Path, name: str = "talk.mp4") -> Path:
    return make_sample_talk(Path(directory) / name, width=640, height=360, text=SHORT_TALK)


def upload_video(owner, media_path: Path, **fields) -> Video:
    """A video created the way the upload form does it, with fast options for tests."""
    fields = {"whisper_model": "tiny.en", "clip_preset": "custom", "min_clip_s": 8, "max_clip_s": 30, **fields}
    with open(media_path, "rb") as f:
        return services.video_create(
            owner=owner, source=Video.Source.UPLOAD, upload=File(f, name=media_path.name), **fields
        )
