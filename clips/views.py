import mimetypes
from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, render

from .models import Video


def _get_video_for_user(request, video_id) -> Video:
    video = get_object_or_404(Video, pk=video_id)
    if not request.user.has_perm("clips.view_video"):
        raise Http404
    return video


def video_list(request):
    videos = Video.objects.select_related("owner").all()
    return render(request, "clips/video_list.html", {"videos": videos})


def video_detail(request, video_id):
    video = _get_video_for_user(request, video_id)
    return render(request, "clips/video_detail.html", {"video": video, "runs": video.stage_runs_in_order()})


def media(request, relpath):
    """Media files for logged-in users who may view videos; never a public URL."""
    if not request.user.has_perm("clips.view_video"):
        raise Http404
    root = Path(settings.MEDIA_ROOT).resolve()
    path = (root / relpath).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        raise Http404
    content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return FileResponse(path.open("rb"), content_type=content_type)


@login_not_required
def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"ok": True})
