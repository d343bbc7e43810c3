"""Bad input through the pages: refused with a message, nothing queued; hostile text shown literally."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from clips.models import Copy, Video

from .ui_support import make_processed_video

HTMX = {"HTTP_HX_REQUEST": "true"}


def new_video(client, **data):
    fields = {"clip_preset": "medium", "aspect": "9:16", "subtitle_style": "clean", **data}
    return client.post(reverse("video_new"), fields)


def test_an_upload_over_the_size_limit_is_refused_in_the_page(client, approver, settings):
    settings.CLIPER = {**settings.CLIPER, "MAX_UPLOAD_BYTES": 1024}
    client.force_login(approver)
    response = new_video(client, upload=SimpleUploadedFile("big talk.mp4", b"\x00" * 4096, "video/mp4"))
    assert response.status_code == 400
    assert "larger than the" in response.content.decode()
    assert Video.objects.count() == 0


@pytest.mark.parametrize(
    "url, message",
    [
        ("ftp://example.com/talk.mp4", "Only http:// and https://"),
        ("http://127.0.0.1:8000/talk.mp4", "private"),
        ("http://169.254.169.254/latest/meta-data", "private"),
    ],
)
def test_unsafe_urls_are_refused_before_anything_is_queued(client, approver, settings, url, message):
    settings.CLIPER = {**settings.CLIPER, "ALLOW_PRIVATE_URLS": False}
    client.force_login(approver)
    response = new_video(client, url=url)
    assert response.status_code == 400
    assert message.lower() in response.content.decode().lower()
    assert Video.objects.count() == 0


HOSTILE = [
    "<script>alert('x')</script> watch this",
    r"{\fs400\pos(10,10)}big {\b1}bold",
    "שלום עולם — مرحبا بالعالم",
    "long " * 400,
]


@pytest.mark.parametrize("text", HOSTILE, ids=["html", "ass", "rtl", "long"])
def test_hostile_caption_text_is_stored_and_shown_literally(client, editor, media_root, text, settings):
    settings.CLIPER = {**settings.CLIPER, "MANDATORY_HASHTAGS": []}
    clip = make_processed_video(editor, media_root).clips.get(index=0)
    client.force_login(editor)
    response = client.post(
        reverse("copy_save", args=[clip.pk]), {"text": text, "hashtags": "#talk", "version": 1}, **HTMX
    )
    assert response.status_code == 200
    assert Copy.objects.get(clip=clip).text == text.strip()
    page = client.get(reverse("clip_list", args=[clip.video_id])).content.decode()
    assert "<script>alert" not in page
    if "script" in text:
        assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    else:
        assert text.strip()[:60] in page
