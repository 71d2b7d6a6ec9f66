"""People's rights over their data: subject access, erasure and retention, across every app.

engage never imports the apps that depend on it, so each app registers a provider here from its
AppConfig.ready(): what it holds about a person (for subject access) and how to anonymise it
(for erasure). The dependency keeps running one way: events -> engage.
"""

import io
import json
import logging
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import import_module
from pathlib import Path

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from engage.enums import AuditAction, ConsentAction
from engage.models import (
    AuditLog,
    ConsentRecord,
    EmailEvent,
    ErasureRecord,
    Membership,
    OutboundEmail,
    PendingSignup,
    Stakeholder,
)
from engage.services import audit_log

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SubjectDataProvider:
    """One app's part in subject access and erasure.

    collect(stakeholder) returns {section title: list of dicts}, JSON-serialisable.
    anonymise(stakeholder) strips personal data from the app's rows (keeping what aggregates
    need) and returns what it removed, {kind: count} (a bare int counts as "rows"). active_since(when), if given, returns a Q on
    Stakeholder matching people with activity in the app since `when` (retention spares them).
    """

    name: str
    collect: Callable[[Stakeholder], dict[str, list[dict]]]
    anonymise: Callable[[Stakeholder], dict[str, int] | int]
    active_since: Callable[[datetime], Q] | None = None


_PROVIDERS: dict[str, SubjectDataProvider] = {}


def register_subject_data(provider: SubjectDataProvider) -> None:
    """Add (or replace, by name) a provider. Call from AppConfig.ready()."""
    _PROVIDERS[provider.name] = provider


def subject_data_providers() -> list[SubjectDataProvider]:
    # engage first: its section opens the export with the person's own details.
    return sorted(_PROVIDERS.values(), key=lambda p: (p.name != "engage", p.name))


# --- engage's own provider -----------------------------------------------------------------------


def _engage_collect(stakeholder: Stakeholder) -> dict[str, list[dict]]:
    details = {
        "id": stakeholder.pk,
        "first_name": stakeholder.first_name,
        "last_name": stakeholder.last_name,
        "email": stakeholder.email,
        "phone": stakeholder.phone,
        "area": stakeholder.area.name if stakeholder.area_id else "",
        "preferred_language": stakeholder.preferred_language,
        "source": stakeholder.source,
        "notes": stakeholder.notes,
        "created_at": stakeholder.created_at,
        "updated_at": stakeholder.updated_at,
        "last_activity_at": stakeholder.last_activity_at,
        "consent_renewal_asked_at": stakeholder.consent_renewal_asked_at,
        "organisations": "; ".join(
            f"{m.organisation.name} ({m.role})" if m.role else m.organisation.name
            for m in stakeholder.memberships.select_related("organisation")
        ),
        "tags": "; ".join(t.name for t in stakeholder.tags.all()),
    }
    consents = [
        {
            "purpose": r.purpose.name,
            "action": r.action,
            "at": r.at,
            "method": r.method,
            "wording": r.wording,
            "privacy_notice_version": r.privacy_notice_version,
            "ip_address": r.ip_address or "",
            "user_agent": r.user_agent,
            "recorded_by_staff": r.recorded_by_id is not None,
            "import_row": r.import_row,
            "import_file": r.import_batch.file_name if r.import_batch_id else "",
            "evidence": r.evidence,
        }
        for r in ConsentRecord.objects.filter(stakeholder=stakeholder)
        .select_related("purpose", "import_batch")
        .order_by("at", "id")
    ]
    emails = [
        {
            "queued_at": e.queued_at,
            "sent_at": e.sent_at,
            "to": e.to_email,
            "subject": e.subject,
            "status": e.status,
            "purpose": e.purpose.name if e.purpose_id else "",
            "body_text": e.body_text,
        }
        for e in _emails_of(stakeholder).select_related("purpose").order_by("queued_at", "id")
    ]
    audit = [
        {
            "at": a.at,
            "action": a.get_action_display(),
            "by_staff": a.actor_id is not None,
            "detail": a.detail,
        }
        for a in AuditLog.objects.filter(
            object_type=Stakeholder._meta.label_lower, object_id=str(stakeholder.pk)
        ).order_by("at", "id")
    ]
    return {
        "Your details": [details],
        "Consents": consents,
        "Emails sent to you": emails,
        "Staff actions on your record": audit,
    }


def _emails_of(stakeholder: Stakeholder):
    # Sign-in and registration-code emails go out before there is a stakeholder to link them
    # to, so they are found by the address they were sent to as well.
    match = Q(stakeholder=stakeholder)
    if stakeholder.email:
        match |= Q(to_email__iexact=stakeholder.email)
    return OutboundEmail.objects.filter(match)


