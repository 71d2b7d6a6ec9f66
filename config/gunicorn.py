"""gunicorn settings: `gunicorn -c config/gunicorn.py config.wsgi:application`.

WEB_CONCURRENCY sets the worker processes (about 2 x cores + 1 on a machine of its own).
"""

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
# Import the app (settings, URLconf, every view module) once in the master before forking, so a
# fresh worker's first request does not pay for loading it on a busy machine.
preload_app = True
max_requests = 2000  # recycle workers now and then, so a slow leak never grows
max_requests_jitter = 200
accesslog = "-"
# One JSON line per request, without the client address or the query string (which can carry an
# email address): logs hold no personal data. The path is written without the tokens of mailed
# links (config/access_log.py), so a log line is never a working link.
logger_class = "config.access_log.AccessLogger"
access_log_format = (
    '{"time": "%(t)s", "logger": "gunicorn.access", "method": "%(m)s", "path": "%(U)s", '
    '"status": %(s)s, "bytes": %(B)s, "duration_ms": %(M)s}'
)
