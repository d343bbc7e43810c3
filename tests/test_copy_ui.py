"""The review UI's copy bits: the "Local model server" picker on the new-video form (fake
OpenAI-compatible server on 127.0.0.1) and the title field of a clip's copy."""

import pytest
from django.urls import reverse

from clips.forms import VideoForm
from clips.models import Copy, Video
from clips.options import pipeline_options

from .copy_support import FakeReply, FakeServer, openai_models
from .ui_support import make_processed_video

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def model_server(settings):
    """A fake server listing two models (one with a hostile name), configured as the site's."""
    with FakeServer(lambda request, number: openai_models("qwen2.5:3b-instruct", '"><script>x</script>')) as server:
        settings.CLIPER = {**settings.CLIPER, "OPENAI_BASE_URL": f"{server.url}/v1", "OPENAI_MODEL": ""}
        yield server


def picker(client, **query):
    return client.get(reverse("local_model_server"), query, **HTMX).content.decode()


def test_the_form_offers_the_local_model_server_and_lists_its_models(client, editor, model_server):
    client.force_login(editor)
    form_page = client.get(reverse("video_list")).content.decode()
    page = picker(client, copy_provider="openai", copy_model="qwen2.5:3b-instruct")

    assert "Local model server (OpenAI-compatible)" in form_page and 'id="local-model-server"' in form_page
    assert f"{model_server.url}/v1 answers" in page and "2 models served" in page
    assert '<option value="qwen2.5:3b-instruct" selected>' in page
    assert "<script>x" not in page and "&lt;script&gt;" in page  # a server's names are text, not markup
    assert [(request.method, request.path) for request in model_server.requests] == [("GET", "/v1/models")]


def test_the_picker_says_when_the_server_does_not_answer_and_stays_empty_for_other_writers(client, editor, settings):
    with FakeServer(lambda request, number: FakeReply()) as server:
        url = server.url  # nothing listens there once closed
    settings.CLIPER = {**settings.CLIPER, "OPENAI_BASE_URL": f"{url}/v1"}
    client.force_login(editor)

    assert "Cannot reach" in picker(client, copy_provider="openai")
    assert "<select" not in picker(client, copy_provider="local").strip()


def test_the_picker_is_for_people_who_may_add_videos(client, db, django_user_model, model_server):
    nobody = django_user_model.objects.create_user(username="nobody", password="pw")
    client.force_login(nobody)

    assert client.get(reverse("local_model_server"), {"copy_provider": "openai"}).status_code == 403
    assert model_server.requests == []


def test_the_picked_model_reaches_the_pipeline_and_odd_names_are_refused(editor, media_root):
    video = make_processed_video(editor, media_root)
    video.copy_provider, video.copy_model = "openai", "qwen2.5:3b-instruct"
    base = {"url": "https://example.com/talk.mp4", "clip_preset": "medium", "aspect": "9:16"}
    base |= {"subtitle_style": "clean", "copy_provider": "openai"}

    assert pipeline_options(video).openai_model == "qwen2.5:3b-instruct"
    assert "copy_model" in VideoForm(data={**base, "copy_model": 'x", "tools": ['}).errors
    assert "copy_model" not in VideoForm(data={**base, "copy_model": "org/model-7b.Q4_K_M.gguf"}).errors
    assert Video._meta.get_field("copy_model").max_length == 200


def test_a_clip_shows_its_title_and_an_editor_can_change_it(client, editor, media_root):
    clip = make_processed_video(editor, media_root).clips.get(index=0)
    Copy.objects.filter(clip=clip).update(title="Why the sky is blue")
    client.force_login(editor)

    assert "Why the sky is blue" in client.get(reverse("clip_list", args=[clip.video_id])).content.decode()
    copy = Copy.objects.get(clip=clip)
    data = {"text": copy.text, "hashtags": " ".join(copy.hashtags), "version": copy.version}
    too_long = client.post(reverse("copy_save", args=[clip.pk]), {**data, "title": "x" * 71}, **HTMX)
    saved = client.post(reverse("copy_save", args=[clip.pk]), {**data, "title": "Blue skies, explained"}, **HTMX)
    untouched = client.post(
        reverse("copy_save", args=[clip.pk]), {**data, "version": copy.version + 1, "text": "New text"}, **HTMX
    )

    assert "at most 70 characters" in too_long.content.decode()
    assert "Caption saved" in saved.content.decode() and "Caption saved" in untouched.content.decode()
    copy.refresh_from_db()
    assert (copy.title, copy.text) == ("Blue skies, explained", "New text")  # a form without a title keeps it