def outbox_files_delete(email_ids: list[int]) -> int:
    """Delete the local outbox's copies (.eml files named with the email id) of these emails."""
    outbox = Path(settings.EMAIL_OUTBOX_DIR)
    wanted = {str(pk) for pk in email_ids}
    if not wanted or not outbox.exists():
        return 0
    removed = 0
    for path in outbox.glob("*-e*.eml"):
        if path.stem.rsplit("-e", 1)[-1] in wanted:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def _holds(value, address: str) -> bool:
    """Whether a decoded session value holds the address, at any depth (a guest's pending code
    keeps it inside a dict, beside the form they filled in)."""
    if isinstance(value, str):
        return value.strip().lower() == address
    if isinstance(value, dict):
        return any(_holds(v, address) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_holds(v, address) for v in value)
    return False


def _sessions_delete_holding(email: str) -> int:
    """End every stored session that holds this address (a guest's checked email, say).

    Sessions are opaque to the database, so each live one is decoded; erasure is rare and the
    session table holds only unexpired rows worth reading.
    """
    address = email.strip().lower()
    store_class = import_module(settings.SESSION_ENGINE).SessionStore
    removed = 0
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if _holds(session.get_decoded(), address):
            store_class(session_key=session.session_key).delete()  # the cached copy goes too
            removed += 1
    return removed


def _engage_anonymise(stakeholder: Stakeholder) -> dict[str, int]:
    removed = {
        "consent evidence": ConsentRecord.objects.filter(stakeholder=stakeholder).update(
            ip_address=None, user_agent="", evidence={}
        )
    }
    emails = _emails_of(stakeholder)
    removed["outbox files"] = outbox_files_delete(list(emails.values_list("pk", flat=True)))
    removed["sessions"] = _sessions_delete_holding(stakeholder.email) if stakeholder.email else 0
    removed["email events"] = EmailEvent.objects.filter(email__in=emails).update(detail={})
    removed["emails"] = emails.update(
        to_email="", subject="", body_text="", body_html="", context={}, headers={}, calendar=""
    )
    removed["memberships"] = Membership.objects.filter(stakeholder=stakeholder).delete()[0]
    removed["tags"] = stakeholder.tags.count()
    stakeholder.tags.clear()
    removed["pending sign-ups"] = (
        PendingSignup.objects.filter(email__iexact=stakeholder.email).delete()[0]
        if stakeholder.email
        else 0
    )
    removed["account"] = 0
    user = stakeholder.user
    if user is not None and not user.is_staff:
        EmailAddress.objects.filter(user=user).delete()
        user.email = f"erased-{user.pk}@erased.invalid"
        user.first_name = user.last_name = ""
        user.is_active = False
        user.set_unusable_password()
        user.save()
        removed["account"] = 1
    return removed


register_subject_data(
    SubjectDataProvider(name="engage", collect=_engage_collect, anonymise=_engage_anonymise)
)


# --- Subject access ------------------------------------------------------------------------------


def subject_access_collect(*, stakeholder: Stakeholder) -> dict[str, list[dict]]:
    """Everything every registered app holds about one person, section by section."""
    sections: dict[str, list[dict]] = {}
    for provider in subject_data_providers():
        sections.update(provider.collect(stakeholder))
    return sections


def _readable_value(value):
    if isinstance(value, datetime):
        # Local time with its zone name (GMT or BST), as a person in the UK reads a time.
        local = timezone.localtime(value)
        return f"{local:%-d %B %Y, %H:%M} {local.tzname()}"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, (dict, list)):
        return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False) if value else ""
    return value


def _readable(sections: dict[str, list[dict]]) -> dict[str, list[list[tuple[str, object]]]]:
    """The sections as a person reads them: field labels in words, local times, Yes/No."""
    return {
        title: [
            [
                (key.replace("_", " ").capitalize(), _readable_value(value))
                for key, value in row.items()
            ]
            for row in rows
        ]
        for title, rows in sections.items()
    }


