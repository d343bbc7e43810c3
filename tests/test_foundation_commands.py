import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from .conftest import REPO_DIR, wait_for, worker_env


def test_ensure_admin_creates_one_admin_with_a_generated_password(db, capsys, monkeypatch, settings, tmp_path):
    """The password goes to a file only its owner can read, never to stdout (container logs)."""
    monkeypatch.delenv("CLIPER_ADMIN_PASSWORD", raising=False)
    settings.DATA_DIR = tmp_path
    call_command("ensure_admin")
    out = capsys.readouterr().out
    password_file = tmp_path / "admin_password"
    password = password_file.read_text().strip()
    assert str(password_file) in out and password not in out
    assert password_file.stat().st_mode & 0o777 == 0o600
    admin = get_user_model().objects.get(username="admin")
    assert admin.is_superuser and admin.check_password(password)
    call_command("ensure_admin")
    assert capsys.readouterr().out == ""
    assert get_user_model().objects.filter(is_superuser=True).count() == 1


def test_ensure_admin_takes_the_password_from_the_environment(db, monkeypatch):
    monkeypatch.setenv("CLIPER_ADMIN_PASSWORD", "s3cret-pass")
    call_command("ensure_admin")
    assert get_user_model().objects.get(username="admin").check_password("s3cret-pass")


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_serve_runs_web_and_worker_and_stops_both_on_ctrl_c(transactional_db, media_root, tmp_path):
    port = _free_port()
    env = {**worker_env(media_root), "CLIPER_DATA_DIR": str(tmp_path)}
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=REPO_DIR, env=env, check=True
    )
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "serve", "--bind", f"127.0.0.1:{port}", "--web-workers", "1"],
        cwd=REPO_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:

        def healthy():
            try:
                return urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).status == 200
            except OSError:
                return False

        wait_for(healthy, timeout_s=60, what="gunicorn to answer")
        page = urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=5).read()
        assert b"Log in" in page
        time.sleep(2)  # let the worker cluster start
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        out, _ = proc.communicate(timeout=40)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert f"http://127.0.0.1:{port}/" in out
    assert "Stopped web server and worker." in out
    assert proc.returncode == 0
    leftovers = subprocess.run(["pgrep", "-f", f"127.0.0.1:{port}"], capture_output=True, text=True).stdout
    assert leftovers.strip() == ""


def test_pipeline_cli_lists_the_stage_commands():
    result = subprocess.run([sys.executable, "-m", "pipeline", "--help"], cwd=REPO_DIR, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    for command in ("fetch", "transcribe", "clips", "copy", "reframe", "render", "run"):
        assert command in result.stdout
