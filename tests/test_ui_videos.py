"""Videos pages: list, new-video form, sample, detail with live progress, cancel and retry."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from clips.models import StageRun, Video

from .ui_support import make_processed_video

HTMX = {"HTTP_HX_REQUEST": "true"}


def test_anonymous_users_are_sent_to_login_from_every_page(client, db):
    for url in [
        reverse("video_list"),
        reverse("video_detail", args=[1]),
        reverse("clip_list", args=[1]),
        reverse("dashboard"),
        reverse("video_progress", args=[1]),
    ]:
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("login")), url


def test_the_list_shows_status_duration_and_clip_counts(client, editor, media_root):
    video = make_processed_video(editor, media_root, clips=3, title="Quarterly talk")
    video.clips.filter(index=0).update(status="approved")
    client.force_login(editor)
    response = client.get(reverse("video_list"))
    page = response.content.decode()
    assert "Quarterly talk" in page and "Ready for review" in page and "1:00" in page
    assert "1 approved · 2 to review" in page


def test_users_without_a_role_see_no_videos(client, editor, nobody, media_root):
    make_processed_video(editor, media_root, title="Secret talk")
    client.force_login(nobody)
    page = client.get(reverse("video_list")).content.decode()
    assert "Secret talk" not in page and "New video" not in page


def test_the_list_polls_its_rows_while_a_video_is_processing(client, editor, media_root):
    video = make_processed_video(editor, media_root)
    client.force_login(editor)
    assert b'hx-trigger="every 3s"' not in client.get(reverse("video_list")).content
    Video.objects.filter(pk=video.pk).update(status=Video.Status.PROCESSING)
    response = client.get(reverse("video_list") + "?part=rows", **HTMX)
    assert response.status_code == 200
    assert b'hx-trigger="every 3s"' in response.content and b"<h1>" not in response.content
    Video.objects.filter(pk=video.pk).update(status=Video.Status.READY)
    response = client.get(reverse("video_list") + "?part=rows", **HTMX)
    assert response.status_code == 286 and b'hx-trigger="every 3s"' not in response.content


def test_a_url_video_is_created_with_its_options_and_started(client, editor, django_capture_on_commit_callbacks):
    client.force_login(editor)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(
            reverse("video_new"),
            {
                "url": "http://127.0.0.1:9/talk.mp4",
                "title": "",
                "language": "es",
                "clip_preset": "long",
                "aspect": "1:1",
                "subtitle_style": "karaoke",
                "copy_provider": "local",
            },
            **HTMX,
        )
    video = Video.objects.get()
    assert response.status_code == 200 and response["HX-Redirect"] == video.get_absolute_url()
    assert (video.source, video.language, video.aspect, video.subtitle_style) == ("url", "es", "1:1", "karaoke")
    assert (video.min_clip_s, video.max_clip_s) == (60, 180)
    assert video.stage_runs.get(stage="ingest").state == "queued" and len(callbacks) == 1


def test_an_uploaded_file_becomes_the_videos_original(client, editor, media_root, django_capture_on_commit_callbacks):
    client.force_login(editor)
    upload = SimpleUploadedFile("my talk.mp4", b"not really a video", content_type="video/mp4")
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(
            reverse("video_new"),
            {
                "upload": upload,
                "clip_preset": "custom",
                "min_clip_s": "20",
                "max_clip_s": "45",
                "aspect": "9:16",
                "subtitle_style": "clean",
            },
        )
    video = Video.objects.get()
    assert response.status_code == 302 and response.url == video.get_absolute_url()
    assert video.title == "my talk" and (video.min_clip_s, video.max_clip_s) == (20, 45)
    assert (media_root / video.original.name).read_bytes() == b"not really a video"


def test_the_form_comes_back_with_errors_inline(client, editor):
    client.force_login(editor)
    response = client.post(
        reverse("video_new"), {"clip_preset": "medium", "aspect": "9:16", "subtitle_style": "clean"}, **HTMX
    )
    assert response.status_code == 200 and b"Choose a video file or give a URL" in response.content
    assert b'id="new-video-form"' in response.content and b"<h1>" not in response.content
    response = client.post(
        reverse("video_new"),
        {
            "url": "http://127.0.0.1:9/a.mp4",
            "clip_preset": "custom",
            "min_clip_s": "50",
            "max_clip_s": "40",
            "aspect": "9:16",
            "subtitle_style": "clean",
        },
        **HTMX,
    )
    assert b"a larger maximum" in response.content
    assert not Video.objects.exists()


def test_users_without_a_role_cannot_add_videos(client, nobody):
    client.force_login(nobody)
    response = client.post(
        reverse("video_new"),
        {"url": "http://127.0.0.1:9/a.mp4", "clip_preset": "short", "aspect": "9:16", "subtitle_style": "clean"},
    )
    assert response.status_code == 403 and not Video.objects.exists()
    assert client.post(reverse("sample_new")).status_code == 403


def test_the_sample_is_queued_and_its_page_says_it_is_being_prepared(
    client, approver, django_capture_on_commit_callbacks
):
    client.force_login(approver)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(reverse("sample_new"))
    video = Video.objects.get()
    assert response.url == video.get_absolute_url() and len(callbacks) == 1
    assert video.status == "new" and video.copy_provider == "local" and video.clip_preset == "short"
    page = client.get(video.get_absolute_url()).content.decode()
    assert "Preparing the video file" in page and 'hx-trigger="every 2s"' in page


def test_the_video_page_shows_stages_transcript_chapters_and_player(client, editor, media_root):
    video = make_processed_video(editor, media_root)
    (video.workdir / "source.mp4").write_bytes(b"video")
    (video.workdir / "media.json").write_text(
        '{"media_file": "source.mp4", "duration": 60, "width": 640, "height": 360, "fps": 25}'
    )
    client.force_login(editor)
    page = client.get(video.get_absolute_url()).content.decode()
    for label in ["Ingest", "Transcribe", "Find clips", "Write copy", "Prepare previews"]:
        assert label in page
    assert 'data-seek="0.0"' in page and 'data-seek="2.5"' in page and "Space and money" in page
    assert "Coffee beans are roasted seeds." in page
    assert f'src="/media/videos/{video.pk}/source.mp4"' in page
    assert 'hx-trigger="every 2s"' not in page  # finished: no polling


def test_users_without_a_role_get_404_on_a_video(client, editor, nobody, media_root):
    video = make_processed_video(editor, media_root)
    client.force_login(nobody)
    assert client.get(video.get_absolute_url()).status_code == 404
    assert client.get(reverse("video_progress", args=[video.pk])).status_code == 404


def test_progress_partial_shows_running_stage_with_eta_and_refreshes_when_done(client, editor, media_root):
    from django.utils import timezone

    video = make_processed_video(editor, media_root)
    Video.objects.filter(pk=video.pk).update(status=Video.Status.PROCESSING)
    StageRun.objects.filter(video=video, stage="transcribe").update(
        state="running",
        progress=0.5,
        message="Transcribing 0:30 of 1:00",
        started_at=timezone.now() - timezone.timedelta(seconds=20),
        finished_at=None,
    )
    client.force_login(editor)
    response = client.get(reverse("video_progress", args=[video.pk]) + "?was=active", **HTMX)
    page = response.content.decode()
    assert response.status_code == 200 and "Transcribing 0:30 of 1:00" in page and "50 %" in page
    assert "left" in page and 'hx-trigger="every 2s"' in page and "<h1>" not in page
    Video.objects.filter(pk=video.pk).update(status=Video.Status.READY)
    response = client.get(reverse("video_progress", args=[video.pk]) + "?was=active", **HTMX)
    assert response["HX-Refresh"] == "true"


def test_the_owner_cancels_but_another_editor_cannot(client, editor, django_user_model, media_root):
    from .conftest import make_user

    video = make_processed_video(editor, media_root)
    Video.objects.filter(pk=video.pk).update(status=Video.Status.PROCESSING)
    StageRun.objects.filter(video=video, stage="render").update(state="running", finished_at=None)
    other = make_user(django_user_model, "otto", "Editor")
    client.force_login(other)
    assert client.post(reverse("video_cancel", args=[video.pk]), **HTMX).status_code == 403
    client.force_login(editor)
    assert client.get(reverse("video_cancel", args=[video.pk])).status_code == 405
    response = client.post(reverse("video_cancel", args=[video.pk]), **HTMX)
    assert response.status_code == 200 and b"Cancelled" in response.content
    assert video.stage_runs.get(stage="render").state == "cancelled"


def test_a_failed_stage_is_retried_from_its_button(
    client, editor, admin_user, media_root, django_capture_on_commit_callbacks
):
    video = make_processed_video(editor, media_root)
    run = video.stage_runs.get(stage="copy")
    StageRun.objects.filter(pk=run.pk).update(state="failed", message="Gemini said no")
    Video.objects.filter(pk=video.pk).update(status=Video.Status.FAILED)
    client.force_login(editor)
    page = client.get(video.get_absolute_url()).content.decode()
    assert "Gemini said no" in page and reverse("stage_retry", args=[run.pk]) in page
    client.force_login(admin_user)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(reverse("stage_retry", args=[run.pk]), **HTMX)
    assert response.status_code == 200 and len(callbacks) == 1
    run.refresh_from_db()
    assert run.state == "queued" and run.attempt == 2
    assert video.stage_runs.get(stage="render").state == "pending"


def test_a_done_stage_is_not_retried(client, editor, media_root, django_capture_on_commit_callbacks):
    video = make_processed_video(editor, media_root)
    run = video.stage_runs.get(stage="copy")
    client.force_login(editor)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.post(reverse("stage_retry", args=[run.pk]))
    assert not callbacks and video.stage_runs.get(stage="copy").state == "done"


@pytest.mark.slow
def test_make_sample_writes_a_video_and_starts_it(
    db, admin_user, media_root, monkeypatch, tmp_path, django_capture_on_commit_callbacks
):
    from django.core.management import call_command

    monkeypatch.setenv("CLIPER_SAMPLE_TEXT", "Coffee is roasted. Tides follow the Moon.")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        call_command("make_sample")
    video = Video.objects.get()
    assert video.original and (media_root / video.original.name).stat().st_size > 1000
    assert video.stage_runs.get(stage="ingest").state == "queued" and len(callbacks) == 1
    call_command("make_sample", out=tmp_path / "s.mp4")
    assert (tmp_path / "s.mp4").stat().st_size > 1000
