"""Pages and htmx partials. Thin: permissions and forms here, rules in services/review/selectors."""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required, permission_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import connection
from django.http import FileResponse, Http404, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import (
    HTMX_STOP_POLLING,
    HttpResponseClientRedirect,
    HttpResponseClientRefresh,
    reswap,
    retarget,
)

from . import choices, export, framing, limits, previews, review, sample, selectors, services
from .forms import BoundsForm, ClipFilterForm, CopyForm, VideoForm
from .media import media_path
from .models import Clip, Copy, StageRun, Video
from .roles import can_approve, can_download, can_edit, is_admin

# --- fetch-and-authorise helpers ----------------------------------------------------------


def _get_video_for_user(request, video_id) -> Video:
    video = get_object_or_404(Video, pk=video_id)
    if not request.user.has_perm("clips.view_video"):
        raise Http404
    return video


def _get_clip_for_user(request, clip_id) -> Clip:
    clip = get_object_or_404(Clip.objects.select_related("video"), pk=clip_id)
    if not request.user.has_perm("clips.view_clip"):
        raise Http404
    return clip


def _may_manage(user, video: Video) -> bool:
    """Cancel / retry processing: the video's owner or an admin."""
    return video.owner_id == user.pk or user.has_perm("clips.change_video")


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


# --- videos ------------------------------------------------------------------------------


@require_GET
def video_list(request):
    videos = selectors.videos_for_list()
    if not request.user.has_perm("clips.view_video"):
        videos = videos.none()
    page = Paginator(videos, VIDEOS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "videos": page.object_list,
        "page": page,
        "form": VideoForm(),
        "processing": any(v.status in _ACTIVE for v in page.object_list),
    }
    if request.htmx and request.GET.get("part") == "rows":
        response = render(request, "clips/video_list.html#rows", context)
        return response if context["processing"] else _stop_polling(response)
    return render(request, "clips/video_list.html", context)


_ACTIVE = (Video.Status.NEW, Video.Status.PROCESSING)
VIDEOS_PER_PAGE = 25
CLIPS_PER_PAGE = 24


@require_POST
@permission_required("clips.add_video", raise_exception=True)
def video_new(request):
    form = VideoForm(request.POST, request.FILES, upload_refused=getattr(request, "upload_refused", ""))
    if not form.is_valid():
        # htmx does not swap 4xx answers by default: the form comes back as 200 with its errors.
        template = "clips/video_list.html#new_video" if request.htmx else "clips/video_list.html"
        page = Paginator(selectors.videos_for_list(), VIDEOS_PER_PAGE).get_page(1)
        context = {"form": form, "videos": page.object_list, "page": page, "show_form": True}
        return render(request, template, context, status=200 if request.htmx else 400)
    data = form.cleaned_data
    video = services.video_create(
        owner=request.user,
        source=Video.Source.UPLOAD if data["upload"] else Video.Source.URL,
        upload=data["upload"] or None,
        url=data["url"] or "",
        **form.video_fields(),
    )
    messages.success(request, "Video added: processing has started.")
    if request.htmx:
        return HttpResponseClientRedirect(video.get_absolute_url())
    return redirect(video)


@require_GET
@permission_required("clips.add_video", raise_exception=True)
def local_model_server(request):
    """The new-video form's model picker: whether the configured local model server answers and
    the models it lists. The URL is the site's setting; nothing in the request chooses it."""
    from pipeline import config
    from pipeline.copywriter.local_server import server_status

    site = config.pipeline_options({name.lower(): value for name, value in settings.CLIPER.items()})
    chosen = request.GET.get("copy_provider") or site.copy_provider
    context = {"shown": chosen == "openai", "picked": request.GET.get("copy_model", "")}
    if context["shown"]:
        context["server"] = server_status(site.openai_base_url, site.openai_api_key.get_secret_value())
        context["site_model"] = site.openai_model
    return render(request, "clips/video_list.html#local_model_server", context)


@require_POST
@permission_required("clips.add_video", raise_exception=True)
def sample_new(request):
    video = sample.sample_video_create(owner=request.user)
    messages.success(request, "The sample talk is being made (about a minute), then it is processed like any video.")
    return redirect(video)


def _video_context(request, video: Video) -> dict:
    runs = video.stage_runs_in_order()
    active = video.status in _ACTIVE
    return {
        "video": video,
        "runs": runs,
        "active": active,
        "preparing": video.status == Video.Status.NEW and not runs,
        "may_manage": _may_manage(request.user, video),
    }


