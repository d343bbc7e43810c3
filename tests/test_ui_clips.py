"""Clips page: grid, filters and sorting, review (one and bulk), bounds, final render, downloads, media."""

import io
import json
import zipfile

from django.urls import reverse

from clips.models import Clip, ClipJob

from .ui_support import make_processed_video

HTMX = {"HTTP_HX_REQUEST": "true"}


def test_the_grid_shows_players_with_captions_score_reason_and_copy(client, editor, media_root):
    video = make_processed_video(editor, media_root, clips=3)
    client.force_login(editor)
    page = client.get(reverse("clip_list", args=[video.pk])).content.decode()
    assert page.count('class="clip-card') == 3
    assert f'<track kind="captions" src="/media/videos/{video.pk}/renders/clip_0_preview.vtt"' in page
    assert '0-100">90<' in page and "Topic 1 stands alone" in page and "Caption for clip 1" in page and "#clip1" in page
    assert "Educational" in page
    # an editor edits but neither reviews nor downloads
    assert "Edit caption" in page and 'data-action="approve"' not in page and "Download approved" not in page


def test_an_approver_sees_review_and_download_controls_but_no_editing(client, approver, media_root):
    video = make_processed_video(approver, media_root)
    client.force_login(approver)
    page = client.get(reverse("clip_list", args=[video.pk])).content.decode()
    assert 'data-action="approve"' in page and "Download approved" in page and "Render final" in page
    assert "Edit caption" not in page and "Adjust start / end" not in page


def test_filters_and_sorting(client, editor, media_root):
    video = make_processed_video(editor, media_root, clips=3)  # scores 0.9, 0.7, 0.5
    Clip.objects.filter(video=video, index=1).update(status="approved")
    client.force_login(editor)
    url = reverse("clip_list", args=[video.pk])

    def clip_numbers(query):
        page = client.get(url + query, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="clip-grid").content.decode()
        assert "<h1>" not in page
        return [int(part.split("<")[0]) for part in page.split("<strong>Clip ")[1:]]

    assert clip_numbers("?status=approved") == [2]
    assert clip_numbers("?style=storytelling") == [3]
    assert clip_numbers("?min_score=60") == [1, 2]
    assert clip_numbers("?sort=score") == [1, 2, 3]
    assert clip_numbers("?sort=start") == [1, 2, 3]
    Clip.objects.filter(video=video, index=2).update(score=0.99)
    assert clip_numbers("?sort=score") == [3, 1, 2]
    assert "No clip matches" in client.get(url + "?min_score=100").content.decode()


def test_an_approver_approves_and_rejects_one_clip(client, approver, media_root):
    video = make_processed_video(approver, media_root)
    clip = video.clips.get(index=0)
    client.force_login(approver)
    response = client.post(reverse("clip_review", args=[clip.pk]), {"decision": "approve"}, **HTMX)
    clip.refresh_from_db()
    assert clip.status == "approved" and clip.reviewed_by == approver
    assert response.content.decode().lstrip().startswith(f'<article class="clip-card approved" id="clip-{clip.pk}"')
    client.post(reverse("clip_review", args=[clip.pk]), {"decision": "reject"}, **HTMX)
    clip.refresh_from_db()
    assert clip.status == "rejected"


def test_editors_and_people_without_a_role_cannot_review(client, editor, nobody, media_root):
    video = make_processed_video(editor, media_root)
    clip = video.clips.get(index=0)
    client.force_login(editor)
    assert client.post(reverse("clip_review", args=[clip.pk]), {"decision": "approve"}).status_code == 403
    assert (
        client.post(
            reverse("clips_bulk_review", args=[video.pk]), {"decision": "approve", "clip": [clip.pk]}
        ).status_code
        == 403
    )
    client.force_login(nobody)
    assert client.post(reverse("clip_review", args=[clip.pk]), {"decision": "approve"}).status_code == 404
    clip.refresh_from_db()
    assert clip.status == "proposed"


