from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from clips import sample
from clips.models import Video


class Command(BaseCommand):
    help = (
        "Makes the offline sample talk (espeak-ng speech over face photographs, ~2.5 min) and adds it as "
        "a video for the worker to process, or only writes the MP4 with --out."
    )

    def add_arguments(self, parser):
        parser.add_argument("--out", type=Path, help="Only write the sample MP4 to this path (no database)")
        parser.add_argument("--owner", help="Username that owns the video (default: the first admin)")
        parser.add_argument(
            "--preset", default="short", choices=list(Video.PRESET_BOUNDS_S), help="Clip length preset (default: short)"
        )

    def handle(self, *args, out=None, owner=None, preset="short", **options):
        if out is not None:
            from pipeline.sample import make_sample_talk

            path = make_sample_talk(out, text=sample.sample_text())
            self.stdout.write(self.style.SUCCESS(f"Wrote {path}"))
            return
        User = get_user_model()
        user = (
            User.objects.filter(username=owner).first()
            if owner
            else User.objects.filter(is_superuser=True).order_by("id").first()
        )
        if user is None:
            raise CommandError(f"No user {owner!r}" if owner else "No admin yet: run manage.py ensure_admin first")
        video = sample.sample_video_create(owner=user, clip_preset=preset, queue=False)
        self.stdout.write("Making the sample talk (espeak-ng + ffmpeg, about a minute)…")
        sample.sample_video_make(video.pk)
        self.stdout.write(
            self.style.SUCCESS(
                f"Added video {video.pk} ({video.title}); a running worker (manage.py worker or serve) processes it."
            )
        )
