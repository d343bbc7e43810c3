from pathlib import Path

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from pipeline.schemas import CLIP_PRESETS_S
from pipeline.stages import STAGE_NAMES
from pipeline.word_range import middle_s

from . import choices


class Video(models.Model):
    class Source(models.TextChoices):
        UPLOAD = "upload", "Upload"
        URL = "url", "URL"

    class Status(models.TextChoices):
        NEW = "new", "New"
        PROCESSING = "processing", "Processing"
        READY = "ready", "Ready for review"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    CUSTOM_PRESET = "custom"  # min_clip_s / max_clip_s given by hand
    PRESET_BOUNDS_S = CLIP_PRESETS_S

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="videos")
    title = models.CharField(max_length=300, blank=True)
    source = models.CharField(max_length=10, choices=Source.choices)
    source_url = models.URLField(max_length=2000, blank=True)
    original = models.FileField(upload_to="uploads/%Y/%m/", max_length=500, blank=True)
    duration_s = models.FloatField(null=True, blank=True)
    language = models.CharField(max_length=10, blank=True, choices=choices.LANGUAGES, help_text="Blank = detect")
    detected_language = models.CharField(max_length=10, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.NEW, db_index=True)
    # Options chosen on the new-video form.
    whisper_model = models.CharField(max_length=20, blank=True, help_text="Blank = the site default")
    clip_preset = models.CharField(max_length=10, choices=choices.CLIP_PRESETS, default="medium")
    min_clip_s = models.FloatField(default=30)
    max_clip_s = models.FloatField(default=90)
    aspect = models.CharField(max_length=5, default="9:16", choices=choices.ASPECTS)
    strategy = models.CharField(max_length=20, default="keep_in_frame", choices=choices.STRATEGIES)
    subtitle_style = models.CharField(max_length=10, default="clean", choices=choices.SUBTITLE_STYLES)
    copy_provider = models.CharField(
        max_length=10, blank=True, choices=choices.PROVIDERS, help_text="Blank = the site default"
    )
    llm_tokens_in = models.PositiveIntegerField(default=0)
    llm_tokens_out = models.PositiveIntegerField(default=0)
    llm_cost_usd = models.DecimalField(max_digits=10, decimal_places=5, default=0)
    created = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self):
        return self.title or f"Video {self.pk}"

    def get_absolute_url(self):
        return reverse("video_detail", args=[self.pk])

    @property
    def workdir(self) -> Path:
        """Where the pipeline keeps this video's files (media.json, transcript.json, renders...)."""
        return Path(settings.MEDIA_ROOT) / "videos" / str(self.pk)

    def stage_runs_in_order(self):
        runs = {run.stage: run for run in self.stage_runs.all()}
        return [runs[name] for name in STAGE_NAMES if name in runs]


class StageRun(models.Model):
    """One pipeline stage of one video: the single source of truth for progress and resume."""

    class State(models.TextChoices):
        PENDING = "pending", "Waiting"
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    ACTIVE_STATES = (State.QUEUED, State.RUNNING)

    video = models.ForeignKey(Video, on_delete=models.CASCADE, related_name="stage_runs")
    stage = models.CharField(max_length=20, choices=[(name, name) for name in STAGE_NAMES])
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING, db_index=True)
    progress = models.FloatField(default=0)
    message = models.TextField(blank=True)
    attempt = models.PositiveIntegerField(default=0)
    worker = models.CharField(max_length=200, blank=True, help_text="host:pid running it")
    queued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["video", "stage"], name="one_run_per_stage")]
        ordering = ["video", "id"]

    def __str__(self):
        return f"{self.video} · {self.stage} · {self.state}"

    @property
    def is_active(self):
        return self.state in self.ACTIVE_STATES

    @property
    def elapsed_s(self):
        if not self.started_at:
            return None
        return ((self.finished_at or timezone.now()) - self.started_at).total_seconds()

    @property
    def eta_s(self):
        """Seconds left, extrapolated from progress so far; None until there is something to go on."""
        if self.state != self.State.RUNNING or not self.elapsed_s or self.progress < 0.02:
            return None
        return self.elapsed_s * (1 - self.progress) / self.progress


