"""Reads used by more than one view or service."""

from django.conf import settings
from django.db import connections
from django.db.utils import Error as DatabaseError


def system_health() -> dict[str, str]:
    """Whether the database and the broker answer: "ok", "error" or "not configured"."""
    result = {"database": "ok", "broker": "not configured"}
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        result["database"] = "error"
    if settings.CELERY_BROKER_URL:
        from kombu import Connection

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


def consent_is_given(*, stakeholder_id: int, purpose_id: int) -> bool:
    """Whether the latest ledger record for this stakeholder and purpose gives consent."""
    from engage.enums import ConsentAction
    from engage.models import ConsentRecord

    latest = (
        ConsentRecord.objects.filter(stakeholder_id=stakeholder_id, purpose_id=purpose_id)
        .order_by("-at", "-id")
        .values_list("action", flat=True)
        .first()
    )
    return latest == ConsentAction.GIVEN
