"""Caption editing: inline form, rules (limit, mandatory hashtags), history, optimistic locking, CSRF."""

import json
import re
import threading
import time

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from clips import review
from clips.models import Clip, Copy, CopyEdit

from .ui_support import make_processed_video

HTMX = {"HTTP_HX_REQUEST": "true"}
pytestmark = pytest.mark.postgres  # the compare-and-set save runs on PostgreSQL too


@pytest.fixture
def clip(editor, media_root):
    return make_processed_video(editor, media_root).clips.get(index=0)


def save(client, clip, text, hashtags, version):
    return client.post(
        reverse("copy_save", args=[clip.pk]), {"text": text, "hashtags": hashtags, "version": version}, **HTMX
    )


def test_edit_opens_the_form_with_the_current_text_and_a_counter(client, editor, clip):
    client.force_login(editor)
    page = client.get(reverse("copy_edit", args=[clip.pk]), **HTMX).content.decode()
    assert "Caption for clip 1</textarea>" in page and 'value="#talk #clip1"' in page
    assert 'name="version" value="1"' in page and "/ 2200 characters on tiktok" in page


def test_a_save_bumps_the_version_and_records_history(client, editor, clip):
    client.force_login(editor)
    response = save(client, clip, "  A better caption  ", "talk, #Coffee #coffee", 1)
    page = response.content.decode()
    assert "Caption saved (version 2)" in page and "A better caption" in page and "Edit history (1)" in page
    copy = Copy.objects.get(clip=clip)
    assert (copy.text, copy.hashtags, copy.version, copy.edited_by) == (
        "A better caption",
        ["#talk", "#Coffee"],
        2,
        editor,
    )
    edit = CopyEdit.objects.get()
    assert (edit.before_text, edit.after_text, edit.version, edit.user) == (
        "Caption for clip 1",
        "A better caption",
        2,
        editor,
    )
    assert edit.before_hashtags == ["#talk", "#clip1"]
    # the history is shown on the clip
    grid = client.get(reverse("clip_list", args=[clip.video_id])).content.decode()
    assert "<del>Caption for clip 1 #talk #clip1</del>" in grid and "edna" in grid


def test_the_second_save_of_the_same_version_gets_a_conflict_with_both_texts(client, editor, django_user_model, clip):
    from .conftest import make_user

    other = make_user(django_user_model, "otto", "Editor")
    first, second = Client(), Client()
    first.force_login(editor)
    second.force_login(other)
    assert "Caption saved" in save(first, clip, "Edna's caption", "#talk", 1).content.decode()
    page = save(second, clip, "Otto's caption", "#talk #otto", 1).content.decode()
    assert "Someone else saved this caption" in page
    assert "Edna&#x27;s caption" in page and "Otto&#x27;s caption</textarea>" in page  # both texts shown
    assert 'name="version" value="2"' in page  # saving again is a deliberate overwrite
    copy = Copy.objects.get(clip=clip)
    assert copy.text == "Edna's caption" and copy.version == 2
    assert "Caption saved (version 3)" in save(second, clip, "Otto's caption", "#talk #otto", 2).content.decode()
    assert list(CopyEdit.objects.order_by("version").values_list("after_text", flat=True)) == [
        "Edna's caption",
        "Otto's caption",
    ]