@require_GET
def video_detail(request, video_id):
    video = _get_video_for_user(request, video_id)
    context = _video_context(request, video)
    transcript = getattr(video, "transcript", None) if hasattr(video, "transcript") else None
    context.update(
        {
            "chapters": transcript.chapters() if transcript else [],
            "transcript": transcript,
            "media_file": selectors.media_file_of(video),
            "clip_counts": selectors.clip_counts(video),
        }
    )
    if video.clips.exists():
        from .finish_views import captions_context  # it imports this module's helpers

        context.update(captions_context(request, video))
    return render(request, "clips/video_detail.html", context)


@require_GET
def video_progress(request, video_id):
    """The live stage list (polled by htmx while the video is processing)."""
    video = _get_video_for_user(request, video_id)
    if request.GET.get("was") == "active" and video.status not in _ACTIVE:
        return HttpResponseClientRefresh()  # finished: reload once to show the transcript and clips
    return render(request, "clips/video_detail.html#progress", _video_context(request, video))


@require_POST
def video_cancel(request, video_id):
    video = _get_video_for_user(request, video_id)
    _require(_may_manage(request.user, video))
    services.video_cancel(video=video)
    return _progress_or_redirect(request, video)


@require_POST
def stage_retry(request, run_id):
    run = get_object_or_404(StageRun.objects.select_related("video"), pk=run_id)
    video = _get_video_for_user(request, run.video_id)
    _require(_may_manage(request.user, video))
    if run.state not in (StageRun.State.FAILED, StageRun.State.CANCELLED):
        messages.error(request, "Only a failed or cancelled stage can be retried.")
    else:
        services.stage_retry(run=run)
    return _progress_or_redirect(request, video)


def _progress_or_redirect(request, video):
    if request.htmx:
        video.refresh_from_db()
        return render(request, "clips/video_detail.html#progress", _video_context(request, video))
    return redirect(video)


# --- clips -------------------------------------------------------------------------------

_FETCH = object()
REGENERATE_WAIT_S = 180  # the copy block and the player stop waiting for new copy / a new preview then  # "look the copy up" (None means "there is none")


def _card(request, clip: Clip, copy=_FETCH, **extra) -> dict:
    """What one clip card needs: the clip, its copy, its history, the caption rules. Pass `copy`
    when it was fetched with the clip (the grid does, with its edits prefetched)."""
    if copy is _FETCH:
        copy = Copy.objects.filter(clip=clip).first()
    if "preview" not in extra:
        extra["preview"] = previews.card_preview(clip)
    if "waiting_preview" not in extra:
        extra["waiting_preview"] = extra["preview"] is None and previews.being_prepared(clip)
    return {
        "clip": clip,
        "copy": copy,
        "history": selectors.copy_history(copy),
        "caption_rules": review.browser_caption_rules(),
        "framing": framing.clip_framing(clip),
        "layout_choices": choices.LAYOUTS,
        "bounds": BoundsForm(clip=clip),
        **extra,
    }


@require_GET
def clip_list(request, video_id):
    video = _get_video_for_user(request, video_id)
    _require(request.user.has_perm("clips.view_clip"))
    filters = ClipFilterForm(request.GET or None)
    clips = selectors.clips_for_review(video, **filters.filters())
    # Read once for all cards, and only when some card needs it.
    media_file, words, render_running = previews.playable_media(video), None, None
    cards = []
    page = Paginator(clips, CLIPS_PER_PAGE).get_page(request.GET.get("page"))
    for clip in page.object_list:
        preview = None
        if previews.current_preview(clip) is not None:
            words = previews.transcript_words(video) if words is None else words
            preview = previews.card_preview(clip, media_file=media_file, words=words)
        if preview is None and render_running is None:
            render_running = previews.render_stage_running(video)
        cards.append(
            _card(
                request,
                clip,
                copy=selectors.copy_of(clip),
                preview=preview,
                waiting_preview=preview is None and render_running,
            )
        )
    context = {
        "video": video,
        "cards": cards,
        "page": page,
        "filters": filters if request.GET else ClipFilterForm(),
        **export.approved_context(video),
        "caption_rules": review.browser_caption_rules(),
        "search": _moment_search(request, video),
    }
    if request.htmx and request.htmx.target == "clip-grid":
        return render(request, "clips/clip_list.html#grid", context)
    return render(request, "clips/clip_list.html", context)


def _moment_search(request, video):
    about = request.GET.get("about", "")
    return services.moments_search(video=video, query=about) if about.strip() else None


@require_GET
def clip_moments(request, video_id):
    """The "Find moments about ..." block; it polls itself while the worker searches."""
    video = _get_video_for_user(request, video_id)
    _require(request.user.has_perm("clips.view_clip"))
    context = {"video": video, "search": _moment_search(request, video)}
    return render(request, "clips/clip_list.html#moments", context)


def _render_card(request, clip, **extra):
    clip.refresh_from_db()
    return render(request, "clips/clip_list.html#clip_card", _card(request, clip, **extra))


