"""Low-severity holes: readable secrets on disk, login guessing, password reset without mail,
secrets in option models, a Docker build that bakes local data into the image."""

import json
import stat
import subprocess
import sys

import pytest
from django.urls import NoReverseMatch, reverse

from pipeline.schemas import PipelineOptions

from .conftest import REPO_DIR

pytestmark = pytest.mark.postgres


def test_the_data_dir_secret_key_and_sqlite_file_are_private(tmp_path):
    data = tmp_path / "data"
    code = "import django; django.setup(); from django.db import connection; connection.ensure_connection()"
    env = {"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "cliper_site.settings", "CLIPER_DATA_DIR": str(data)}
    subprocess.run([sys.executable, "-c", code], cwd=REPO_DIR, env=env, check=True, capture_output=True)
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    for name in ("secret_key", "db.sqlite3"):
        assert stat.S_IMODE((data / name).stat().st_mode) == 0o600, name


@pytest.fixture
def locmem_cache(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "login"}}
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def test_logins_are_throttled_after_repeated_failures(client, editor, locmem_cache, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    url = reverse("login")
    for _ in range(3):
        assert b"Please enter a correct username" in client.post(url, {"username": "edna", "password": "nope"}).content
    # Even the right password is refused while the account is locked.
    response = client.post(url, {"username": "edna", "password": "pw-edna"})
    assert response.status_code == 200 and b"Too many failed logins" in response.content
    assert "_auth_user_id" not in client.session


def test_the_admin_login_is_throttled_too(client, admin_user, locmem_cache, settings):
    settings.LOGIN_FAILURE_LIMIT = 2
    url = reverse("admin:login")
    for _ in range(2):
        client.post(url, {"username": "root", "password": "nope"})
    response = client.post(url, {"username": "root", "password": "pw-root"})
    assert b"Too many failed logins" in response.content and "_auth_user_id" not in client.session


def test_a_good_login_still_works(client, editor, locmem_cache):
    response = client.post(reverse("login"), {"username": "edna", "password": "pw-edna"})
    assert response.status_code == 302 and client.session["_auth_user_id"] == str(editor.pk)


def test_password_reset_is_not_offered_without_mail(client, db):
    with pytest.raises(NoReverseMatch):
        reverse("password_reset")
    assert client.get("/accounts/password_reset/").status_code in (302, 404)


def test_api_keys_in_pipeline_options_never_print():
    options = PipelineOptions(gemini_api_key="AIza-very-secret", openai_api_key="sk-very-secret")
    shown = repr(options) + str(options) + options.model_dump_json()
    assert "very-secret" not in shown
    assert options.gemini_api_key.get_secret_value() == "AIza-very-secret"


def test_docker_builds_leave_local_data_out_and_do_not_trust_every_host():
    ignored = (REPO_DIR / ".dockerignore").read_text().split()
    for path in ("var/", ".venv/", "models/", ".git"):
        assert path in ignored, path
    dockerfile = (REPO_DIR / "Dockerfile").read_text()
    assert "ALLOWED_HOSTS=*" not in dockerfile


def test_settings_show_no_secret_in_the_json_dump_of_options():
    """What the worker logs about a stage's options must not carry keys either."""
    dumped = json.loads(PipelineOptions(gemini_api_key="k-123456").model_dump_json())
    assert "k-123456" not in json.dumps(dumped)


@pytest.mark.parametrize(
    "error",
    [
        RuntimeError("cannot parse /srv/cliper/var/media/videos/1/media.json"),
        PermissionError(13, "Permission denied", "/srv/cliper/var/media/videos/1/audio.wav"),
        OSError("[Errno 28] writing /srv/cliper/var/media/tmp"),
    ],
)
def test_failure_messages_shown_to_users_carry_no_server_paths(admin_user, tmp_path, run_queue, monkeypatch, error):
    import pipeline.ingest

    from .pipeline_support import upload_video

    def crash(*args, **kwargs):
        raise error

    monkeypatch.setattr(pipeline.ingest, "run", crash)
    path = tmp_path / "talk.mp4"
    path.write_bytes(b"\x00\x00\x00\x18ftypmp42")
    with run_queue():
        video = upload_video(admin_user, path)
    message = video.stage_runs.get(stage="ingest").message
    assert message and "/srv/" not in message and "media.json" not in message, message
