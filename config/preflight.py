"""Start-up checks: a bad or unreachable database or broker stops the process with one clear line."""

import sys
from urllib.parse import urlsplit, urlunsplit

# Commands that never touch the database or the broker.
_OFFLINE_COMMANDS = {
    "",
    "help",
    "--help",
    "-h",
    "version",
    "--version",
    "check",
    "collectstatic",
    "compilemessages",
    "makemessages",
    "makemigrations",
    "diffsettings",
    "startapp",
    "shell",
    "test",
}


def redact_url(url: str) -> str:
    """The URL without its password, fit for a log line."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable>"
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        parts = parts._replace(netloc=netloc)
    return urlunsplit(parts)


def database_problem() -> str | None:
    from django.db import connections
    from django.db.utils import Error as DatabaseError

    try:
        connections["default"].ensure_connection()
    except DatabaseError as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        settings_dict = connections["default"].settings_dict
        where = settings_dict.get("HOST") or settings_dict.get("NAME")
        return f"cannot reach the database ({settings_dict['ENGINE'].rsplit('.', 1)[-1]} at {where}): {first_line}"
    finally:
        connections["default"].close()
    return None


def broker_problem() -> str | None:
    from django.conf import settings
    from kombu import Connection

    url = settings.CELERY_BROKER_URL
    if not url:
        return None
    try:
        with Connection(
            url, connect_timeout=3, transport_options=settings.CELERY_BROKER_TRANSPORT_OPTIONS
        ) as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, timeout=3)
    except (
        Exception
    ) as exc:  # kombu raises transport-specific errors, all of them mean "not reachable"
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return f"cannot reach the Celery broker at {redact_url(url)}: {detail}"
    return None


def preflight_or_exit(argv: list[str]) -> None:
    """Exit with one line on stderr when configuration, database or broker is unusable."""
    if argv[:1] in (["wsgi"], ["asgi"]):
        # The web server starts and serves without a broker (and checks nothing here, so a
        # worker process starts quickly): pages that queue mail answer anyway, the mail is owed in
        # its row and the reconcile sweep sends it once the broker is back (engage.mail.services).
        return
    command = argv[1] if len(argv) > 1 else ""
    if command in _OFFLINE_COMMANDS:
        return
    from django.core.exceptions import ImproperlyConfigured

    try:
        import django

        django.setup()
    except ImproperlyConfigured as exc:
        sys.stderr.write(f"engage: configuration error: {exc}\n")
        raise SystemExit(2) from None
    problem = database_problem() or broker_problem()
    if problem:
        sys.stderr.write(f"engage: {problem}\n")
        raise SystemExit(1)