@require_POST
def clip_review(request, clip_id):
    clip = _get_clip_for_user(request, clip_id)
    _require(can_approve(request.user))
    approve = request.POST.get("decision") == "approve"
    services.clip_review(clip=clip, user=request.user, approve=approve)
    if request.htmx:
        response = _render_card(request, clip)
        # the approved counter and download link follow at once (out-of-band swap)
        bar = {**export.approved_context(clip.video), "oob": True}
        response.content += render_to_string("clips/clip_list.html#approved_bar", bar, request).encode()
        return response
    return redirect("clip_list", clip.video_id)


@require_POST
def clips_bulk_review(request, video_id):
    video = _get_video_for_user(request, video_id)
    _require(can_approve(request.user))
    ids = [int(pk) for pk in request.POST.getlist("clip") if pk.isdigit()]
    decision = request.POST.get("decision")
    if decision not in ("approve", "reject"):
        return HttpResponse("Unknown decision", status=400)
    count = review.clips_review_bulk(video=video, clip_ids=ids, user=request.user, approve=decision == "approve")
    verb = "approved" if decision == "approve" else "rejected"
    messages.success(request, f"{count} clip{'s' if count != 1 else ''} {verb}.")
    return redirect(f"{_clip_list_url(video)}?{request.POST.get('query', '')}")


def _clip_list_url(video):
    from django.urls import reverse

    return reverse("clip_list", args=[video.pk])


@require_GET
def copy_view(request, clip_id):
    """The copy block of a card; `?after=N&since=T` polls (from time T) until a version newer
    than N exists, or REGENERATE_WAIT_S passed; then htmx is told to stop polling."""
    clip = _get_clip_for_user(request, clip_id)
    after, since = request.GET.get("after", ""), request.GET.get("since", "")
    since_s = int(since) if since.isdigit() else int(time.time())  # no start given: from now
    context = _card(request, clip)
    polled = after.isdigit()
    if polled and (context["copy"] is None or context["copy"].version <= int(after)):
        if time.time() - since_s < REGENERATE_WAIT_S:
            context["waiting_after"], context["waiting_since"] = int(after), since_s
        else:
            context["regenerate_late"] = True
    response = render(request, "clips/clip_list.html#copy", context)
    return _stop_polling(response) if polled and "waiting_after" not in context else response


def _stop_polling(response):
    response.status_code = HTMX_STOP_POLLING  # 286: htmx swaps it in and stops the element's poll
    return response


@require_GET
def copy_edit(request, clip_id):
    clip = _get_clip_for_user(request, clip_id)
    _require(can_edit(request.user))
    context = _card(request, clip)
    context["form"] = CopyForm.for_copy(context["copy"])
    return render(request, "clips/clip_list.html#copy_form", context)


@require_POST
def copy_save(request, clip_id):
    clip = _get_clip_for_user(request, clip_id)
    _require(can_edit(request.user))
    form = CopyForm(request.POST)
    if not form.is_valid():
        context = _card(request, clip, form=form)
        return render(request, "clips/clip_list.html#copy_form", context)
    was_approved = clip.status == Clip.Status.APPROVED
    result = review.copy_save(
        clip=clip,
        user=request.user,
        text=form.cleaned_data["text"],
        hashtags=form.hashtag_list(),
        base_version=form.cleaned_data["version"],
        title=form.cleaned_data["title"] if "title" in request.POST else None,  # absent: left as it is
    )
    if result.saved:
        clip.refresh_from_db()
        if was_approved and clip.status != Clip.Status.APPROVED and request.htmx:
            # The edit sent the clip back to review: redraw the whole card, badge included.
            response = _render_card(request, clip, saved=True, returned_to_review=True)
            return reswap(retarget(response, f"#clip-{clip.pk}"), "outerHTML")
        context = _card(request, clip, saved=True)
        return render(request, "clips/clip_list.html#copy", context)
    for name, error in result.errors.items():
        form.add_error(name, error)
    context = _card(request, clip, form=form)
    if result.conflict is not None:
        # Keep what this person typed, but base the next save on the newer version so that
        # saving again is a deliberate overwrite of the text now shown beside it.
        data = request.POST.copy()
        data["version"] = result.conflict.version
        context["form"] = CopyForm(data)
        context["form"].is_valid()
        context["conflict"] = result.conflict
        context["mine"] = {"text": form.cleaned_data["text"], "hashtags": form.hashtag_list()}
    return render(request, "clips/clip_list.html#copy_form", context)


