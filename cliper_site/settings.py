"""CLIPER settings, driven by environment variables (see README "Configuration")."""

import os
import secrets
from pathlib import Path

import dj_database_url
from django.utils.csp import CSP

from pipeline.config import Settings as PipelineSettings
from pipeline.config import worker_processes

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name, default="False"):
    return os.getenv(name, default).strip().lower() in ("1", "true", "yes", "on")


def envint(name, default):
    return int(os.getenv(name, default))


def envfloat(name, default):
    return float(os.getenv(name, default))


def envlist(name, default=""):
    return [item.strip() for item in os.getenv(name, default).split(",") if item.strip()]


DATA_DIR = Path(os.getenv("CLIPER_DATA_DIR", BASE_DIR / "var"))
# The database, the secret key and the media are nobody else's business on this machine.
DATA_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)


def create_private_file(path: Path, content: str = "") -> bool:
    """Create path readable by its owner only, atomically (never briefly world-readable);
    False if it already exists."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w") as f:
        f.write(content)
    return True


def _secret_key():
    """SECRET_KEY from the environment, else one generated once and kept in DATA_DIR."""
    if os.getenv("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    key_file = DATA_DIR / "secret_key"
    create_private_file(key_file, secrets.token_urlsafe(50))
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = envbool("DEBUG")
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS")
SITE_URL = os.getenv("SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "django_q",
    "clips",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "cliper_site.urls"
WSGI_APPLICATION = "cliper_site.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

if os.getenv("DATABASE_URL"):
    DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=60)}
else:
    # WAL + IMMEDIATE transactions + a busy timeout: the web process and the worker write
    # to the same file without "database is locked" errors or lost updates.
    SQLITE_PATH = Path(os.getenv("CLIPER_SQLITE_PATH", str(DATA_DIR / "db.sqlite3")))
    if SQLITE_PATH.parent.is_dir():
        create_private_file(SQLITE_PATH)  # SQLite keeps these permissions, and gives them to -wal/-shm
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(SQLITE_PATH),
            "OPTIONS": {
                "timeout": 30,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
# Failed logins allowed per account (four times as many per client address) before a lockout.
LOGIN_FAILURE_LIMIT = envint("CLIPER_LOGIN_FAILURE_LIMIT", 5)
LOGIN_LOCKOUT_S = envint("CLIPER_LOGIN_LOCKOUT_S", 15 * 60)
# Work one clip may queue per hour through the page (clips.limits): LLM calls and re-renders.
CLIP_WORK_PER_HOUR = {
    "regenerate": envint("CLIPER_REGENERATIONS_PER_HOUR", 10),
    "re-render": envint("CLIPER_RERENDERS_PER_HOUR", 30),
}
# Shared by every web process (the login throttle counts there): Redis when there is one.
if os.getenv("REDIS_URL"):
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": os.environ["REDIS_URL"]}
    }
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": DATA_DIR / "cache"}
    }
LOGIN_REDIRECT_URL = "video_list"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.getenv("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = DATA_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Media is never served publicly: clips.views.media checks the user first.
MEDIA_ROOT = Path(os.getenv("CLIPER_MEDIA_ROOT", DATA_DIR / "media"))
MEDIA_URL = "/media/"
# Uploads stream to a temporary file on the media file system and stop at the size limit
# (clips.uploads); only the new-video form accepts a file at all.
FILE_UPLOAD_HANDLERS = ["clips.uploads.LimitedUploadHandler"]
DATA_UPLOAD_MAX_MEMORY_SIZE = 10_485_760
FILE_UPLOAD_TEMP_DIR = os.getenv("CLIPER_UPLOAD_TMP") or None  # default: MEDIA_ROOT/tmp-uploads

SESSION_COOKIE_SECURE = envbool("SECURE_COOKIES")
CSRF_COOKIE_SECURE = envbool("SECURE_COOKIES")
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT")
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 0)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if envbool("BEHIND_PROXY") else None
X_FRAME_OPTIONS = "DENY"
# Scripts only from our own static files: no inline handlers, no eval, nothing from elsewhere.
# Style attributes stay allowed (progress bars set a width); <style> elements do not.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "style-src-attr": [CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:", "blob:"],
    "media-src": [CSP.SELF, "blob:"],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

# --- the queue -------------------------------------------------------------------------
# One task is one pipeline stage of one video. A 1-hour video's slowest stage stays well
# under the timeout; retry must exceed timeout or django-q2 starts a long task twice.
TASK_TIMEOUT_S = envint("CLIPER_TASK_TIMEOUT", 3 * 3600)
Q_CLUSTER = {
    "name": "cliper",
    "workers": worker_processes(PipelineSettings()),  # CLIPER_WORKERS, else one per usable core
    # A new worker process re-imports torch, CTranslate2 and MediaPipe (~10 s of CPU): with one
    # task per chunk and per clip, 20 tasks (django-q2's default) meant several restarts per video.
    "recycle": 500,
    "timeout": TASK_TIMEOUT_S,
    "retry": TASK_TIMEOUT_S + 600,
    "max_attempts": 2,
    "ack_failures": True,
    "save_limit": 500,
    "catch_up": False,
    "poll": envfloat("CLIPER_QUEUE_POLL", 0.5),
    "label": "Task queue",
}
# A running task renews its lease every LEASE_S / 3; work whose lease ran out is requeued by any
# worker (clips/leases.py): how long a dead worker's task waits before another one takes it.
LEASE_S = envfloat("CLIPER_LEASE_S", 60)
if os.getenv("REDIS_URL"):
    Q_CLUSTER["redis"] = os.environ["REDIS_URL"]
else:
    Q_CLUSTER["orm"] = "default"

# --- the pipeline ----------------------------------------------------------------------
# Parsed once by pipeline.config (CLIPER_* variables, GEMINI_API_KEY); add new pipeline settings
# there. Keys here are the field names in upper case (CLIPER["WHISPER_MODEL"], ...).
CLIPER = {name.upper(): value for name, value in PipelineSettings().model_dump().items()}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.getenv("LOG_LEVEL", "INFO")},
}
