"""Suppression has reasons: a hard bounce or complaint holds back every email but account mail;
an unsubscribe holds back engagement mail only, so a registration's confirmation still goes."""

import pytest

from engage.enums import EmailStatus, SuppressionReason
from engage.mail import sending
from engage.mail.services import email_queue
from engage.mail.webhooks import email_event_record
from engage.models import Suppression
from tests.engage.mail_support import consented, queue_invitation

pytestmark = pytest.mark.django_db


def _confirmation(person):
    return email_queue(
        to_email=person.email,
        template="events/registration_code",
        context={"code": "123456", "meeting_title": "Public review meeting"},
        send=False,
    )


def _statuses(*emails):
    sending.emails_send_batch(email_ids=[email.pk for email in emails])
    for email in emails:
        email.refresh_from_db()
    return [email.status for email in emails]


@pytest.mark.parametrize(
    ("reason", "engagement", "transactional"),
    [
        (SuppressionReason.UNSUBSCRIBE, EmailStatus.SUPPRESSED, EmailStatus.SENT),
        (SuppressionReason.HARD_BOUNCE, EmailStatus.SUPPRESSED, EmailStatus.SUPPRESSED),
        (SuppressionReason.COMPLAINT, EmailStatus.SUPPRESSED, EmailStatus.SUPPRESSED),
    ],
)
def test_what_a_suppression_holds_back_depends_on_its_reason(reason, engagement, transactional):
    person = consented()
    Suppression.objects.create(email_normalised=person.email_normalised, reason=reason)

    assert _statuses(queue_invitation(person, send=False), _confirmation(person)) == [
        engagement,
        transactional,
    ]


def test_an_esp_unsubscribe_suppresses_engagement_mail_and_a_later_bounce_stops_all():
    person = consented()
    sent = queue_invitation(person, send=False)
    _statuses(sent)

    email_event_record(
        event_id="u1", event_type="unsubscribed", recipient=person.email, email_id=str(sent.pk)
    )

    row = Suppression.objects.get(email_normalised=person.email_normalised)
    assert row.reason == SuppressionReason.UNSUBSCRIBE
    assert _statuses(_confirmation(person)) == [EmailStatus.SENT]

    email_event_record(event_id="b1", event_type="bounced", recipient=person.email)

    row.refresh_from_db()
    assert row.reason == SuppressionReason.HARD_BOUNCE
    assert _statuses(_confirmation(person)) == [EmailStatus.SUPPRESSED]