@require_POST
def copy_regenerate(request, clip_id):
    clip = _get_clip_for_user(request, clip_id)
    _require(can_edit(request.user))
    copy = Copy.objects.filter(clip=clip).first()
    try:
        limits.spend("regenerate", clip.pk)
    except limits.OverBudget as exc:
        return render(request, "clips/clip_list.html#copy", _card(request, clip, work_refused=str(exc)))
    services.copy_regenerate(clip=clip)
    context = _card(request, clip, waiting_after=copy.version if copy else 0, waiting_since=int(time.time()))
    return render(request, "clips/clip_list.html#copy", context)


@require_POST
def clip_bounds(request, clip_id):
    clip = _get_clip_for_user(request, clip_id)
    _require(can_edit(request.user))
    form = BoundsForm(request.POST, clip=clip)
    if form.is_valid():
        try:
            limits.spend("re-render", clip.pk)
        except limits.OverBudget as exc:
            form.add_error(None, str(exc))
    if form.is_valid():
        try:
            services.clip_set_bounds(clip=clip, start_s=form.cleaned_data["start_s"], end_s=form.cleaned_data["end_s"])
        except ValueError as exc:
            form.add_error(None, str(exc))
        else:
            # Browser previews were planned again from the stored face samples; otherwise
            # (server previews, or bounds beyond the analysed range) a task prepares it.
            waiting = previews.card_preview(clip) is None
            return _render_card(request, clip, bounds_saved=True, rerender_since=int(time.time()) if waiting else None)
    if not request.htmx:
        messages.error(request, " ".join(form.errors.get("__all__", [])) or "Check the start and end.")
        return redirect("clip_list", clip.video_id)
    return _render_card(request, clip, bounds_form=form)


@require_GET
def clip_media(request, clip_id):
    """The player of a card. `?since=EPOCH_S` polls until a preview newer than that exists (after
    new bounds); `?wait=preview` polls while the render stage has not reached this clip yet."""
    clip = _get_clip_for_user(request, clip_id)
    since = request.GET.get("since", "")
    preview = previews.card_preview(clip)
    context = {"clip": clip, "preview": preview}
    context["waiting_preview"] = preview is None and previews.being_prepared(clip)
    mtime = previews.preview_mtime(clip)
    context["preview_version"] = int(mtime)
    waiting = since.isdigit() and mtime <= int(since) and not clip.render_warning
    if waiting and time.time() - int(since) < REGENERATE_WAIT_S:
        context["rerender_since"] = int(since)
    response = render(request, "clips/clip_list.html#clip_media", context)
    if (since and "rerender_since" not in context) or (request.GET.get("wait") and not context["waiting_preview"]):
        return _stop_polling(response)
    return response


@require_POST
def clip_final(request, clip_id):
    """Queues the full-quality render of one clip (progress shown by clip_final_status)."""
    clip = _get_clip_for_user(request, clip_id)
    _require(can_download(request.user))
    services.clip_request_final(clip=clip)
    clip.refresh_from_db()
    return render(request, "clips/clip_list.html#final", _card(request, clip))


@require_GET
def clip_final_status(request, clip_id):
    clip = _get_clip_for_user(request, clip_id)
    response = render(request, "clips/clip_list.html#final", _card(request, clip))
    if clip.final_state not in (Clip.FinalState.QUEUED, Clip.FinalState.RENDERING):
        return _stop_polling(response)
    return response


@require_GET
def clip_download(request, clip_id):
    clip = _get_clip_for_user(request, clip_id)
    _require(can_download(request.user))
    if clip.final_state != Clip.FinalState.DONE or not clip.final:
        raise Http404("The final render is not ready")
    path = media_path(clip.final)
    return FileResponse(path.open("rb"), as_attachment=True, filename=f"{clip.video}-clip{clip.index + 1}.mp4")


@require_GET
def video_download_approved(request, video_id):
    video = _get_video_for_user(request, video_id)
    _require(can_download(request.user))
    finals = export.approved_finals(video)
    if not finals.count:
        messages.error(request, "No approved clips to download yet.")
        return redirect("clip_list", video.pk)
    if finals.missing:  # finals only: never a preview in their place
        plural = len(finals.missing) > 1
        messages.error(
            request,
            f"Clip{'s' if plural else ''} {finals.missing_numbers} {'have' if plural else 'has'} no final render "
            "yet: press “Render missing finals”, then download.",
        )
        return redirect("clip_list", video.pk)
    archive, filename = export.approved_zip(video=video, clips=finals.ready)
    response = StreamingHttpResponse(archive, content_type="application/zip")
    response["Content-Length"] = str(len(archive))
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- admin dashboard -----------------------------------------------------------------------


@require_GET
def dashboard(request):
    _require(is_admin(request.user))
    return render(request, "clips/dashboard.html", selectors.dashboard_figures())


@login_not_required
def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"ok": True})
