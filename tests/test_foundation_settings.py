import json
import os
import subprocess
import sys

from pipeline import config

from .conftest import REPO_DIR

SHOW = "import json; from django.conf import settings as s; print(json.dumps({'engine': s.DATABASES['default']['ENGINE'], 'name': str(s.DATABASES['default']['NAME']), 'debug': s.DEBUG, 'key': s.SECRET_KEY, 'q': {k: s.Q_CLUSTER.get(k) for k in ('orm', 'redis', 'timeout', 'retry', 'max_attempts', 'workers', 'recycle')}}))"


def settings_with(env, tmp_path):
    full_env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "cliper_site.settings",
        "CLIPER_DATA_DIR": str(tmp_path),
        **env,
    }
    out = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {SHOW}"],
        cwd=REPO_DIR,
        env=full_env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(out)


def test_defaults_are_sqlite_orm_broker_and_debug_off(tmp_path):
    s = settings_with({}, tmp_path)
    assert s["engine"].endswith("sqlite3") and s["name"] == str(tmp_path / "db.sqlite3")
    assert s["debug"] is False
    assert s["q"]["orm"] == "default" and s["q"]["redis"] is None
    assert s["q"]["retry"] > s["q"]["timeout"] >= 3600 and s["q"]["max_attempts"]


def test_secret_key_is_generated_once_and_kept(tmp_path):
    first = settings_with({}, tmp_path)["key"]
    assert len(first) > 40 and (tmp_path / "secret_key").exists()
    assert settings_with({}, tmp_path)["key"] == first
    assert settings_with({"SECRET_KEY": "from-env"}, tmp_path)["key"] == "from-env"


def test_database_url_and_redis_url_switch_backends(tmp_path):
    s = settings_with(
        {"DATABASE_URL": "postgres://u:p@db.example:5432/cliper", "REDIS_URL": "redis://cache:6379/0"}, tmp_path
    )
    assert s["engine"] == "django.db.backends.postgresql" and s["name"] == "cliper"
    assert s["q"]["redis"] == "redis://cache:6379/0" and s["q"]["orm"] is None


def test_sqlite_runs_in_wal_mode(db):
    import pytest
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"


def test_one_worker_process_per_core_unless_told_and_whisper_threads_shared_out(tmp_path, monkeypatch):
    cores = len(os.sched_getaffinity(0))
    s = settings_with({}, tmp_path)
    assert s["q"]["workers"] == cores
    # one task per chunk and per clip: recycling every 20 tasks restarted a process several times a video
    assert s["q"]["recycle"] >= 200
    assert settings_with({"CLIPER_WORKERS": "3"}, tmp_path)["q"]["workers"] == 3
    monkeypatch.setattr(config, "usable_cores", lambda: 4)
    assert [config.worker_threads(n) for n in (1, 2, 3, 4, 8)] == [4, 2, 1, 1, 1]
    monkeypatch.delenv("CLIPER_WHISPER_THREADS", raising=False)
    config.current.cache_clear()
    try:
        assert config.whisper_threads() == 4  # the CLI: one process, every core
        monkeypatch.setenv("CLIPER_WHISPER_THREADS", "1")
        config.current.cache_clear()
        assert config.whisper_threads() == 1
    finally:
        config.current.cache_clear()
