"""The audit log of staff actions on personal data, and the worker heartbeat."""

from django.utils import timezone

from engage.models import AuditLog, WorkerHeartbeat


def audit_log(*, actor, action: str, obj=None, detail: dict | None = None):
    """Write one AuditLog row for a staff action on personal data. Holds ids and counts only.

    `obj` is any model instance (its type and primary key are recorded) or None.
    """
    return AuditLog.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None and obj.pk is not None else "",
        detail=detail or {},
    )


def worker_heartbeat_record(*, name: str = "celery") -> None:
    """Record that a Celery worker is alive now (one row per name, updated in place)."""
    WorkerHeartbeat.objects.update_or_create(name=name, defaults={"last_seen_at": timezone.now()})