@pytest.mark.django_db(transaction=True)
def test_two_racing_saves_of_the_same_version_let_exactly_one_win(editor, media_root):
    """Two reviewers, two database connections, released together by a barrier at the first
    write-side statement on the caption (the row lock on PostgreSQL, the UPDATE on SQLite): on
    PostgreSQL both have read version 1 before either locks; SQLite (IMMEDIATE transactions)
    serialises them, and the barrier times out in the one that holds the lock."""
    clip = make_processed_video(editor, media_root).clips.get(index=0)
    at_write = threading.Barrier(2, timeout=3)
    met, results, waited = [], {}, threading.local()

    def wait_for_the_other(execute, sql, params, many, context):
        locks = sql.startswith("SELECT") and '"clips_copy"' in sql and "FOR UPDATE" in sql
        if (locks or sql.startswith('UPDATE "clips_copy"')) and not getattr(waited, "done", False):
            waited.done = True
            try:
                at_write.wait()
                met.append(True)
            except threading.BrokenBarrierError:
                pass
        return execute(sql, params, many, context)

    def save_as(text):
        try:
            with connection.execute_wrapper(wait_for_the_other):
                fresh = Clip.objects.get(pk=clip.pk)
                results[text] = review.copy_save(clip=fresh, user=editor, text=text, hashtags=[], base_version=1)
        finally:
            connection.close()

    threads = [threading.Thread(target=save_as, args=(text,)) for text in ("one", "two")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [text for text, result in results.items() if result.saved]
    losers = [result for result in results.values() if not result.saved]
    assert len(winners) == 1 and len(losers) == 1, results
    assert losers[0].conflict is not None and losers[0].conflict.text == winners[0]
    copy = Copy.objects.get(clip=clip)
    assert (copy.text, copy.version) == (winners[0], 2) and CopyEdit.objects.filter(copy=copy).count() == 1
    if connection.vendor == "postgresql":
        assert len(met) == 2  # both were between their read and their write at once


def test_mandatory_hashtags_are_enforced_inline(client, editor, clip, settings):
    settings.CLIPER = {**settings.CLIPER, "MANDATORY_HASHTAGS": ["#Brand", "CDMX"]}
    client.force_login(editor)
    page = save(client, clip, "New text", "#talk #brand", 1).content.decode()
    assert "Mandatory hashtag missing: #CDMX" in page and 'aria-invalid="true"' in page
    assert "New text</textarea>" in page  # what was typed stays
    assert Copy.objects.get(clip=clip).version == 1
    assert "Caption saved" in save(client, clip, "New text", "#talk #brand #cdmx", 1).content.decode()


def test_the_platform_limit_counts_text_and_hashtags(client, editor, clip, settings):
    settings.CLIPER = {**settings.CLIPER, "PLATFORM": "x"}
    client.force_login(editor)
    page = save(client, clip, "x" * 270, "#talk #long", 1).content.decode()
    assert "283 characters with its hashtags; the x limit is 280" in page
    assert "Caption saved" in save(client, clip, "x" * 267, "#talk #long", 1).content.decode()
    assert "cannot be empty" in save(client, clip, "   ", "", 2).content.decode()


def test_a_clip_whose_copy_failed_can_be_written_by_hand(client, editor, clip):
    Copy.objects.filter(clip=clip).update(text="", hashtags=[], failure_reason="The model refused")
    client.force_login(editor)
    page = client.get(reverse("copy_view", args=[clip.pk]), **HTMX).content.decode()
    assert "Copy could not be written: The model refused" in page
    assert "Caption saved" in save(client, clip, "Hand written", "#talk", 1).content.decode()
    assert Copy.objects.get(clip=clip).failure_reason == ""


def test_only_editors_edit_and_regenerate(client, approver, nobody, clip):
    client.force_login(approver)
    assert client.get(reverse("copy_edit", args=[clip.pk])).status_code == 403
    assert save(client, clip, "nope", "", 1).status_code == 403
    assert client.post(reverse("copy_regenerate", args=[clip.pk])).status_code == 403
    client.force_login(nobody)
    assert client.get(reverse("copy_view", args=[clip.pk])).status_code == 404
    assert Copy.objects.get(clip=clip).text == "Caption for clip 1"


def test_regenerate_queues_a_task_and_polls_until_a_newer_version(
    client, editor, clip, django_capture_on_commit_callbacks
):
    client.force_login(editor)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        page = client.post(reverse("copy_regenerate", args=[clip.pk]), **HTMX).content.decode()
    assert len(callbacks) == 1 and "Writing new copy" in page and "?after=1" in page
    assert "Writing new copy" in client.get(reverse("copy_view", args=[clip.pk]) + "?after=1", **HTMX).content.decode()
    Copy.objects.filter(clip=clip).update(text="Fresh copy", version=2)
    page = client.get(reverse("copy_view", args=[clip.pk]) + "?after=1", **HTMX).content.decode()
    assert "Fresh copy" in page and "every 2s" not in page


def test_htmx_posts_need_the_csrf_token(editor, clip):
    client = Client(enforce_csrf_checks=True)
    client.force_login(editor)
    page = client.get(reverse("clip_list", args=[clip.video_id])).content.decode()
    token = page.split('"X-CSRFToken": "')[1].split('"')[0]  # what base.html hands htmx
    data = {"text": "csrf", "hashtags": "", "version": 1}
    url = reverse("copy_save", args=[clip.pk])
    assert client.post(url, data, **HTMX).status_code == 403
    assert Copy.objects.get(clip=clip).version == 1
    response = client.post(url, data, HTTP_X_CSRFTOKEN=token, **HTMX)
    assert response.status_code == 200 and Copy.objects.get(clip=clip).text == "csrf"


def test_waiting_for_regenerated_copy_gives_up_after_a_while(client, editor, clip):
    from clips.views import REGENERATE_WAIT_S

    client.force_login(editor)
    url = reverse("copy_view", args=[clip.pk])
    asked = int(time.time()) - 10
    response = client.get(f"{url}?after=1&since={asked}", **HTMX)
    assert response.status_code == 200 and f"since={asked}" in response.content.decode()  # keeps polling
    response = client.get(f"{url}?after=1&since={asked - REGENERATE_WAIT_S}", **HTMX)
    page = response.content.decode()
    assert response.status_code == 286 and "No new copy yet" in page and "every 2s" not in page
    Copy.objects.filter(clip=clip).update(version=2, text="Fresh copy")  # the worker wrote it
    response = client.get(f"{url}?after=1&since={asked}", **HTMX)
    assert response.status_code == 286 and "Fresh copy" in response.content.decode()


def test_the_clips_page_carries_the_caption_rules_for_the_counter(client, editor, clip, settings):
    settings.CLIPER = {**settings.CLIPER, "PLATFORM": "x", "MANDATORY_HASHTAGS": ["brand", "#Brand"]}
    client.force_login(editor)
    page = client.get(reverse("clip_list", args=[clip.video_id])).content.decode()
    blob = re.search(r'<script id="caption-rules" type="application/json">(.*?)</script>', page, re.S)
    rules = json.loads(blob.group(1))
    assert (rules["platform"], rules["limit"], rules["mandatory"]) == ("x", 280, ["#brand"])
    assert "/ 280 characters on x" in client.get(reverse("copy_edit", args=[clip.pk]), **HTMX).content.decode()
