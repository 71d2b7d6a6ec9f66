"""Settings for the test suite: DATABASE_URL chooses PostgreSQL (CI) or SQLite (the default)."""

import os
import tempfile

os.environ.setdefault("SECRET_KEY", "test-only-not-secret")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
os.environ.setdefault("SITE_URL", "http://testserver")
# Per process, so that two test runs on one machine never share a SQLite file or an outbox.
os.environ.setdefault(
    "ENGAGE_VAR_DIR", os.path.join(tempfile.gettempdir(), f"engage-test-{os.getpid()}")
)
os.environ.pop("CELERY_BROKER_URL", None)
os.environ.pop("EMAIL_URL", None)
os.environ.pop("EMAIL_BACKEND", None)
os.environ.pop("REDIS_URL", None)  # the cache stays per process (locmem)

from config.settings.base import *  # noqa: E402,F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http"
ACCOUNT_RATE_LIMITS = False
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
CELERY_TASK_ALWAYS_EAGER = True
CELERY_BROKER_URL = ""

# A file, not memory, so that a real Celery worker started by a test can share the SQLite database.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-engage.sqlite3")}  # noqa: F405
# Real services used by the integration tests (worker, queues); both run locally and in CI.
ENGAGE_TEST_REDIS_URL = os.environ.get("ENGAGE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
STATIC_ROOT = VAR_DIR / "staticfiles"  # noqa: F405
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
