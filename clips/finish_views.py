"""Finishing pages and partials: the caption style editor with its live frame, brand presets,
a clip's hook title and trimming, the approved bar ("Render all finals", download)."""

import math
import threading

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pipeline.errors import InputError

from . import export, finishing, services
from .forms import CaptionStyleForm, ClipFinishForm, PresetForm
from .models import CaptionPreset, Clip, Video
from .roles import can_download, can_edit
from .views import _get_clip_for_user, _get_video_for_user, _render_card, _require

# Each preview frame is one short ffmpeg run; a few at a time per web process is plenty, and a
# flood of requests waits here instead of starting a process each.
_FRAME_SLOTS = threading.BoundedSemaphore(2)
FRAME_WAIT_S = 15


def _preview_clip(video: Video, clip_pk: str | None) -> Clip | None:
    clips = video.clips.order_by("index")
    if clip_pk and clip_pk.isdigit():
        return clips.filter(pk=int(clip_pk)).first() or clips.first()
    return clips.first()


def _seconds(value: str | None) -> float | None:
    """A time typed or passed in the query; None unless it is a finite number."""
    try:
        seconds = float(value) if value is not None else None
    except ValueError:
        return None
    return seconds if seconds is not None and math.isfinite(seconds) else None


def _first_word_s(video: Video, clip: Clip) -> float:
    """A moment of the clip where a caption is on screen: just after its first word starts."""
    words = video.transcript.words if hasattr(video, "transcript") else []
    starts = [w["start"] for w in words if clip.start_s <= w["start"] < clip.end_s]
    return round(min(starts) - clip.start_s + 0.3, 2) if starts else 0.5


def captions_context(request, video: Video, form: CaptionStyleForm | None = None, **extra) -> dict:
    """What the video page's caption section needs."""
    style = finishing.video_caption_style(video)
    form = form or CaptionStyleForm.for_video(video, style)
    clip = _preview_clip(video, request.GET.get("clip") or request.POST.get("clip"))
    at_s = _seconds(request.GET.get("at") or request.POST.get("at"))
    if clip is not None and at_s is None:
        at_s = _first_word_s(video, clip)
    if form.is_bound:
        query = form.data.copy()
    else:
        query = QueryDict(mutable=True)
        for name, value in form.initial.items():
            if isinstance(value, bool):
                if value:
                    query[name] = "on"
            else:
                query[name] = str(value)
    if clip is not None:
        query["clip"], query["at"] = str(clip.pk), f"{at_s:.2f}"
    query.pop("csrfmiddlewaretoken", None)
    return {
        "video": video,
        "style_form": form,
        "preset_form": PresetForm(),
        "presets": CaptionPreset.objects.all(),
        "preview_clip": clip,
        "preview_at": at_s,
        "frame_url": f"{reverse('caption_frame', args=[video.pk])}?{query.urlencode()}"
        if clip and (not form.is_bound or form.is_valid())
        else "",
        "may_edit": can_edit(request.user),
        "loudness_lufs": settings.CLIPER["LOUDNESS_LUFS"],
        "true_peak_db": settings.CLIPER["TRUE_PEAK_DB"],
        "trim_pause_s": settings.CLIPER["TRIM_PAUSE_S"],
        **extra,
    }


def _captions(request, video, **extra):
    return render(request, "clips/video_detail.html#captions", captions_context(request, video, **extra))


@require_GET
def caption_preview(request, video_id):
    """The editor's preview block for the style in the query (htmx, on every change)."""
    video = _get_video_for_user(request, video_id)
    context = captions_context(request, video, form=CaptionStyleForm(request.GET))
    return render(request, "clips/video_detail.html#caption_preview", context)