def subject_access_export(*, stakeholder: Stakeholder, actor) -> bytes:
    """A zip of `data.json` and a readable `index.html` with everything held about one person.

    Side effect: an audit row (subject_access) naming the person's id and the section counts.
    """
    sections = subject_access_collect(stakeholder=stakeholder)
    generated_at = timezone.now()
    payload = json.dumps(
        {"generated_at": generated_at, "stakeholder_id": stakeholder.pk, "sections": sections},
        cls=DjangoJSONEncoder,
        indent=2,
        ensure_ascii=False,
    )
    readable = _readable(sections)
    html = render_to_string(
        "engage/rights/subject_access_export.html",
        {"sections": readable, "generated_at": generated_at, "stakeholder": stakeholder},
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data.json", payload)
        archive.writestr("index.html", html)
    audit_log(
        actor=actor,
        action=AuditAction.SUBJECT_ACCESS,
        obj=stakeholder,
        detail={"sections": {title: len(rows) for title, rows in sections.items()}},
    )
    logger.info("subject access export", extra={"stakeholder_id": stakeholder.pk})
    return buffer.getvalue()


# --- Erasure -------------------------------------------------------------------------------------


@transaction.atomic
def stakeholder_erase(*, stakeholder: Stakeholder, actor, reason: str = "request") -> ErasureRecord:
    """Anonymise one person everywhere, keeping what aggregate counts need.

    Every registered app strips its personal data (events keeps attendance, area and counts); the
    person's row keeps only its id, area and dates; link_key is rotated so every link ever
    mailed stops working. Side effects: an ErasureRecord and an audit row (ids and counts only).
    An address on the suppression list stays there, so it is never mailed again.
    Erasing an already anonymised person changes nothing and returns its first ErasureRecord.
    """
    stakeholder = Stakeholder.objects.select_for_update().get(pk=stakeholder.pk)
    if stakeholder.anonymised_at is not None:
        existing = ErasureRecord.objects.filter(stakeholder_id=stakeholder.pk).first()
        if existing is not None:
            return existing
    removed: dict[str, dict[str, int]] = {}
    for provider in subject_data_providers():
        counts = provider.anonymise(stakeholder)
        removed[provider.name] = counts if isinstance(counts, dict) else {"rows": counts}
    stakeholder.first_name = ""
    stakeholder.last_name = ""
    stakeholder.email = ""  # save() then clears email_normalised, freeing the address
    stakeholder.phone = ""
    stakeholder.notes = ""
    stakeholder.source = ""
    stakeholder.user = None
    stakeholder.link_key = uuid.uuid4()
    stakeholder.anonymised_at = timezone.now()
    stakeholder.save()
    record = ErasureRecord.objects.create(
        stakeholder_id=stakeholder.pk,
        erased_by=actor if getattr(actor, "is_authenticated", False) else None,
        reason=reason,
        removed=removed,
    )
    audit_log(
        actor=actor,
        action=AuditAction.ERASE,
        obj=stakeholder,
        detail={"reason": reason, "removed": removed},
    )
    logger.info("stakeholder erased", extra={"stakeholder_id": stakeholder.pk, "reason": reason})
    return record


# --- Retention -----------------------------------------------------------------------------------


def retention_candidates(*, now: datetime | None = None):
    """People with no consent currently given and no activity for ENGAGE_RETENTION_DAYS."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.ENGAGE_RETENTION_DAYS)
    latest_given = ConsentRecord.objects.filter(stakeholder_id=OuterRef("pk"))
    # A purpose is currently given when its latest record says so: a "given" record with no
    # later record for the same purpose.
    later = ConsentRecord.objects.filter(
        stakeholder_id=OuterRef("stakeholder_id"),
        purpose_id=OuterRef("purpose_id"),
    ).filter(Q(at__gt=OuterRef("at")) | Q(at=OuterRef("at"), id__gt=OuterRef("id")))
    current_given = latest_given.filter(action=ConsentAction.GIVEN).exclude(Exists(later))
    recent = Q(created_at__gte=cutoff) | Q(last_activity_at__gte=cutoff)
    for provider in subject_data_providers():
        if provider.active_since is not None:
            recent |= provider.active_since(cutoff)
    return (
        Stakeholder.objects.filter(anonymised_at__isnull=True)
        .exclude(Exists(current_given))
        .exclude(pk__in=Stakeholder.objects.filter(recent).values("pk"))
        .order_by("pk")
    )


def retention_run(*, now: datetime | None = None) -> dict[str, int]:
    """Anonymise everyone retention_candidates() finds, one person per transaction.

    Side effects: per person, what stakeholder_erase does (reason "retention", no actor); then
    one audit row for the run with counts only. Returns {"anonymised": n, "failed": n}.
    """
    ids = list(retention_candidates(now=now).values_list("pk", flat=True))
    anonymised = failed = 0
    for pk in ids:
        stakeholder = Stakeholder.objects.filter(pk=pk, anonymised_at__isnull=True).first()
        if stakeholder is None:
            continue
        try:
            stakeholder_erase(stakeholder=stakeholder, actor=None, reason="retention")
            anonymised += 1
        except Exception:  # one bad row must not stop the run; it is retried next time
            logger.exception("retention erase failed", extra={"stakeholder_id": pk})
            failed += 1
    counts = {
        "anonymised": anonymised,
        "failed": failed,
        "retention_days": settings.ENGAGE_RETENTION_DAYS,
    }
    AuditLog.objects.create(
        actor=None, action=AuditAction.ERASE, object_type="retention_run", detail=counts
    )
    logger.info("retention run", extra=counts)
    return {"anonymised": anonymised, "failed": failed}