def test_bulk_approve_changes_only_the_chosen_clips_of_that_video(client, approver, media_root):
    video = make_processed_video(approver, media_root, clips=3)
    other = make_processed_video(approver, media_root, clips=1, title="Other")
    ids = list(video.clips.filter(index__in=[0, 2]).values_list("pk", flat=True))
    foreign = other.clips.get().pk
    client.force_login(approver)
    response = client.post(
        reverse("clips_bulk_review", args=[video.pk]),
        {"decision": "approve", "clip": [*ids, foreign], "query": "status=proposed"},
    )
    assert response.status_code == 302 and response.url.endswith("?status=proposed")
    assert sorted(video.clips.filter(status="approved").values_list("index", flat=True)) == [0, 2]
    assert other.clips.get().status == "proposed"
    assert client.post(reverse("clips_bulk_review", args=[video.pk]), {"decision": "maybe"}).status_code == 400


def test_bounds_snap_to_word_edges_and_queue_a_preview_render(
    client, editor, approver, media_root, django_capture_on_commit_callbacks
):
    video = make_processed_video(editor, media_root)
    clip = video.clips.get(index=0)
    client.force_login(editor)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(reverse("clip_bounds", args=[clip.pk]), {"start_s": "0.7", "end_s": "3.3"}, **HTMX)
    clip.refresh_from_db()
    assert (clip.start_s, clip.end_s) == (0.5, 3.4)  # words start every 0.5 s and last 0.4 s
    assert clip.text.startswith("beans") and len(callbacks) == 1
    assert b"the preview is being prepared" in response.content and b"Preparing the preview" in response.content
    response = client.post(reverse("clip_bounds", args=[clip.pk]), {"start_s": "5", "end_s": "5.5"}, **HTMX)
    assert b"at least one second" in response.content
    response = client.post(reverse("clip_bounds", args=[clip.pk]), {"start_s": "5", "end_s": "500"}, **HTMX)
    assert b"only 60.0 s long" in response.content
    client.force_login(approver)
    assert client.post(reverse("clip_bounds", args=[clip.pk]), {"start_s": "0", "end_s": "3"}).status_code == 403


def test_final_render_is_queued_shows_progress_and_downloads_when_ready(
    client, approver, editor, media_root, django_capture_on_commit_callbacks
):
    video = make_processed_video(approver, media_root)
    clip = video.clips.get(index=0)
    client.force_login(editor)
    assert client.post(reverse("clip_final", args=[clip.pk])).status_code == 403
    client.force_login(approver)
    assert client.get(reverse("clip_download", args=[clip.pk])).status_code == 404
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(reverse("clip_final", args=[clip.pk]), **HTMX)
    assert len(callbacks) == 1 and b"Queued" in response.content and b'hx-trigger="every 2s"' in response.content
    ClipJob.objects.filter(clip=clip, kind="final").update(state="running", progress=0.4)
    response = client.get(reverse("clip_final_status", args=[clip.pk]), **HTMX)
    assert response.status_code == 200 and b"Rendering 40 %" in response.content
    final = f"videos/{video.pk}/renders/clip_0_final.mp4"
    (media_root / final).write_bytes(b"final-bytes")
    ClipJob.objects.filter(clip=clip, kind="final").update(state="done", progress=1)
    Clip.objects.filter(pk=clip.pk).update(final=final)
    response = client.get(reverse("clip_final_status", args=[clip.pk]), **HTMX)
    assert response.status_code == 286  # htmx stops polling
    assert b"Download MP4" in response.content and b"every 2s" not in response.content
    response = client.get(reverse("clip_download", args=[clip.pk]))
    assert (
        response["Content-Disposition"].startswith("attachment")
        and b"".join(response.streaming_content) == b"final-bytes"
    )


