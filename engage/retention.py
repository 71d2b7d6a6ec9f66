"""Retention of records and of consent: what mail leaves behind, the audit log, and consents
nobody has used for a long time.

Every job here is a daily beat task and safe to run twice: each acts only on rows its own
earlier runs have not handled (a marker or a cutoff), and writes one audit row of counts.

Consent lapse: a person with a consent still given and no activity (no consent given or
withdrawn, no registration, nothing that touches `last_activity_at`) for
ENGAGE_CONSENT_RENEW_AFTER_DAYS is emailed once, through engage.mail, with a signed preferences
link where one button renews their choices. If nothing happens within
ENGAGE_CONSENT_RENEWAL_GRACE_DAYS, each given consent gets a new ledger entry, `lapsed`; nothing
is deleted, and the consent no longer stands for sending.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from engage import links
from engage.enums import AuditAction, ConsentAction, ConsentMethod, EmailStatus
from engage.mail.services import email_queue
from engage.models import AuditLog, ConsentRecord, EmailEvent, OutboundEmail, Stakeholder
from engage.privacy import privacy_notice_version_current
from engage.rights import outbox_files_delete
from engage.services import consent_give

logger = logging.getLogger(__name__)

# Rows still owed or in a worker's hands keep their contents: they have not been sent yet.
_SETTLED = [
    EmailStatus.SENT,
    EmailStatus.DELIVERED,
    EmailStatus.BOUNCED,
    EmailStatus.COMPLAINED,
    EmailStatus.FAILED,
    EmailStatus.SUPPRESSED,
]
RENEWAL_TEMPLATE = "engage/consent_renewal"


def _run_audit(kind: str, counts: dict) -> None:
    AuditLog.objects.create(actor=None, action=AuditAction.ERASE, object_type=kind, detail=counts)
    logger.info(kind, extra=counts)


def retention_records_run(*, now: datetime | None = None) -> dict[str, int]:
    """Remove what has outlived its period: the subject, bodies, merge values, headers and
    calendar of settled emails older than ENGAGE_RETENTION_EMAIL_CONTENT_DAYS (the row stays,
    marked `contents_removed_at`, so counts and dedupe keys hold; the local outbox's copy goes
    too), email events older than ENGAGE_RETENTION_EMAIL_EVENT_DAYS and audit rows older than
    ENGAGE_RETENTION_AUDIT_DAYS. Side effect: one audit row with the counts. Returns them.
    """
    now = now or timezone.now()
    content_cutoff = now - timedelta(days=settings.ENGAGE_RETENTION_EMAIL_CONTENT_DAYS)
    with transaction.atomic():
        expired = OutboundEmail.objects.filter(
            contents_removed_at__isnull=True, status__in=_SETTLED
        ).filter(
            Q(sent_at__lt=content_cutoff) | Q(sent_at__isnull=True, queued_at__lt=content_cutoff)
        )
        ids = list(expired.values_list("pk", flat=True))
        outbox_files = outbox_files_delete(ids)
        emails = OutboundEmail.objects.filter(pk__in=ids).update(
            subject="",
            body_text="",
            body_html="",
            context={},
            headers={},
            calendar="",
            contents_removed_at=now,
            updated_at=now,
        )
        events = EmailEvent.objects.filter(
            at__lt=now - timedelta(days=settings.ENGAGE_RETENTION_EMAIL_EVENT_DAYS)
        ).delete()[0]
        audit_rows = AuditLog.objects.filter(
            at__lt=now - timedelta(days=settings.ENGAGE_RETENTION_AUDIT_DAYS)
        ).delete()[0]
    counts = {
        "email_contents": emails,
        "outbox_files": outbox_files,
        "email_events": events,
        "audit_rows": audit_rows,
    }
    _run_audit("retention_records", counts)
    return counts


def _given_any():
    """Stakeholders (OuterRef pk) with at least one consent whose latest record is `given`."""
    later = ConsentRecord.objects.filter(
        stakeholder_id=OuterRef("stakeholder_id"), purpose_id=OuterRef("purpose_id")
    ).filter(Q(at__gt=OuterRef("at")) | Q(at=OuterRef("at"), id__gt=OuterRef("id")))
    return ConsentRecord.objects.filter(
        stakeholder_id=OuterRef("pk"), action=ConsentAction.GIVEN
    ).exclude(Exists(later))


def _people():
    return (
        Stakeholder.objects.filter(anonymised_at__isnull=True)
        .exclude(email="")
        .annotate(last_seen=Coalesce("last_activity_at", "created_at"))
    )


def consent_renewal_due(*, now: datetime | None = None):
    """People to ask now: a consent still given, no activity for the renewal period, not asked."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.ENGAGE_CONSENT_RENEW_AFTER_DAYS)
    return (
        _people()
        .filter(consent_renewal_asked_at__isnull=True, last_seen__lt=cutoff)
        .filter(Exists(_given_any()))
        .order_by("pk")
    )


