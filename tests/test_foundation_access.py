import pytest
from django.contrib.auth.models import Group
from django.http import Http404
from django.urls import reverse

from clips.media import media_path

pytestmark = pytest.mark.postgres


def test_it_redirects_anonymous_users_to_login(client, db):
    response = client.get(reverse("video_list"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_login_page_renders(client, db):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert b"Log in" in response.content


def test_admin_logs_in_and_sees_empty_video_list_and_admin(client, admin_user):
    response = client.post(reverse("login"), {"username": "root", "password": "pw-root"})
    assert response.status_code == 302
    response = client.get(reverse("video_list"))
    assert b"No videos yet" in response.content
    assert client.get(reverse("admin:index")).status_code == 200
    assert client.get(reverse("admin:clips_video_changelist")).status_code == 200


def test_roles_exist_with_their_permissions(db):
    perms = {g.name: {p.codename for p in g.permissions.all()} for g in Group.objects.all()}
    assert "change_copy" in perms["Editor"] and "approve_clip" not in perms["Editor"]
    assert {"approve_clip", "download_clip"} <= perms["Approver"] and "change_copy" not in perms["Approver"]
    assert {"approve_clip", "download_clip", "change_copy", "delete_video"} <= perms["Admin"]


def test_media_is_served_only_to_users_who_may_view(client, editor, nobody, media_root):
    (media_root / "videos" / "1" / "renders").mkdir(parents=True)
    (media_root / "videos" / "1" / "renders" / "clip_0_preview.jpg").write_bytes(b"\xff\xd8fake")
    url = reverse("media", args=["videos/1/renders/clip_0_preview.jpg"])
    assert client.get(url).status_code == 302  # anonymous → login
    client.force_login(nobody)
    assert client.get(url).status_code == 404
    client.force_login(editor)
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"\xff\xd8fake"


def test_media_refuses_paths_outside_media_root(client, editor, media_root):
    (media_root.parent / "secret.txt").write_text("no")
    renders = media_root / "videos" / "1" / "renders"
    renders.mkdir(parents=True)
    (renders / "clip_0_preview.jpg").write_bytes(b"\xff\xd8fake")
    client.force_login(editor)
    # Percent escapes reach the view decoded (an escaped dot still names the poster) ...
    assert client.get("/media/videos/1/renders/clip_0_preview%2ejpg").status_code == 200
    # ... so %2e%2e arrives as "..": refused whether it leaves MEDIA_ROOT or walks around inside it.
    for path in (
        "/media/../secret.txt",
        "/media/%2e%2e/secret.txt",
        "/media/videos/1/renders/%2e%2e/%2e%2e/%2e%2e/%2e%2e/secret.txt",
        "/media/videos/2/%2e%2e/1/renders/clip_0_preview.jpg",
    ):
        response = client.get(path)
        assert response.status_code == 404, path
    # The containment check itself, below the allow-list of kinds.
    assert media_path("videos/1/renders/clip_0_preview.jpg") == (renders / "clip_0_preview.jpg").resolve()
    with pytest.raises(Http404):
        media_path("../secret.txt")
    (renders / "escape.jpg").symlink_to(media_root.parent / "secret.txt")
    with pytest.raises(Http404):
        media_path("videos/1/renders/escape.jpg")


def test_healthz_is_public(client, db):
    assert client.get(reverse("healthz")).json() == {"ok": True}
