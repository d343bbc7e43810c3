"""Fast settings for the test suite: synchronous queue, cheap hashing, plain static storage."""

import os

from .settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
Q_CLUSTER = {**Q_CLUSTER, "sync": True}  # noqa: F405
CLIPER = {**CLIPER, "ALLOW_PRIVATE_URLS": True}  # noqa: F405
# A file, not :memory:, so a real qcluster subprocess can reach the test database.
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    # One per test run, so two runs at once do not share (and break) one file.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / f"test_db_{os.getpid()}.sqlite3")}  # noqa: F405
# Throttle counters (login, clip work) per test process, not in var/ across runs.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
