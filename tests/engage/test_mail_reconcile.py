"""Settling what a dead worker left (engage.mail.reconcile): stale claims on evidence,
rows held but never reached, claims interrupted at every attempt."""

import datetime as dt

import pytest
from django.utils import timezone

from engage.enums import EmailStatus
from engage.mail import reconcile
from engage.mail.message import email_build_message
from engage.models import EmailEvent, OutboundEmail
from tests.engage.mail_support import consented, queue_invitation


def _stale(email, minutes=30):
    OutboundEmail.objects.filter(pk=email.pk).update(
        status=EmailStatus.SENDING,
        claimed_at=timezone.now() - dt.timedelta(minutes=minutes),
        attempts=1,
    )


@pytest.mark.django_db
def test_a_stale_claim_without_evidence_is_sent_again_once(ses, django_capture_on_commit_callbacks):
    email = queue_invitation(consented(), send=False)
    _stale(email)

    with django_capture_on_commit_callbacks(execute=True):
        result = reconcile.emails_reconcile()

    assert result["resent"] == [email.pk]
    email.refresh_from_db()
    assert email.status == EmailStatus.SENT
    assert email.attempts == 2
    assert len(ses.messages) == 1


@pytest.mark.django_db
def test_a_stale_claim_the_esp_reported_is_settled_without_resending(
    ses, django_capture_on_commit_callbacks
):
    email = queue_invitation(consented(), send=False)
    _stale(email)
    EmailEvent.objects.create(email=email, event_id="sns-1:x", event_type="sent")

    with django_capture_on_commit_callbacks(execute=True):
        result = reconcile.emails_reconcile()

    assert result["settled"] == [email.pk]
    email.refresh_from_db()
    assert email.status == EmailStatus.SENT
    assert ses.messages == []


@pytest.mark.django_db
def test_a_stale_claim_found_in_the_outbox_is_settled(settings, tmp_path):
    settings.MAILERS = {"default": {"BACKEND": "engage.mail.backends.OutboxBackend"}}
    email = queue_invitation(consented(), send=False)
    # The worker wrote the file, then died before recording it.
    message = email_build_message(email)
    from engage.mail.backends import OutboxBackend

    OutboxBackend().send_messages([message])
    _stale(email)

    result = reconcile.emails_reconcile()

    assert result == {
        "settled": [email.pk],
        "resent": [],
        "failed": [],
        "held": [],
        "requeued": [],
        "owed": [],
    }
    assert len(list(settings.EMAIL_OUTBOX_DIR.glob("*.eml"))) == 1


@pytest.mark.django_db
def test_rows_a_dead_task_held_but_never_reached_are_sent_after_the_stale_time(
    ses, settings, django_capture_on_commit_callbacks
):
    settings.ENGAGE_MAIL_STALE_CLAIM_MINUTES = 5
    abandoned = queue_invitation(consented(), send=False)
    in_hand = queue_invitation(consented(), send=False)
    # A task held both (still queued); its worker died 6 minutes ago, the other is held now.
    OutboundEmail.objects.filter(pk=abandoned.pk).update(
        claimed_at=timezone.now() - dt.timedelta(minutes=6)
    )
    OutboundEmail.objects.filter(pk=in_hand.pk).update(claimed_at=timezone.now())

    with django_capture_on_commit_callbacks(execute=True):
        result = reconcile.emails_reconcile()

    assert result["held"] == [abandoned.pk]
    assert OutboundEmail.objects.get(pk=abandoned.pk).status == EmailStatus.SENT
    assert OutboundEmail.objects.get(pk=in_hand.pk).status == EmailStatus.QUEUED
    assert len(ses.messages) == 1


@pytest.mark.django_db
def test_a_claim_interrupted_at_every_attempt_ends_failed(ses, settings):
    settings.ENGAGE_MAIL_MAX_ATTEMPTS = 3
    email = queue_invitation(consented(), send=False)
    _stale(email)
    OutboundEmail.objects.filter(pk=email.pk).update(attempts=3)

    result = reconcile.emails_reconcile()

    assert result["failed"] == [email.pk]
    email.refresh_from_db()
    assert (email.status, email.error) == (
        EmailStatus.FAILED,
        "interrupted during every attempt to send it",
    )
    assert ses.messages == []


@pytest.mark.django_db
def test_a_fresh_claim_is_left_alone(ses):
    email = queue_invitation(consented(), send=False)
    _stale(email, minutes=1)

    result = reconcile.emails_reconcile()

    assert result == {
        "settled": [],
        "resent": [],
        "failed": [],
        "held": [],
        "requeued": [],
        "owed": [],
    }
    email.refresh_from_db()
    assert email.status == EmailStatus.SENDING
