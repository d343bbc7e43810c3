"""Shared fixtures: users in each role, an isolated MEDIA_ROOT, a real qcluster worker process."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO_DIR = Path(__file__).resolve().parent.parent
ARTIFACTS_DIR = REPO_DIR / "test-artifacts"


@pytest.fixture(autouse=True)
def media_root(request, tmp_path, settings):
    """Each test gets its own MEDIA_ROOT (only where Django settings are in use)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MEDIA_ROOT.mkdir()
    return settings.MEDIA_ROOT


def make_user(django_user_model, username, role=None, **extra):
    from django.contrib.auth.models import Group, Permission

    from clips.roles import ensure_roles

    ensure_roles(Group, Permission)  # a transactional test before this one flushed them

    user = django_user_model.objects.create_user(username=username, password="pw-" + username, **extra)
    if role:
        user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def editor(db, django_user_model):
    return make_user(django_user_model, "edna", "Editor")


@pytest.fixture
def approver(db, django_user_model):
    return make_user(django_user_model, "april", "Approver")


@pytest.fixture
def admin_user(db, django_user_model):
    return django_user_model.objects.create_superuser(username="root", password="pw-root")


@pytest.fixture
def nobody(db, django_user_model):
    """Logged in, but in no group."""
    return make_user(django_user_model, "nemo")


@pytest.fixture
def run_queue(django_capture_on_commit_callbacks):
    """`with run_queue(): ...` runs the tasks queued inside the block (and those they queue)
    synchronously when the block ends, as a worker would after the transaction commits."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def worker_env(media_root) -> dict:
    """Environment for a subprocess that must share this test's database and media."""
    from django.db import connection

    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "cliper_site.settings", "CLIPER_MEDIA_ROOT": str(media_root)}
    env["CLIPER_ALLOW_PRIVATE_URLS"] = "1"
    env["CLIPER_QUEUE_POLL"] = "0.2"
    env["CLIPER_LEASE_S"] = "6"  # a killed worker's work is requeued within seconds, not a minute
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        env["CLIPER_SQLITE_PATH"] = db["NAME"]
        env.pop("DATABASE_URL", None)
    else:
        env["DATABASE_URL"] = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    return env


class Worker:
    """A real `manage.py worker` (django-q2 qcluster) process, killable like a crash."""

    def __init__(self, media_root, log_path, env=None):
        self.media_root = media_root
        self.log_path = log_path
        self.env = env or {}
        self.proc = None

    def start(self):
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [sys.executable, "manage.py", "worker"],
            cwd=REPO_DIR,
            env={**worker_env(self.media_root), **self.env},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    def kill(self, sig=signal.SIGKILL):
        """Kills the whole cluster (parent, pusher, workers) at once, as a crash would."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, sig)
            self.proc.wait(timeout=10)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()

    def log(self):
        return Path(self.log_path).read_text(errors="replace") if Path(self.log_path).exists() else ""


@pytest.fixture
def worker(transactional_db, media_root, tmp_path, monkeypatch):
    """Factory: worker() starts a real queue worker against the test database (worker(NAME=value)
    adds environment variables, e.g. REDIS_URL).

    Tasks enqueued by the test go through the ORM (or Redis) broker instead of running inline."""
    from django_q.conf import Conf

    monkeypatch.setattr(Conf, "SYNC", False)
    started = []

    def start(**env):
        w = Worker(media_root, tmp_path / f"worker{len(started)}.log", env).start()
        started.append(w)
        return w

    yield start
    for w in started:
        w.stop()


def wait_for(predicate, timeout_s=60.0, interval_s=0.2, what="condition"):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval_s)
    raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}")
