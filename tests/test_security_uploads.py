"""Oversized uploads are refused while they arrive, not after Django has stored them: by the
Content-Length header before the file is read, and by counting bytes as they stream. Files sent
anywhere but the new-video form are never written."""

import http.client
import os
import signal
import socket
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from clips.models import Video

from .conftest import REPO_DIR, wait_for, worker_env
from .pipeline_support import upload_video

pytestmark = pytest.mark.postgres
FORM = {"clip_preset": "medium", "aspect": "9:16", "subtitle_style": "clean"}


def stored_files(media_root):
    return [p for p in media_root.rglob("*") if p.is_file()]


@pytest.fixture
def limit(settings):
    def set_limit(n_bytes):
        settings.CLIPER = {**settings.CLIPER, "MAX_UPLOAD_BYTES": n_bytes}

    return set_limit


def test_a_file_over_the_limit_is_stopped_while_streaming(client, editor, media_root, limit, monkeypatch):
    """Content-Length is within the allowance for form fields, so only the byte count stops it."""
    limit(100_000)
    from clips import uploads

    on_disk = []  # bytes in the temporary file when it was thrown away
    real_discard = uploads.LimitedUploadHandler._discard

    def measuring_discard(self):
        if hasattr(self, "file"):
            self.file.flush()
            on_disk.append(Path(self.file.temporary_file_path()).stat().st_size)
        real_discard(self)

    monkeypatch.setattr(uploads.LimitedUploadHandler, "_discard", measuring_discard)
    client.force_login(editor)
    upload = SimpleUploadedFile("talk.mp4", b"\0" * 150_000, content_type="video/mp4")
    response = client.post(reverse("video_new"), {"upload": upload, **FORM})
    assert response.status_code == 400
    assert "larger than the 100 kB limit" in response.content.decode()
    assert on_disk and max(on_disk) <= 100_000  # stopped mid-stream, never a byte past the limit
    assert not Video.objects.exists() and stored_files(media_root) == []


def test_a_content_length_over_the_limit_is_refused_before_the_file_is_read(client, editor, media_root, limit):
    limit(100_000)
    from clips import uploads

    opened = []
    real_init = uploads._MediaTemporaryFile.__init__

    def spy(self, *args, **kwargs):
        opened.append(args)
        real_init(self, *args, **kwargs)

    uploads._MediaTemporaryFile.__init__ = spy
    try:
        client.force_login(editor)
        upload = SimpleUploadedFile("talk.mp4", b"\0" * 400_000, content_type="video/mp4")
        response = client.post(reverse("video_new"), {"upload": upload, **FORM})
    finally:
        uploads._MediaTemporaryFile.__init__ = real_init
    assert response.status_code == 400 and "larger than the 100 kB limit" in response.content.decode()
    assert opened == [] and stored_files(media_root) == []


def test_a_file_posted_to_another_url_is_never_written(client, editor, media_root):
    """Any multipart POST used to be streamed to a temporary file before the view could refuse it."""
    video_url = reverse("copy_save", args=[1])
    client.force_login(editor)
    upload = SimpleUploadedFile("big.bin", b"\0" * 300_000)
    client.post(video_url, {"file": upload})
    assert stored_files(media_root) == []


def test_an_anonymous_upload_is_never_written(client, db, media_root):
    upload = SimpleUploadedFile("talk.mp4", b"\0" * 300_000, content_type="video/mp4")
    response = client.post(reverse("video_new"), {"upload": upload, **FORM})
    assert response.status_code in (302, 403)
    assert stored_files(media_root) == []


