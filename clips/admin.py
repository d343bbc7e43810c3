from django.contrib import admin

from .models import Clip, ClipJob, Copy, CopyEdit, StagePart, StageRun, Transcript, Video


class StageRunInline(admin.TabularInline):
    model = StageRun
    extra = 0
    fields = ("stage", "state", "progress", "message", "attempt", "worker", "started_at", "finished_at")
    readonly_fields = fields
    can_delete = False


@admin.register(Video)
class VideoAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "title",
        "owner",
        "status",
        "source",
        "duration_s",
        "detected_language",
        "clip_count",
        "created",
    )
    list_filter = ("status", "source", "detected_language", "copy_provider", "created")
    search_fields = ("title", "source_url", "owner__username")
    date_hierarchy = "created"
    inlines = [StageRunInline]

    @admin.display(description="clips")
    def clip_count(self, obj):
        return obj.clips.count()


@admin.register(StageRun)
class StageRunAdmin(admin.ModelAdmin):
    list_display = ("video", "stage", "state", "progress", "attempt", "worker", "started_at", "finished_at")
    list_filter = ("stage", "state")
    search_fields = ("video__title", "message", "worker")


@admin.register(StagePart)
class StagePartAdmin(admin.ModelAdmin):
    list_display = ("run", "index", "state", "progress", "attempt", "tries", "worker", "lease_until", "finished_at")
    list_filter = ("state", "run__stage")
    search_fields = ("run__video__title", "message", "worker")


@admin.register(ClipJob)
class ClipJobAdmin(admin.ModelAdmin):
    list_display = ("clip", "kind", "state", "progress", "attempt", "tries", "worker", "lease_until", "finished_at")
    list_filter = ("kind", "state")
    search_fields = ("clip__video__title", "message", "worker")


@admin.register(Transcript)
class TranscriptAdmin(admin.ModelAdmin):
    list_display = ("video", "language", "model_name", "duration_s", "word_count")
    list_filter = ("language", "model_name")
    search_fields = ("video__title",)

    @admin.display(description="words")
    def word_count(self, obj):
        return len(obj.words)


class CopyInline(admin.StackedInline):
    model = Copy
    extra = 0


@admin.register(Clip)
class ClipAdmin(admin.ModelAdmin):
    list_display = ("__str__", "start_s", "end_s", "score", "status", "final_state", "reviewed_by")
    list_filter = ("status", "video")
    search_fields = ("text", "reason", "video__title")
    inlines = [CopyInline]


class CopyEditInline(admin.TabularInline):
    model = CopyEdit
    extra = 0
    readonly_fields = ("user", "at", "version", "before_text", "after_text", "before_hashtags", "after_hashtags")


@admin.register(Copy)
class CopyAdmin(admin.ModelAdmin):
    list_display = (
        "clip",
        "style",
        "engagement_score",
        "viral_potential",
        "provider",
        "is_local_draft",
        "version",
        "edited_by",
    )
    list_filter = ("style", "provider", "is_local_draft")
    search_fields = ("text", "clip__video__title")
    inlines = [CopyEditInline]


@admin.register(CopyEdit)
class CopyEditAdmin(admin.ModelAdmin):
    list_display = ("copy", "user", "at", "version")
    search_fields = ("before_text", "after_text")
