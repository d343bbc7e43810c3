from datetime import timedelta
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
    copy_model = models.CharField(
        max_length=200, blank=True, help_text="Model on the local model server; blank = CLIPER_OPENAI_MODEL"
    )
    # Finishing: the caption look (a pipeline.schemas.CaptionStyle as JSON; {} = the built-in look
    # named by subtitle_style), copied from a brand preset when the video was added, then editable.
    caption_style = models.JSONField(default=dict, blank=True)
    caption_preset = models.ForeignKey(
        "CaptionPreset", on_delete=models.SET_NULL, null=True, blank=True, related_name="videos"
    )
    trim_silence = models.BooleanField(default=False, help_text="Cut long pauses in the finals")
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


class Job(models.Model):
    """What every piece of queued work shares (a stage, a part of a stage, a clip's final render,
    re-rendered preview or fresh copy). The state only changes through the conditional updates
    below, so of two racing requests or two copies of one task exactly one wins. The attempt
    number travels with the queued task: a stale copy (redelivered by the broker, or a task whose
    work was requeued meanwhile) finds a newer attempt and does nothing. A running task holds a
    lease that its worker renews every few seconds (clips/leases.py); when the lease runs out the
    worker is taken for dead, on whatever machine it ran, and any worker requeues the work, at
    most MAX_TRIES times in a row before it is marked failed."""

    class State(models.TextChoices):
        PENDING = "pending", "Waiting"
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    ACTIVE_STATES = (State.QUEUED, State.RUNNING)
    MAX_TRIES = 3  # automatic requeues after a dead worker, before giving up

    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING, db_index=True)
    progress = models.FloatField(default=0)
    message = models.TextField(blank=True)
    attempt = models.PositiveIntegerField(default=0)
    tries = models.PositiveIntegerField(default=0, help_text="Automatic requeues since it was last asked for")
    worker = models.CharField(max_length=200, blank=True, help_text="host:pid running it, for people to read")
    lease_until = models.DateTimeField(null=True, blank=True, help_text="The running worker renews this")
    queued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True

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

    # --- transitions: each one a single conditional UPDATE; True when this caller won --------

    def _move(self, *, at_attempt=None, states, where=None, **changes) -> bool:
        rows = type(self).objects.filter(pk=self.pk, state__in=states, **(where or {}))
        if at_attempt is not None:
            rows = rows.filter(attempt=at_attempt)
        changes.setdefault("updated_at", timezone.now())
        if not rows.update(**changes):
            return False
        self.refresh_from_db()
        return True

    def queue(self, *, from_states=None, automatic=False, where=None, **changes) -> bool:
        """To QUEUED with a new attempt number, from any state but an active one (or from_states)."""
        from_states = from_states or [s for s in self.State.values if s not in self.ACTIVE_STATES]
        return self._move(
            states=from_states,
            where=where,
            state=self.State.QUEUED,
            attempt=models.F("attempt") + 1,
            tries=models.F("tries") + 1 if automatic else 0,
            progress=0,
            message="Waiting for a worker",
            worker="",
            lease_until=None,
            queued_at=timezone.now(),
            started_at=None,
            finished_at=None,
            **changes,
        )

    def claim(self, attempt: int, *, worker: str, lease_s: float) -> bool:
        """QUEUED -> RUNNING for the task carrying `attempt`, with a fresh lease."""
        now = timezone.now()
        return self._move(
            at_attempt=attempt,
            states=[self.State.QUEUED],
            state=self.State.RUNNING,
            worker=worker,
            started_at=now,
            lease_until=now + timedelta(seconds=lease_s),
            message="Starting",
        )

    def renew(self, attempt: int, *, lease_s: float, **changes) -> bool:
        """Extends the lease (and records progress); False once the job was cancelled or requeued."""
        # A stage waiting for its parts holds no lease (lease_until is None): nothing to renew.
        rows = type(self).objects.filter(
            pk=self.pk, attempt=attempt, state=self.State.RUNNING, lease_until__isnull=False
        )
        now = timezone.now()
        return bool(rows.update(lease_until=now + timedelta(seconds=lease_s), updated_at=now, **changes))

    def finish(self, attempt: int, state: str, message: str = "", **changes) -> bool:
        """RUNNING -> DONE or FAILED, only for the attempt that runs it."""
        if state == self.State.DONE:
            changes.setdefault("progress", 1.0)
        return self._move(
            at_attempt=attempt,
            states=[self.State.RUNNING],
            state=state,
            message=message[:2000],
            finished_at=timezone.now(),
            lease_until=None,
            **changes,
        )

    def cancel(self) -> bool:
        return self._move(
            states=list(self.ACTIVE_STATES),
            state=self.State.CANCELLED,
            message="Cancelled",
            finished_at=timezone.now(),
            lease_until=None,
        )

    def recover(self) -> bool:
        """A RUNNING job whose lease ran out: requeued with a new attempt (True), or failed once
        it has been requeued MAX_TRIES times. Only wins if the lease is still expired."""
        now = timezone.now()
        if self.tries >= self.MAX_TRIES:
            self._move(
                at_attempt=self.attempt,
                states=[self.State.RUNNING],
                where={"lease_until__lt": now},
                state=self.State.FAILED,
                finished_at=now,
                lease_until=None,
                message=f"Its worker stopped responding {self.tries + 1} times (killed, out of memory or a "
                "machine lost); see the worker log, then retry.",
            )
            return False
        return self.queue(
            from_states=[self.State.RUNNING], automatic=True, where={"attempt": self.attempt, "lease_until__lt": now}
        )

    @classmethod
    def expired(cls):
        return cls.objects.filter(state=cls.State.RUNNING, lease_until__lt=timezone.now())