@pytest.fixture
def gunicorn(transactional_db, media_root, tmp_path):
    """The production web server (gunicorn, as `manage.py serve` runs it) on this test's database."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**worker_env(media_root), "CLIPER_MAX_UPLOAD_BYTES": str(1024**3)}
    env["DJANGO_SETTINGS_MODULE"] = "cliper_site.settings_test"  # plain static files, no manifest
    log = open(tmp_path / "gunicorn.log", "wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "cliper_site.wsgi", "--bind", f"127.0.0.1:{port}", "--threads", "4"],
        cwd=REPO_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip

    def up():
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return True
        except OSError:
            return proc.poll() is not None

    wait_for(up, timeout_s=60, what="gunicorn")
    assert proc.poll() is None, (tmp_path / "gunicorn.log").read_text()
    yield port
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(timeout=30)


def test_a_real_multi_gigabyte_streamed_upload_is_refused_before_it_is_stored(
    gunicorn, client, editor, media_root, tmp_path
):
    """A 3 GB sparse file streamed over a real socket to gunicorn with a 1 GiB limit: the
    server answers and stops reading after a few megabytes; nothing reaches disk or database."""
    sparse = tmp_path / "huge.mp4"
    with open(sparse, "wb") as f:
        f.truncate(3 * 1024**3)
    client.force_login(editor)
    session = client.cookies["sessionid"].value
    csrf = "a" * 32
    boundary = uuid.uuid4().hex
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="upload"; filename="huge.mp4"\r\n'
        "Content-Type: video/mp4\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    length = len(head) + sparse.stat().st_size + len(tail)
    conn = http.client.HTTPConnection("127.0.0.1", gunicorn, timeout=60)
    conn.putrequest("POST", reverse("video_new"))
    conn.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
    conn.putheader("Content-Length", str(length))
    conn.putheader("Cookie", f"sessionid={session}; csrftoken={csrf}")
    conn.putheader("X-CSRFToken", csrf)
    conn.endheaders()
    sent = {"bytes": 0, "stopped": None}

    def send_body():
        try:
            conn.sock.sendall(head)
            with open(sparse, "rb") as f:
                while chunk := f.read(1024**2):
                    conn.sock.sendall(chunk)
                    sent["bytes"] += len(chunk)
            conn.sock.sendall(tail)
        except OSError as exc:  # the server hung up on us: that is the refusal
            sent["stopped"] = exc

    sender = threading.Thread(target=send_body, daemon=True)
    sender.start()
    status, body = None, ""
    try:
        response = conn.getresponse()
        status, body = response.status, response.read().decode(errors="replace")
    except (TimeoutError, ConnectionError, http.client.HTTPException):
        pass
    sender.join(timeout=60)
    conn.close()
    assert not sender.is_alive()
    assert sent["stopped"] is not None and sent["bytes"] < 512 * 1024**2, sent  # it stopped reading early
    if status is not None:
        assert status == 400 and "larger than the 1.07 GB limit" in body, body[-2000:]
    assert not Video.objects.exists()
    assert stored_files(media_root) == []


def test_an_upload_ingest_refuses_is_deleted(admin_user, tmp_path, media_root, run_queue):
    path = tmp_path / "notes.mp4"
    path.write_bytes(b"#EXTM3U\n#EXTINF:6,\nfile:/etc/passwd\n")
    with run_queue():
        video = upload_video(admin_user, path)
    video.refresh_from_db()
    assert video.stage_runs.get(stage="ingest").state == "failed"
    assert not video.original and list((media_root / "uploads").rglob("*.*")) == []


def test_the_upload_copy_goes_once_ingest_has_checked_the_media(
    admin_user, tmp_path, media_root, django_capture_on_commit_callbacks
):
    from django.core.files import File

    from clips import services, stage_results
    from pipeline.schemas import MediaInfo

    path = tmp_path / "talk.mp4"
    path.write_bytes(b"\x00\x00\x00\x18ftypmp42")
    with open(path, "rb") as f:
        video = services.video_create(
            owner=admin_user, source=Video.Source.UPLOAD, upload=File(f, name="talk.mp4"), start=False
        )
    upload = media_root / video.original.name
    video.workdir.mkdir(parents=True)
    os.link(upload, video.workdir / "source.mp4")  # what ingest does on one file system
    info = MediaInfo(media_file="source.mp4", title="talk", duration=60, width=160, height=90, fps=10,
                     video_codec="h264", audio_codec="aac", size_bytes=16)  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        stage_results.import_ingest(video, info)
    video.refresh_from_db()
    assert not upload.exists() and video.original.name == f"videos/{video.pk}/source.mp4"
    assert (video.workdir / "source.mp4").read_bytes() == b"\x00\x00\x00\x18ftypmp42"


def test_the_upload_is_stored_before_the_database_write_lock_is_taken(transactional_db, admin_user, tmp_path):
    """Storing a multi-GB upload inside the transaction held SQLite's write lock for the copy."""
    from django.core.files import File
    from django.core.files.storage import FileSystemStorage
    from django.db import connection

    from clips import services

    in_transaction = []
    real_save = FileSystemStorage._save

    def spying_save(self, name, content):
        in_transaction.append(connection.in_atomic_block)
        return real_save(self, name, content)

    path = tmp_path / "talk.mp4"
    path.write_bytes(b"\x00\x00\x00\x18ftypmp42")
    FileSystemStorage._save = spying_save
    try:
        with open(path, "rb") as f:
            services.video_create(
                owner=admin_user, source=Video.Source.UPLOAD, upload=File(f, name="talk.mp4"), start=False
            )
    finally:
        FileSystemStorage._save = real_save
    assert in_transaction == [False]
    assert Video.objects.get().original
