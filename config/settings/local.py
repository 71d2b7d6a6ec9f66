"""The embedded defaults: SQLite under var/, mail in var/outbox/, no server to install."""

import os

os.environ.setdefault("SECRET_KEY", "local-development-only-not-secret")
os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
# `make run HOST=… PORT=…` passes both on, so mailed links reach the server that sent them.
_host = os.environ.get("HOST") or "127.0.0.1"
if _host in {"0.0.0.0", "::"}:  # noqa: S104 (listening everywhere: loopback answers too)
    _host = "127.0.0.1"
os.environ.setdefault("SITE_URL", f"http://{_host}:{os.environ.get('PORT') or '8000'}")

from config.settings.base import *  # noqa: E402,F403

ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http"
