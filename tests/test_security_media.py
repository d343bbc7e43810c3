"""Attacks on /media/ and on the pages: stored XSS through uploads, role bypass by URL, a
Range header that used to raise a 500, inline script the CSP must make unnecessary."""

import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from clips.models import Clip, Video

from .ui_support import make_processed_video

pytestmark = pytest.mark.postgres
REPO_DIR = Path(__file__).resolve().parent.parent
HTML_ATTACK = b"<html><script>fetch('/admin/')</script></html>"
FORM = {"clip_preset": "medium", "aspect": "9:16", "subtitle_style": "clean"}


def media_url(relpath: str) -> str:
    return reverse("media", args=[relpath])


def get(client, relpath: str, **headers):
    return client.get(media_url(relpath), headers=headers)


@pytest.fixture
def video(editor, media_root):
    return make_processed_video(editor, media_root, clips=1)


def test_an_uploaded_html_or_svg_file_is_refused_and_nothing_is_stored(client, editor, media_root):
    client.force_login(editor)
    for name, body in (("x.html", HTML_ATTACK), ("x.svg", b"<svg onload='alert(1)'/>"), ("talk.mp4.html", HTML_ATTACK)):
        upload = SimpleUploadedFile(name, body, content_type="video/mp4")
        response = client.post(reverse("video_new"), {"upload": upload, **FORM})
        assert response.status_code == 400 and b"is not a video file type" in response.content, name
    assert not Video.objects.exists()
    stored = [p for p in media_root.rglob("*") if p.is_file()]
    assert stored == []  # neither in uploads/ nor left as a temporary file


def test_an_upload_is_stored_under_a_generated_name_with_its_checked_extension(
    client, editor, media_root, django_capture_on_commit_callbacks
):
    client.force_login(editor)
    upload = SimpleUploadedFile("../../My Talk.MP4", b"\x00\x00\x00\x18ftypmp42", content_type="text/html")
    with django_capture_on_commit_callbacks(execute=False):
        client.post(reverse("video_new"), {"upload": upload, **FORM})
    video = Video.objects.get()
    name = Path(video.original.name)
    assert re.fullmatch(r"[0-9a-f]{32}\.mp4", name.name), name
    assert name.parts[0] == "uploads" and video.title == "My Talk"
    assert (media_root / video.original.name).is_file()


def test_uploads_are_never_served_even_to_an_admin(client, admin_user, media_root):
    (media_root / "uploads" / "2026" / "12").mkdir(parents=True)
    (media_root / "uploads" / "2026" / "12" / "x.html").write_bytes(HTML_ATTACK)
    (media_root / "uploads" / "2026" / "12" / "talk.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42")
    client.force_login(admin_user)
    assert get(client, "uploads/2026/12/x.html").status_code == 404
    assert get(client, "uploads/2026/12/talk.mp4").status_code == 404


def test_only_the_allow_listed_kinds_of_a_work_directory_are_served(client, admin_user, video, media_root):
    workdir = video.workdir
    for name in ("audio.wav", "transcript.json", "media.json", "x.html", "source.html", "renders/clip_0_crop.json",
                 "renders/clip_0_preview.svg", "renders/.clip_0_preview.part.mp4"):  # fmt: skip
        (workdir / name).write_bytes(HTML_ATTACK)
    client.force_login(admin_user)
    for name in ("audio.wav", "transcript.json", "media.json", "x.html", "source.html", "renders/clip_0_crop.json",
                 "renders/clip_0_preview.svg", "renders/.clip_0_preview.part.mp4"):  # fmt: skip
        assert get(client, f"videos/{video.pk}/{name}").status_code == 404, name
    assert get(client, f"videos/{video.pk}/renders/clip_0_preview.mp4").status_code == 200


def test_a_symlink_in_a_work_directory_does_not_serve_what_it_points_to(client, admin_user, video, media_root):
    (media_root / "uploads").mkdir()
    (media_root / "uploads" / "evil.html").write_bytes(HTML_ATTACK)
    (video.workdir / "source.mp4").symlink_to(media_root / "uploads" / "evil.html")
    client.force_login(admin_user)
    assert get(client, f"videos/{video.pk}/source.mp4").status_code == 404


def test_media_responses_carry_a_fixed_type_nosniff_and_a_sandbox(client, editor, video):
    client.force_login(editor)
    response = get(client, f"videos/{video.pk}/renders/clip_0_preview.mp4")
    assert response["Content-Type"] == "video/mp4"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"] == "inline"
    csp = response["Content-Security-Policy"]
    assert "sandbox" in csp and "default-src 'none'" in csp
    response = get(client, f"videos/{video.pk}/renders/clip_0_preview.srt")
    assert response["Content-Disposition"].startswith("attachment")
    assert get(client, f"videos/{video.pk}/renders/clip_0_preview.vtt")["Content-Type"] == "text/vtt; charset=utf-8"


def test_final_renders_need_the_download_permission(client, editor, approver, video, media_root):
    rel = f"videos/{video.pk}/renders/clip_0_final.mp4"
    (media_root / rel).write_bytes(b"\x00\x00\x00\x18ftypmp42final")
    Clip.objects.filter(video=video).update(final=rel)
    client.force_login(editor)  # an Editor may watch previews, not take finals
    assert get(client, rel).status_code == 404
    assert get(client, f"videos/{video.pk}/renders/clip_0_preview.mp4").status_code == 200
    client.force_login(approver)
    assert get(client, rel).status_code == 200


def test_the_source_video_needs_a_role(client, nobody, editor, video):
    (video.workdir / "source.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42")
    client.force_login(nobody)
    assert get(client, f"videos/{video.pk}/source.mp4").status_code == 404
    client.force_login(editor)
    response = get(client, f"videos/{video.pk}/source.mp4")
    assert response.status_code == 200 and response["Content-Type"] == "video/mp4"


def test_a_huge_range_header_is_unsatisfiable_not_a_server_error(client, editor, video):
    client.force_login(editor)
    rel = f"videos/{video.pk}/renders/clip_0_preview.mp4"
    for header in ("bytes=" + "9" * 5000 + "-", "bytes=0-" + "9" * 5000, "bytes=-" + "9" * 5000):
        response = get(client, rel, Range=header)
        assert response.status_code == 416 and response["Content-Range"].startswith("bytes */"), header[:20]
    response = get(client, rel, Range="bytes=2-5")
    assert response.status_code == 206 and b"".join(response.streaming_content) == b"\x00\x18ft"


def test_every_page_gets_a_csp_that_allows_scripts_from_our_files_only(client, editor, video):
    client.force_login(editor)
    for url in (reverse("video_list"), reverse("video_detail", args=[video.pk]), reverse("clip_list", args=[video.pk])):
        csp = client.get(url)["Content-Security-Policy"]
        script_src = re.search(r"script-src ([^;]*)", csp).group(1)
        assert script_src.split() == ["'self'"], csp
        assert "object-src 'none'" in csp and "frame-ancestors 'none'" in csp


def test_no_template_has_inline_script_or_event_handlers():
    """The CSP blocks them, so one would silently stop working."""
    offenders = []
    for template in (REPO_DIR / "templates").rglob("*.html"):
        text = template.read_text()
        if re.search(r"<[a-z][^>]*\son[a-z]+\s*=", text, re.I) or re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text):
            offenders.append(template.name)
        if "javascript:" in text or "hx-on" in text:
            offenders.append(template.name)
    assert offenders == []
