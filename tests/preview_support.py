"""A video ready for its render stage, as the earlier stages leave it (for the browser preview tests):
the source in its work directory, media.json, one clip in clips.json and the transcript, in files
and in the database."""

import shutil

from clips.models import StageRun, Transcript, Video
from pipeline.schemas import ClipProposal, ClipsResult, MediaInfo, Word
from pipeline.schemas import Transcript as TranscriptFile
from pipeline.stages import STAGE_NAMES, write_model

from .media_support import FPS, HEIGHT, WIDTH


def serve_media_through_the_app(monkeypatch) -> None:
    """The live server answers /media/ itself, without byte ranges (so no seeking): send those
    requests to the app's permission-checking media view, as in production."""
    from django.test.testcases import _MediaFilesHandler

    monkeypatch.setattr(_MediaFilesHandler, "_should_handle", lambda self, path: False)


def video_before_render(owner, source, *, words: list[dict], clip_s: tuple[float, float], duration_s: float, **fields):
    """The Video (every stage marked done) with `source` and the earlier stages' files."""
    video = Video.objects.create(
        owner=owner, title="Preview", source=Video.Source.URL, source_url="http://127.0.0.1:9/x.mp4",
        duration_s=duration_s, status=Video.Status.READY, detected_language="en", **fields,
    )  # fmt: skip
    for stage in STAGE_NAMES:
        StageRun.objects.create(video=video, stage=stage, state=StageRun.State.DONE, progress=1.0, attempt=1)
    workdir = video.workdir
    workdir.mkdir(parents=True)
    shutil.copy(source, workdir / "source.mp4")
    media = MediaInfo(media_file="source.mp4", duration=duration_s, width=WIDTH, height=HEIGHT, fps=FPS)
    write_model(workdir / "media.json", media)
    clip = ClipProposal(start=clip_s[0], end=clip_s[1], text="x", score=0.8)
    write_model(workdir / "clips.json", ClipsResult(topics=[], clips=[clip]))
    Transcript.objects.create(video=video, language="en", duration_s=duration_s, words=words)
    transcript = TranscriptFile(language="en", duration=duration_s, words=[Word(**w) for w in words])
    write_model(workdir / "transcript.json", transcript)
    return video