class StageRun(Job):
    """One pipeline stage of one video: the single source of truth for progress and resume.
    A stage that fans out (see pipeline.stages) runs as parts; while they run it holds no lease
    of its own and its progress is the mean of theirs."""

    video = models.ForeignKey(Video, on_delete=models.CASCADE, related_name="stage_runs")
    stage = models.CharField(max_length=20, choices=[(name, name) for name in STAGE_NAMES])

    class Meta:
        constraints = [models.UniqueConstraint(fields=["video", "stage"], name="one_run_per_stage")]
        ordering = ["video", "id"]

    def __str__(self):
        return f"{self.video} · {self.stage} · {self.state}"

    def task(self):
        return "clips.tasks.run_stage", (self.video_id, self.stage, self.attempt)


class StagePart(Job):
    """One piece of a fanned-out stage (one clip's preview, one chunk of the transcription), queued
    as its own task so that N workers share one video. A dead worker's part is redone alone."""

    run = models.ForeignKey(StageRun, on_delete=models.CASCADE, related_name="parts")
    index = models.PositiveIntegerField()
    spec = models.JSONField(default=dict, help_text="What to do, from the stage's plan")
    result = models.JSONField(null=True, blank=True, help_text="The part's output, joined when all are done")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "index"], name="one_part_per_index")]
        ordering = ["run", "index"]

    def __str__(self):
        return f"{self.run} · part {self.index + 1}"

    def task(self):
        return "clips.tasks.run_stage_part", (self.pk, self.attempt)


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
        """The final render as the review page tells it (from the clip's final ClipJob)."""

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
    # Named parts of the score, 0-100 each, as the clip finder wrote them (pipeline.clipscore).
    subscores = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PROPOSED, db_index=True)
    # Files are paths relative to MEDIA_ROOT, served only through the permission-checking view.
    preview = models.CharField(max_length=500, blank=True)
    poster = models.CharField(max_length=500, blank=True)
    subtitles_vtt = models.CharField(max_length=500, blank=True)
    subtitles_srt = models.CharField(max_length=500, blank=True)
    final = models.CharField(max_length=500, blank=True)
    render_warning = models.TextField(blank=True)
    hook_title = models.CharField(max_length=200, blank=True, help_text="Blank = the copy's hook")
    trim_silence = models.BooleanField(null=True, blank=True, help_text="None = the video's setting")
    # The reviewer's framing override (clips/framing.py); "auto" = what the analysis chose.
    layout = models.CharField(max_length=10, choices=choices.LAYOUTS, default="auto")
    follow_face = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Face track to follow")
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

    @property
    def score_points(self) -> int:
        """The score as reviewers see it, 0-100."""
        return round(self.score * 100)

    @property
    def subscore_items(self) -> list[tuple[str, int]]:
        """(label, 0-100) for each sub-score, in the clip finder's order."""
        from pipeline.clipscore import LABELS

        return [(LABELS.get(name, name), value) for name, value in self.subscores.items()]

    # --- work on one clip: final render, re-rendered preview, fresh copy (one ClipJob each) ---

    def job(self, kind: str) -> "ClipJob | None":
        """This clip's job of `kind` (from prefetch_related("jobs") when the caller used it)."""
        cache = getattr(self, "_prefetched_objects_cache", {}).get("jobs")
        if cache is not None:
            return next((job for job in cache if job.kind == kind), None)
        return self.jobs.filter(kind=kind).first()

    @property
    def final_state(self) -> str:
        job = self.job(ClipJob.Kind.FINAL)
        if job is None:
            return self.FinalState.NONE
        if job.state == Job.State.DONE:
            return self.FinalState.DONE if self.final else self.FinalState.NONE
        return {
            Job.State.QUEUED: self.FinalState.QUEUED,
            Job.State.RUNNING: self.FinalState.RENDERING,
            Job.State.FAILED: self.FinalState.FAILED,
        }.get(job.state, self.FinalState.NONE)

    @property
    def final_progress(self) -> float:
        job = self.job(ClipJob.Kind.FINAL)
        return job.progress if job else 0.0

    def request_job(self, kind: str) -> "ClipJob | None":
        """Queues `kind` work for the clip's current bounds. Of two requests at once only one
        queues; the other (and any request while one is queued or running) gets None."""
        job, _ = ClipJob.objects.get_or_create(clip=self, kind=kind)
        if job.queue(start_s=self.start_s, end_s=self.end_s):
            return job
        return None

    def request_final(self) -> "ClipJob | None":
        """Queues the final render unless one is on its way or ready for these bounds."""
        job = self.jobs.filter(kind=ClipJob.Kind.FINAL).first()
        if job and job.state == Job.State.DONE and self.final and job.asked_for(self):
            return None
        return self.request_job(ClipJob.Kind.FINAL)

    def forget_final(self) -> None:
        """The clip's content changed: a final on its way is called off and a rendered one dropped."""
        job = self.jobs.filter(kind=ClipJob.Kind.FINAL).first()
        if job is not None:
            job.cancel()
        if self.final:
            self.final = ""
            type(self).objects.filter(pk=self.pk).update(final="")


