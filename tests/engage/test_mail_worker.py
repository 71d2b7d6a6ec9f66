"""A real Celery worker on Redis, killed with -9 in the middle of a bulk send: at the kill, at most
the ESP call in flight is handed over but unrecorded (each call's outcome is recorded as it
returns) and only one call's rows are claimed; the rows the dead task had yet to reach come back
through the reconcile sweep, without waiting for the broker's visibility timeout; and after
another worker and the reconciliation have run, every eligible person has exactly one message,
and nobody else."""

import collections
import datetime as dt
import re

import pytest
from django.db import transaction
from django.utils import timezone

from engage.enums import EmailStatus, SuppressionReason
from engage.mail.reconcile import emails_reconcile
from engage.mail.services import BulkRecipient, emails_queue_bulk
from engage.models import OutboundEmail, Suppression
from tests.factories import ConsentPurposeFactory, ConsentRecordFactory, StakeholderFactory

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

PURPOSE = "meeting-invitations"


def test_killing_the_worker_mid_send_loses_and_duplicates_nothing(worker, settings, monkeypatch):
    # Slow enough (20 a second, 40 to a task) that the kill lands in the middle of a task, which
    # claims 5 rows at a time (one ESP call of 5, one thread) and holds the rest it has yet to
    # reach.
    monkeypatch.setenv("ENGAGE_MAIL_RATE_PER_SECOND", "20")
    monkeypatch.setenv("ENGAGE_MAIL_BATCH_SIZE", "40")
    monkeypatch.setenv("ENGAGE_MAIL_ESP_CALL_SIZE", "5")
    monkeypatch.setenv("ENGAGE_MAIL_SEND_THREADS", "1")  # one ESP call in flight at a time
    worker.stop()
    worker.start()
    settings.ENGAGE_MAIL_BATCH_SIZE = 40  # the fan-out below queues one task per 40 ids
    settings.MAILERS = {"default": {"BACKEND": "engage.mail.backends.OutboxBackend"}}
    settings.EMAIL_OUTBOX_DIR = worker.outbox_dir  # reconciliation looks where the worker wrote
    purpose = ConsentPurposeFactory(slug=PURPOSE)
    eligible = [StakeholderFactory() for _ in range(200)]
    for person in eligible:
        ConsentRecordFactory(stakeholder=person, purpose=purpose)
    no_consent = [StakeholderFactory() for _ in range(6)]
    suppressed = [StakeholderFactory() for _ in range(4)]
    for person in suppressed:
        ConsentRecordFactory(stakeholder=person, purpose=purpose)
        Suppression.objects.create(
            email_normalised=person.email_normalised, reason=SuppressionReason.HARD_BOUNCE
        )
    everyone = [*eligible, *no_consent, *suppressed]

    with transaction.atomic():
        ids = emails_queue_bulk(
            template="events/invitation",
            context={"meeting_title": "Public review meeting", "meeting_format": "in_person"},
            recipients=[
                BulkRecipient(
                    to_email=p.email,
                    stakeholder_id=p.pk,
                    values={"first_name": p.first_name, "invitation_url": "http://x/"},
                    dedupe_key=f"worker-test:{p.pk}",
                )
                for p in everyone
            ],
            purpose_slug=PURPOSE,
        )
    claimed = OutboundEmail.objects.filter(pk__in=ids, status=EmailStatus.SENDING)
    worker.wait_until(lambda: len(worker.outbox()) >= 40 and claimed.exists(), timeout=60)
    worker.kill()
    killed_at = timezone.now()
    sent_before_kill = len(worker.outbox())
    assert sent_before_kill < len(eligible), "the worker finished before it could be killed"
    # Handed over (its file is in the outbox) yet not recorded: what an ESP without evidence
    # would get twice. Recording after each call bounds it by the calls in flight, here one.
    handed_over = {
        int(match.group(1))
        for path in worker.outbox_dir.glob("*.eml")
        if (match := re.search(r"-e(\d+)\.eml$", path.name))
    }
    unrecorded = OutboundEmail.objects.filter(pk__in=handed_over, status=EmailStatus.SENDING)
    assert unrecorded.count() <= 1
    # What one kill can repeat is bounded by the rows claimed for the calls in flight: threads
    # (1) x ESP call size (5), not the task's 40.
    assert claimed.count() <= 5

    # The broker keeps the dead task's message for its visibility timeout (an hour, left as it is
    # here): the rows must come back through the sweep, not through redelivery.
    worker.start()
    # What the beat task does every minute, limited to claims and holds made before the kill
    # (standing in for ENGAGE_MAIL_STALE_CLAIM_MINUTES passing).
    result = emails_reconcile(stale_after=timezone.now() - killed_at + dt.timedelta(milliseconds=1))
    # The dead worker held rows: claimed ones (it claims, waits for the throttle, then sends) and,
    # unless the kill fell in its last round, ones it had not reached.
    assert result["settled"] or result["resent"] or result["held"]

    def settled():
        return not OutboundEmail.objects.filter(
            pk__in=ids, status__in=[EmailStatus.QUEUED, EmailStatus.SENDING]
        ).exists()

    worker.wait_until(settled, timeout=90)
    received = collections.Counter(str(message["To"]) for message in worker.outbox())
    assert received == collections.Counter(p.email for p in eligible)
    statuses = collections.Counter(
        OutboundEmail.objects.filter(pk__in=ids).values_list("status", flat=True)
    )
    assert statuses == {EmailStatus.SENT: 200, EmailStatus.SUPPRESSED: 10}