def consent_renewal_ask(*, stakeholder_id: int, now: datetime | None = None) -> bool:
    """Email one person asking them to renew their consents, once (the marker on their row is
    set under its lock in the same transaction as the email row). Returns whether it asked."""
    now = now or timezone.now()
    with transaction.atomic():
        person = (
            consent_renewal_due(now=now)
            .select_for_update(of=("self",))
            .filter(pk=stakeholder_id)
            .first()
        )
        if person is None:
            return False
        Stakeholder.objects.filter(pk=person.pk).update(consent_renewal_asked_at=now)
        token = links.link_token(stakeholder=person, purpose=links.PREFERENCES)
        lapse_on = timezone.localdate(
            now + timedelta(days=settings.ENGAGE_CONSENT_RENEWAL_GRACE_DAYS)
        )
        email_queue(
            to_email=person.email,
            template=RENEWAL_TEMPLATE,
            context={
                "first_name": person.first_name,
                "renew_url": settings.SITE_URL
                + reverse("engage:preferences", kwargs={"token": token}),
                "lapse_on": lapse_on.strftime("%-d %B %Y"),
            },
            stakeholder=person,
            dedupe_key=f"consent-renewal:{person.pk}:{now:%Y%m%d}",
        )
    return True


def consents_lapse(*, stakeholder_id: int, now: datetime | None = None) -> int:
    """Lapse every consent one person still gives, if they were asked more than the grace period
    ago and nothing has happened since; clear the marker if something has. Each lapse is a new
    ledger entry (`lapsed`, method `lapse`) citing the purpose's wording. Returns how many."""
    now = now or timezone.now()
    grace = timedelta(days=settings.ENGAGE_CONSENT_RENEWAL_GRACE_DAYS)
    with transaction.atomic():
        person = (
            _people()
            .select_for_update(of=("self",))
            .filter(pk=stakeholder_id, consent_renewal_asked_at__lt=now - grace)
            .first()
        )
        if person is None:
            return 0
        if person.last_seen >= person.consent_renewal_asked_at:  # they answered, or took part
            Stakeholder.objects.filter(pk=person.pk).update(consent_renewal_asked_at=None)
            return 0
        latest = {}
        for record in ConsentRecord.objects.filter(stakeholder=person).select_related("purpose"):
            latest.setdefault(record.purpose_id, record)  # ordered newest first
        given = [r for r in latest.values() if r.action == ConsentAction.GIVEN]
        for record in given:
            ConsentRecord.objects.create(
                stakeholder=person,
                purpose=record.purpose,
                action=ConsentAction.LAPSED,
                at=now,
                method=ConsentMethod.LAPSE,
                wording=record.purpose.wording,
                privacy_notice_version=privacy_notice_version_current(),
                evidence={
                    "renewal_asked_at": person.consent_renewal_asked_at.isoformat(),
                    "last_activity_at": person.last_seen.isoformat(),
                },
            )
        # last_activity_at is left alone: a lapse is not the person's doing.
        Stakeholder.objects.filter(pk=person.pk).update(consent_renewal_asked_at=None)
    return len(given)


def consent_renewals_run(*, now: datetime | None = None) -> dict[str, int]:
    """Beat, daily: ask everyone due to renew, and lapse the consents of everyone asked more than
    the grace period ago who has not answered. One transaction per person; running twice asks
    and lapses nobody twice. Side effect: one audit row with the counts."""
    now = now or timezone.now()
    asked = sum(
        consent_renewal_ask(stakeholder_id=pk, now=now)
        for pk in consent_renewal_due(now=now).values_list("pk", flat=True)
    )
    grace = timedelta(days=settings.ENGAGE_CONSENT_RENEWAL_GRACE_DAYS)
    waiting = Stakeholder.objects.filter(consent_renewal_asked_at__lt=now - grace).order_by("pk")
    lapsed = renewed = 0
    for pk in waiting.values_list("pk", flat=True):
        count = consents_lapse(stakeholder_id=pk, now=now)
        lapsed += count
        renewed += count == 0
    counts = {"asked": asked, "consents_lapsed": lapsed, "answered": renewed}
    _run_audit("consent_renewals", counts)
    return counts


def consent_renew(*, stakeholder: Stakeholder, ip_address: str | None, user_agent: str) -> int:
    """The person asks to keep hearing from us: each consent they still give is given again (a
    new ledger entry with today's wording and notice), which is activity, so nothing lapses.
    Returns how many consents were renewed."""
    with transaction.atomic():
        latest = {}
        for record in ConsentRecord.objects.filter(stakeholder=stakeholder).select_related(
            "purpose"
        ):
            latest.setdefault(record.purpose_id, record)
        given = [r.purpose for r in latest.values() if r.action == ConsentAction.GIVEN]
        for purpose in given:
            consent_give(
                stakeholder=stakeholder,
                purpose=purpose,
                method=ConsentMethod.WEB,
                ip_address=ip_address,
                user_agent=user_agent,
                evidence={"renewed": True},
            )
        Stakeholder.objects.filter(pk=stakeholder.pk).update(consent_renewal_asked_at=None)
    return len(given)
