"""The embedded defaults: SQLite under var/, mail in var/outbox/, no server to install."""

import os

os.environ.setdefault("SECRET_KEY", "local-development-only-not-secret")
os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
os.environ.setdefault("SITE_URL", "http://127.0.0.1:8000")

from config.settings.base import *  # noqa: E402,F403

ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http"