def test_the_approved_zip_holds_finals_captions_subtitles_and_manifests(client, approver, editor, media_root):
    video = make_processed_video(approver, media_root, clips=3)
    client.force_login(approver)
    response = client.get(reverse("video_download_approved", args=[video.pk]))
    assert response.status_code == 302  # nothing approved yet
    for clip in video.clips.filter(index__in=[0, 2]):
        client.post(reverse("clip_review", args=[clip.pk]), {"decision": "approve"})
    for index in (0, 2):
        final = f"videos/{video.pk}/renders/clip_{index}_final.mp4"
        (media_root / final).write_bytes(b"final-render-%d" % index)
        (media_root / final).with_suffix(".srt").write_text("1\n00:00:00,000 --> 00:00:01,000\nFinal\n")
        Clip.objects.filter(video=video, index=index).update(final=final)
        ClipJob.objects.filter(clip__video=video, clip__index=index, kind="final").update(state="done")
    response = client.get(reverse("video_download_approved", args=[video.pk]))
    assert response["Content-Type"] == "application/zip" and "Talk-approved.zip" in response["Content-Disposition"]
    body = b"".join(response.streaming_content)
    assert int(response["Content-Length"]) == len(body)
    archive = zipfile.ZipFile(io.BytesIO(body))
    assert sorted(archive.namelist()) == sorted(
        [
            "clip_01.mp4",
            "clip_01.txt",
            "clip_01.srt",
            "clip_03.mp4",
            "clip_03.txt",
            "clip_03.srt",
            "manifest.csv",
            "manifest.json",
        ]
    )
    assert archive.read("clip_01.txt").decode() == "Caption for clip 1\n\n#talk #clip1\n"
    assert archive.read("clip_03.mp4") == b"final-render-2" and archive.read("clip_03.srt").startswith(b"1\n")
    manifest = json.loads(archive.read("manifest.json"))
    assert [(row["clip"], row["file"], row["reviewed_by"]) for row in manifest["clips"]] == [
        (1, "clip_01.mp4", "april"),
        (3, "clip_03.mp4", "april"),
    ]
    assert archive.read("manifest.csv").decode().splitlines()[0].startswith("clip,file,start_s")
    client.force_login(editor)
    assert client.get(reverse("video_download_approved", args=[video.pk])).status_code == 403


def test_media_answers_byte_ranges_for_seeking(client, editor, media_root):
    video = make_processed_video(editor, media_root)
    rel = video.clips.get(index=0).preview
    data = (media_root / rel).read_bytes()
    client.force_login(editor)
    url = reverse("media", args=[rel])
    response = client.get(url, HTTP_RANGE="bytes=4-11")
    assert response.status_code == 206 and response["Content-Range"] == f"bytes 4-11/{len(data)}"
    assert b"".join(response.streaming_content) == data[4:12]
    response = client.get(url, HTTP_RANGE="bytes=-5")
    assert b"".join(response.streaming_content) == data[-5:]
    assert client.get(url, HTTP_RANGE=f"bytes={len(data)}-").status_code == 416
    vtt = client.get(reverse("media", args=[video.clips.get(index=0).subtitles_vtt]))
    assert vtt["Content-Type"].startswith("text/vtt")


def test_the_grid_needs_a_fixed_number_of_queries_whatever_the_clip_count(
    client, editor, media_root, django_assert_max_num_queries
):
    video = make_processed_video(editor, media_root, clips=8)
    for clip in video.clips.all():
        client.force_login(editor)
        client.post(reverse("copy_save", args=[clip.pk]), {"text": "edited", "hashtags": "#talk", "version": 1})
    with django_assert_max_num_queries(12):
        assert client.get(reverse("clip_list", args=[video.pk])).status_code == 200


def test_the_player_polls_until_the_re_rendered_preview_lands(client, editor, media_root):
    import os
    import time

    video = make_processed_video(editor, media_root)
    clip = video.clips.get(index=0)
    preview = media_root / clip.preview
    old = int(time.time()) - 100
    os.utime(preview, (old, old))
    client.force_login(editor)
    url = reverse("clip_media", args=[clip.pk])
    response = client.get(f"{url}?since={old + 50}", **HTMX)
    page = response.content.decode()
    assert response.status_code == 200 and "Preparing the preview" in page and 'hx-trigger="every 3s"' in page
    os.utime(preview, (old + 60, old + 60))  # the worker wrote the new preview
    response = client.get(f"{url}?since={old + 50}", **HTMX)
    page = response.content.decode()
    assert (
        response.status_code == 286
        and "Preparing the preview" not in page
        and f"clip_0_preview.mp4?v={old + 60}" in page
    )
    assert "clip_0_preview.vtt?v=" in page
