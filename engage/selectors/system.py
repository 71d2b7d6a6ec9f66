"""Reads about the system itself: health of the database and broker, the worker heartbeat, the audit log."""

from django.conf import settings
from django.db import connections
from django.db.utils import Error as DatabaseError
from django.utils import timezone
from kombu import Connection

from engage.models import AuditLog, WorkerHeartbeat


def system_health() -> dict[str, str]:
    """Whether the database and the broker answer: "ok", "error" or "not configured"."""
    result = {"database": "ok", "broker": "not configured"}
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        result["database"] = "error"
    if settings.CELERY_BROKER_URL:
        try:
            with Connection(
                settings.CELERY_BROKER_URL,
                connect_timeout=2,
                transport_options=settings.CELERY_BROKER_TRANSPORT_OPTIONS,
            ) as conn:
                conn.ensure_connection(max_retries=1, interval_start=0, timeout=2)
            result["broker"] = "ok"
        except Exception:  # any transport error means the broker does not answer
            result["broker"] = "error"
    return result


def audit_log_list(*, action: str = ""):
    """Audit log rows, newest first, with their actor."""

    queryset = AuditLog.objects.select_related("actor").order_by("-at", "-id")
    if action:
        queryset = queryset.filter(action=action)
    return queryset


def worker_last_seen_seconds(*, name: str = "celery") -> int | None:
    """Seconds since a worker last ran the heartbeat task, or None if none ever has."""

    last_seen = (
        WorkerHeartbeat.objects.filter(name=name).values_list("last_seen_at", flat=True).first()
    )
    if last_seen is None:
        return None
    return max(0, int((timezone.now() - last_seen).total_seconds()))
