"""Lists paginated by Django's Paginator, forms rendered through their fields, htmx attributes
instead of hand-written JavaScript, dashboard figures from SQL aggregates."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from clips import selectors
from clips.models import Clip, StageRun, Video

from .ui_support import make_processed_video

HTMX = {"HTTP_HX_REQUEST": "true"}
pytestmark = pytest.mark.postgres


def test_the_video_list_is_paginated_newest_first(client, editor, media_root):
    now = timezone.now()
    for i in range(27):
        Video.objects.create(
            owner=editor, title=f"Talk {i:02d}", source="url", source_url="https://example.com/v",
            status="ready", created=now - timezone.timedelta(minutes=i),
        )  # fmt: skip
    client.force_login(editor)
    first = client.get(reverse("video_list")).content.decode()
    assert "Talk 00" in first and "Talk 24" in first and "Talk 25" not in first and "Page 1 of 2" in first
    second = client.get(reverse("video_list") + "?page=2").content.decode()
    assert "Talk 25" in second and "Talk 26" in second and "Talk 00" not in second
    assert client.get(reverse("video_list") + "?page=99").status_code == 200  # the last page


def test_the_clip_grid_is_paginated_and_pages_keep_the_filters(client, editor, media_root):
    video = make_processed_video(editor, media_root, clips=30)
    client.force_login(editor)
    url = reverse("clip_list", args=[video.pk])
    page = client.get(url).content.decode()
    assert page.count('class="clip-card') == 24 and "Page 1 of 2" in page
    grid = client.get(f"{url}?sort=score&page=2", HTTP_HX_TARGET="clip-grid", **HTMX).content.decode()
    assert grid.count('class="clip-card') == 6 and "<h1>" not in grid
    assert re.search(r'href="\?sort=score&amp;page=1"', grid)


def test_the_new_video_form_shows_every_field_error_next_to_its_field(client, editor):
    client.force_login(editor)
    data = {"url": "https://example.com/v", "clip_preset": "medium", "aspect": "4:3", "subtitle_style": "clean"}
    page = client.post(reverse("video_new"), {**data, "language": "zz"}, **HTMX).content.decode()
    for label, value in (("Aspect ratio", "4:3"), ("Language", "zz")):  # each error inside its field's label
        pattern = rf"<label>{label} <select[^>]*>.*?</select> <span class=\"error field-error\" role=\"alert\">Select a valid choice. {value} is"
        assert re.search(pattern, page, re.S), label
    assert 'hx-disabled-elt="find button[type=submit]"' in page  # htmx disables the button, not our JS
    assert not Video.objects.exists()


def test_clip_counts_and_stage_timings_are_single_queries(editor, media_root, django_assert_num_queries):
    video = make_processed_video(editor, media_root, clips=3)
    video.clips.filter(index=0).update(status=Clip.Status.APPROVED)
    video.clips.filter(index=1).update(status=Clip.Status.REJECTED)
    with django_assert_num_queries(1):
        counts = selectors.clip_counts(video)
    assert counts == {"total": 3, "approved": 1, "rejected": 1, "proposed": 1}
    now = timezone.now()
    StageRun.objects.filter(video=video, stage="ingest").update(
        started_at=now - timezone.timedelta(seconds=30), finished_at=now
    )
    other = make_processed_video(editor, media_root, clips=0, files=False)
    StageRun.objects.filter(video=other, stage="ingest").update(
        started_at=now - timezone.timedelta(seconds=10), finished_at=now
    )
    timing = next(t for t in selectors.dashboard_figures()["timings"] if t.stage == "ingest")
    assert (timing.runs, timing.mean_s, timing.max_s) == (2, 20.0, 30.0)
