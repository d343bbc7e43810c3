"""Shared helpers for the UI tests: a processed video written straight into the database."""

from django.utils import timezone

from clips.models import Clip, Copy, StageRun, Transcript, Video
from pipeline.sample import Shot
from pipeline.schemas import ClipProposal, ClipsResult, MediaInfo
from pipeline.schemas import Transcript as TranscriptFile
from pipeline.stages import STAGE_NAMES, write_model

from .media_support import FPS, HEIGHT, WIDTH, face_video, head

WORDS = "Coffee beans are roasted seeds. Astronauts orbit the Earth every ninety minutes. A budget starts with income."


def make_words(text: str = WORDS, start_s: float = 0.0, word_s: float = 0.5) -> list[dict]:
    """Evenly spaced words: word i spans [start + i*word_s, start + i*word_s + 0.4] seconds."""
    return [
        {"text": word, "start": round(start_s + i * word_s, 3), "end": round(start_s + i * word_s + 0.4, 3)}
        for i, word in enumerate(text.split())
    ]


def make_processed_video(owner, media_root, *, clips: int = 3, files: bool = True, title: str = "Talk") -> Video:
    """A 'ready' video with all stages done, a transcript with two topics, clips with copy, and
    (files=True) small preview/SRT/VTT files under media_root as the render stage would leave."""
    video = Video.objects.create(
        owner=owner,
        title=title,
        source=Video.Source.URL,
        source_url="http://127.0.0.1:9/talk.mp4",
        duration_s=60.0,
        status=Video.Status.READY,
        detected_language="en",
    )
    now = timezone.now()
    for i, stage in enumerate(STAGE_NAMES):
        StageRun.objects.create(
            video=video,
            stage=stage,
            state=StageRun.State.DONE,
            progress=1.0,
            message="Done",
            attempt=1,
            started_at=now - timezone.timedelta(seconds=60 - i * 10),
            finished_at=now - timezone.timedelta(seconds=55 - i * 10),
        )
    words = make_words()
    Transcript.objects.create(
        video=video,
        language="en",
        model_name="base",
        duration_s=60.0,
        words=words,
        topics=[{"start": 0.0, "end": 2.5, "title": "Coffee"}, {"start": 2.5, "end": 60.0, "title": "Space and money"}],
    )
    workdir = video.workdir
    (workdir / "renders").mkdir(parents=True, exist_ok=True)
    for index in range(clips):
        start_s, end_s = index * 2.5, index * 2.5 + 4.9
        rel = f"videos/{video.pk}/renders/clip_{index}_preview"
        clip = Clip.objects.create(
            video=video,
            index=index,
            start_s=start_s,
            end_s=end_s,
            text=" ".join(w["text"] for w in words if start_s <= w["start"] < end_s),
            score=0.9 - index * 0.2,
            reason=f"Topic {index + 1} stands alone",
        )
        if files:
            (media_root / f"{rel}.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes([index]) * 64)
            (media_root / f"{rel}.srt").write_text(f"1\n00:00:00,000 --> 00:00:02,000\nClip {index + 1}\n")
            (media_root / f"{rel}.vtt").write_text(f"WEBVTT\n\n00:00.000 --> 00:02.000\nClip {index + 1}\n")
            clip.preview, clip.subtitles_srt, clip.subtitles_vtt = f"{rel}.mp4", f"{rel}.srt", f"{rel}.vtt"
            clip.save()
        Copy.objects.create(
            clip=clip,
            style=["viral", "educational", "storytelling"][index % 3],
            text=f"Caption for clip {index + 1}",
            hashtags=["#talk", f"#clip{index + 1}"],
            engagement_score=7,
            viral_potential=6,
            provider="local",
            is_local_draft=True,
        )
    return video


SOURCE_S = 10.0


def real_video(owner, media_root, clips: int = 3) -> Video:
    """A processed video whose work directory holds a real face video with speech, its
    transcript and clips, so previews frames and finals render for real."""
    video = make_processed_video(owner, media_root, clips=clips, files=False, title="Real talk")
    workdir = video.workdir
    workdir.mkdir(parents=True, exist_ok=True)
    shots = [Shot(SOURCE_S / 2, "0x2f5d50", (head(60, 300),)), Shot(SOURCE_S / 2, "0x3b3f7a", (head(380),))]
    face_video(workdir / "source.mp4", shots, speech=WORDS)
    write_model(
        workdir / "media.json",
        MediaInfo(media_file="source.mp4", duration=SOURCE_S, width=WIDTH, height=HEIGHT, fps=FPS),
    )
    write_model(
        workdir / "transcript.json", TranscriptFile(language="en", duration=SOURCE_S, words=video.transcript.words)
    )
    proposals = [ClipProposal(start=c.start_s, end=c.end_s, text=c.text, score=c.score) for c in video.clips.all()]
    write_model(workdir / "clips.json", ClipsResult(topics=[], clips=proposals))
    return video