@require_GET
def caption_frame(request, video_id):
    """A JPEG of one frame of a clip with captions in the style of the query."""
    video = _get_video_for_user(request, video_id)
    form = CaptionStyleForm(request.GET)
    clip = _preview_clip(video, request.GET.get("clip"))
    if not form.is_valid() or clip is None:
        return HttpResponse("Invalid caption style", status=400, content_type="text/plain")
    at_s = _seconds(request.GET.get("at"))
    at_s = 0.5 if at_s is None else at_s
    from pipeline.caption_frame import render_caption_frame
    from pipeline.render import cached_crop
    from pipeline.schemas import Word
    from pipeline.stages import get_stage

    media = get_stage("ingest").load_output(video.workdir)
    if media is None:
        return HttpResponse("The video is not ready yet", status=409, content_type="text/plain")
    words = [Word(**w) for w in video.transcript.words] if hasattr(video, "transcript") else []
    if not _FRAME_SLOTS.acquire(timeout=FRAME_WAIT_S):
        return HttpResponse("Busy drawing other previews; try again", status=503, content_type="text/plain")
    try:
        jpeg = render_caption_frame(
            video.workdir / media.media_file,
            clip.start_s,
            clip.end_s,
            at_s,
            words=words,
            style=form.caption_style(),
            hook_text=finishing.clip_hook_text(clip),
            aspect=video.aspect,
            crop=cached_crop(video.workdir, clip.index),
        )
    except InputError as exc:
        return HttpResponse(str(exc), status=422, content_type="text/plain")
    finally:
        _FRAME_SLOTS.release()
    response = HttpResponse(jpeg, content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=3600"  # the URL holds the whole style
    return response


@require_POST
def video_caption_style(request, video_id):
    """Saves the editor's style (and trimming) as the video's."""
    video = _get_video_for_user(request, video_id)
    _require(can_edit(request.user))
    form = CaptionStyleForm(request.POST)
    if not form.is_valid():
        return _captions(request, video, form=form)
    outdated = finishing.video_set_caption_style(
        video=video, style=form.caption_style(), trim_silence=form.cleaned_data["trim_silence"]
    )
    note = "Caption style saved."
    if outdated:
        note += f" {outdated} final render{'s' if outdated != 1 else ''} will be rendered again with it."
    if not request.htmx:
        messages.success(request, note)
        return redirect(video)
    return _captions(request, video, form=form, saved_note=note)


@require_POST
def preset_save(request, video_id):
    """Saves the editor's style as a named brand preset (replacing one of the same name)."""
    video = _get_video_for_user(request, video_id)
    _require(can_edit(request.user))
    form = CaptionStyleForm(request.POST)
    preset_form = PresetForm(request.POST)
    if not form.is_valid() or not preset_form.is_valid():
        context = captions_context(request, video, form=form)
        context["preset_form"] = preset_form
        return render(request, "clips/video_detail.html#captions", context)
    preset = finishing.preset_save(
        name=preset_form.cleaned_data["name"],
        style=form.caption_style(),
        user=request.user,
        make_default=preset_form.cleaned_data["make_default"],
    )
    return _captions(request, video, form=form, saved_note=f"Preset “{preset.name}” saved.")


@require_http_methods(["GET", "POST"])
def presets(request):
    """The team's brand presets: which is the default, delete one."""
    _require(request.user.has_perm("clips.view_video"))
    if request.method == "POST":
        _require(can_edit(request.user))
        preset = get_object_or_404(CaptionPreset, pk=request.POST.get("preset", "0") or 0)
        if request.POST.get("action") == "default":
            finishing.preset_make_default(preset=preset)
            messages.success(request, f"“{preset.name}” is now the default for new videos.")
        elif request.POST.get("action") == "delete":
            preset.delete()
            messages.success(request, f"Preset “{preset.name}” deleted; videos made with it keep their style.")
        return redirect("presets")
    return render(
        request, "clips/presets.html", {"presets": CaptionPreset.objects.all(), "may_edit": can_edit(request.user)}
    )


@require_POST
def clip_finish(request, clip_id):
    """Saves a clip's hook title and its trimming choice."""
    clip = _get_clip_for_user(request, clip_id)
    _require(can_edit(request.user))
    form = ClipFinishForm(request.POST)
    if form.is_valid():
        finishing.clip_set_finish(
            clip=clip, hook_title=form.cleaned_data["hook_title"], trim_silence=form.cleaned_data["trim_silence"]
        )
        return _render_card(request, clip, finish_saved=True)
    return _render_card(request, clip, finish_form=form)


# --- the approved bar: counter, download, render all finals ----------------------------------


@require_GET
def video_approved_bar(request, video_id):
    video = _get_video_for_user(request, video_id)
    return render(request, "clips/clip_list.html#approved_bar", export.approved_context(video))


@require_POST
def video_render_finals(request, video_id):
    """Queues the final render of every approved clip that has none ready."""
    video = _get_video_for_user(request, video_id)
    _require(can_download(request.user))
    for clip in export.approved_finals(video).missing:
        if clip.final and export.final_path(clip) is None:
            clip.forget_final()  # recorded as rendered, but its file is gone: render it again
    services.clips_request_finals(video=video, user=request.user)
    if not request.htmx:
        return redirect("clip_list", video.pk)
    return render(request, "clips/clip_list.html#approved_bar", export.approved_context(video))