class ClipJob(Job):
    """A final render, a re-rendered preview or a fresh copy of one clip, asked for by a person.
    It carries the bounds it was asked for: a result for bounds that changed meanwhile is thrown away."""

    class Kind(models.TextChoices):
        FINAL = "final", "Final render"
        PREVIEW = "preview", "Preview render"
        COPY = "copy", "Copy"

    clip = models.ForeignKey(Clip, on_delete=models.CASCADE, related_name="jobs")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    start_s = models.FloatField(null=True, blank=True)
    end_s = models.FloatField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["clip", "kind"], name="one_job_per_clip_and_kind")]

    def __str__(self):
        return f"{self.clip} · {self.kind} · {self.state}"

    def task(self):
        return "clips.tasks.run_clip_job", (self.pk, self.attempt)

    def asked_for(self, clip: Clip) -> bool:
        """True while the clip still has the bounds this job was asked to work on."""
        return self.start_s == clip.start_s and self.end_s == clip.end_s


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
    title = models.CharField(max_length=70, blank=True, help_text="Shorts / reels title")
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
    """History of a copy: who or what wrote which text, when; also drafts that were not applied
    (a rerun that found a human-edited caption, a regeneration that lost to a newer edit)."""

    class Source(models.TextChoices):
        EDIT = "edit", "edited"
        STAGE = "stage", "copy stage"
        REGENERATE = "regenerate", "regenerated"

    copy = models.ForeignKey(Copy, on_delete=models.CASCADE, related_name="edits")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    source = models.CharField(max_length=12, choices=Source.choices, default=Source.EDIT)
    applied = models.BooleanField(default=True, help_text="False: a draft kept in history, the caption unchanged")
    at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(help_text="Version the edit produced")
    before_text = models.TextField(blank=True)
    after_text = models.TextField(blank=True)
    before_hashtags = models.JSONField(default=list)
    after_hashtags = models.JSONField(default=list)

    class Meta:
        ordering = ["-at"]


class CaptionPreset(models.Model):
    """A named caption style shared by the team (brand presets); at most one is the default,
    which new videos start from."""

    name = models.CharField(max_length=80, unique=True)
    style = models.JSONField(help_text="A pipeline.schemas.CaptionStyle")
    is_default = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-is_default", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=models.Q(is_default=True), name="one_default_caption_preset"
            )
        ]

    def __str__(self):
        return f"{self.name} (default)" if self.is_default else self.name