class Transcript(models.Model):
    video = models.OneToOneField(Video, on_delete=models.CASCADE, related_name="transcript")
    language = models.CharField(max_length=10)
    model_name = models.CharField(max_length=100, blank=True)
    duration_s = models.FloatField(default=0)
    words = models.JSONField(default=list, help_text='[{"text", "start", "end"}], seconds')
    topics = models.JSONField(default=list, help_text='Chapters: [{"start", "end", "title"}]')
    message = models.TextField(blank=True)

    def __str__(self):
        return f"Transcript of {self.video}"

    @property
    def text(self):
        return " ".join(word["text"] for word in self.words)

    def chapters(self) -> list[dict]:
        """The text split by topic: [{"start", "end", "title", "text"}], one chapter when there are
        no topics. Every word lands in exactly one chapter (pipeline.word_range: by its middle);
        words before the first topic or after the last go to the nearest chapter. Linear: words
        and topics are both in time order, so one pass over the words does it."""
        words = self.words
        if not words:
            return []
        topics = self.topics or [{"start": words[0]["start"], "end": words[-1]["end"], "title": ""}]
        chapters, next_word = [], 0
        for number, topic in enumerate(topics, 1):
            last = number == len(topics)
            first_word = next_word
            while next_word < len(words) and (last or middle_s(words[next_word]) < topic["end"]):
                next_word += 1
            inside = [word["text"] for word in words[first_word:next_word]]
            title = topic.get("title") or (" ".join(inside[:6]) + ("…" if len(inside) > 6 else ""))
            chapters.append({"start": topic["start"], "end": topic["end"], "title": title, "text": " ".join(inside)})
        return chapters


class Clip(models.Model):
    class Status(models.TextChoices):
        PROPOSED = "proposed", "Proposed"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    class FinalState(models.TextChoices):
        NONE = "", "Not rendered"
        QUEUED = "queued", "Queued"
        RENDERING = "rendering", "Rendering"
        DONE = "done", "Ready"
        FAILED = "failed", "Failed"

    video = models.ForeignKey(Video, on_delete=models.CASCADE, related_name="clips")
    index = models.PositiveIntegerField(help_text="Position in clips.json")
    start_s = models.FloatField()
    end_s = models.FloatField()
    text = models.TextField()
    score = models.FloatField(default=0)
    reason = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PROPOSED, db_index=True)
    # Files are paths relative to MEDIA_ROOT, served only through the permission-checking view.
    preview = models.CharField(max_length=500, blank=True)
    poster = models.CharField(max_length=500, blank=True)
    subtitles_vtt = models.CharField(max_length=500, blank=True)
    subtitles_srt = models.CharField(max_length=500, blank=True)
    final = models.CharField(max_length=500, blank=True)
    final_state = models.CharField(max_length=10, choices=FinalState.choices, default="", blank=True)
    final_progress = models.FloatField(default=0)
    render_warning = models.TextField(blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["video", "index"]
        constraints = [models.UniqueConstraint(fields=["video", "index"], name="one_clip_per_index")]
        permissions = [
            ("approve_clip", "Can approve or reject clips"),
            ("download_clip", "Can download clips"),
        ]

    def __str__(self):
        return f"{self.video} · clip {self.index + 1}"

    @property
    def duration_s(self):
        return self.end_s - self.start_s


class Copy(models.Model):
    class Style(models.TextChoices):
        VIRAL = "viral", "Viral"
        EDUCATIONAL = "educational", "Educational"
        STORYTELLING = "storytelling", "Storytelling"

    clip = models.OneToOneField(Clip, on_delete=models.CASCADE, related_name="copy")
    style = models.CharField(max_length=15, choices=Style.choices, blank=True)
    style_confidence = models.FloatField(default=0)
    text = models.TextField(blank=True)
    hashtags = models.JSONField(default=list)
    hook = models.TextField(blank=True)
    topics = models.JSONField(default=list)
    engagement_score = models.FloatField(null=True, blank=True)
    viral_potential = models.FloatField(null=True, blank=True)
    provider = models.CharField(max_length=20, blank=True)
    model_name = models.CharField(max_length=100, blank=True)
    is_local_draft = models.BooleanField(default=False)
    failure_reason = models.TextField(blank=True, help_text="Why generation failed for this clip, if it did")
    version = models.PositiveIntegerField(default=1, help_text="Optimistic lock: bumped on every save")
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    edited_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "copies"

    def __str__(self):
        return f"Copy for {self.clip}"

    @property
    def failed(self):
        return bool(self.failure_reason) and not self.text


class CopyEdit(models.Model):
    """Edit history of a copy: who changed what, when."""

    copy = models.ForeignKey(Copy, on_delete=models.CASCADE, related_name="edits")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(help_text="Version the edit produced")
    before_text = models.TextField(blank=True)
    after_text = models.TextField(blank=True)
    before_hashtags = models.JSONField(default=list)
    after_hashtags = models.JSONField(default=list)

    class Meta:
        ordering = ["-at"]
