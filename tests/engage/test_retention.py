"""Retention of stored email contents, email events and audit rows, and consent renewal then
lapse, across the months with time-machine; every run is safe to repeat."""

import datetime as dt
import re

import pytest
import time_machine
from django.core.mail import EmailMessage
from django.urls import reverse
from django.utils import timezone

from engage import links as signed_links
from engage import retention, services
from engage.enums import AuditAction, ConsentAction, ConsentMethod, EmailStatus
from engage.mail.backends import EMAIL_ID_HEADER, OutboxBackend
from engage.mail.services import email_queue_rendered
from engage.models import AuditLog, ConsentRecord, EmailEvent, OutboundEmail, Stakeholder
from engage.selectors import consent_is_given
from tests.factories import StakeholderFactory

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 1, 5, 10, 0, tzinfo=dt.UTC)


def _sent_email(person, text="Your code is 123456") -> OutboundEmail:
    row = email_queue_rendered(
        to_email=person.email, template="events/register_code", subject="Code", text=text
    )
    OutboundEmail.objects.filter(pk=row.pk).update(
        status=EmailStatus.SENT, sent_at=timezone.now(), context={"code": "123456"}
    )
    return row


def test_old_email_contents_events_and_audit_rows_go_and_a_second_run_changes_nothing(
    settings, tmp_path
):
    settings.EMAIL_OUTBOX_DIR = tmp_path
    settings.ENGAGE_RETENTION_EMAIL_CONTENT_DAYS = 180
    settings.ENGAGE_RETENTION_EMAIL_EVENT_DAYS = 90
    settings.ENGAGE_RETENTION_AUDIT_DAYS = 150
    person = StakeholderFactory()
    with time_machine.travel(START, tick=False):
        old = _sent_email(person)
        OutboxBackend().send_messages(
            [EmailMessage("Code", "x", to=[person.email], headers={EMAIL_ID_HEADER: str(old.pk)})]
        )
        still_owed = email_queue_rendered(
            to_email=person.email, template="events/register_code", subject="Late", text="2"
        )
        EmailEvent.objects.create(email=old, event_id="ev-old", event_type="delivered")
        AuditLog.objects.create(actor=None, action=AuditAction.VIEW, object_type="x")
    with time_machine.travel(START + dt.timedelta(days=100), tick=False):
        recent = _sent_email(person, text="Recent")
        EmailEvent.objects.create(email=recent, event_id="ev-recent", event_type="delivered")
        AuditLog.objects.create(actor=None, action=AuditAction.VIEW, object_type="y")

    with time_machine.travel(START + dt.timedelta(days=181), tick=False):
        first = retention.retention_records_run()
        second = retention.retention_records_run()

    assert first == {"email_contents": 1, "outbox_files": 1, "email_events": 1, "audit_rows": 1}
    assert second == {"email_contents": 0, "outbox_files": 0, "email_events": 0, "audit_rows": 0}
    old.refresh_from_db()
    assert (old.subject, old.body_text, old.body_html, old.context) == ("", "", "", {})
    assert old.status == EmailStatus.SENT and old.contents_removed_at is not None
    assert list(tmp_path.glob("*.eml")) == []
    assert OutboundEmail.objects.get(pk=recent.pk).body_text.startswith("Recent")
    assert OutboundEmail.objects.get(pk=still_owed.pk).body_text  # not sent yet: kept
    assert list(EmailEvent.objects.values_list("event_id", flat=True)) == ["ev-recent"]
    assert not AuditLog.objects.filter(object_type="x").exists()
    assert AuditLog.objects.filter(object_type="y").exists()
    assert AuditLog.objects.filter(object_type="retention_records").count() == 2


@pytest.fixture
def quiet_person(consent_purposes, settings):
    settings.ENGAGE_CONSENT_RENEW_AFTER_DAYS = 730
    settings.ENGAGE_CONSENT_RENEWAL_GRACE_DAYS = 30
    with time_machine.travel(START, tick=False):
        person = StakeholderFactory(first_name="Kemi")
        for slug in ("meeting-invitations", "action-plan-news"):
            services.consent_give(stakeholder=person, purpose=slug, method=ConsentMethod.WEB)
        services.consent_withdraw(
            stakeholder=person, purpose="action-plan-news", method=ConsentMethod.WEB
        )
    return person


def _renewal_emails(person):
    return OutboundEmail.objects.filter(stakeholder=person, template=retention.RENEWAL_TEMPLATE)


def test_a_quiet_consent_is_asked_once_then_lapses_in_the_ledger(
    client, quiet_person, consent_purposes
):
    invitations = consent_purposes["meeting-invitations"]
    with time_machine.travel(START + dt.timedelta(days=729), tick=False):
        assert retention.consent_renewals_run()["asked"] == 0
    asked_day = START + dt.timedelta(days=731)
    with time_machine.travel(asked_day, tick=False):
        assert retention.consent_renewals_run()["asked"] == 1
        assert retention.consent_renewals_run()["asked"] == 0
    email = _renewal_emails(quiet_person).get()
    assert "/preferences/" in email.body_text
    assert "5 February 2028" in email.body_text  # asked_day + 30 days, in words
    records_before = ConsentRecord.objects.filter(stakeholder=quiet_person).count()

    with time_machine.travel(asked_day + dt.timedelta(days=29), tick=False):
        assert retention.consent_renewals_run()["consents_lapsed"] == 0
    with time_machine.travel(asked_day + dt.timedelta(days=31), tick=False):
        lapsed = retention.consent_renewals_run()
        again = retention.consent_renewals_run()

    assert (lapsed["consents_lapsed"], again["consents_lapsed"]) == (1, 0)
    ledger = ConsentRecord.objects.filter(stakeholder=quiet_person).order_by("at", "id")
    assert ledger.count() == records_before + 1  # nothing deleted, one entry added
    last = ledger.last()
    assert (last.purpose, last.action, last.method) == (
        invitations,
        ConsentAction.LAPSED,
        ConsentMethod.LAPSE,
    )
    assert not consent_is_given(stakeholder_id=quiet_person.pk, purpose_id=invitations.pk)
    assert Stakeholder.objects.get(pk=quiet_person.pk).consent_renewal_asked_at is None
    token = signed_links.link_token(stakeholder=quiet_person, purpose=signed_links.PREFERENCES)
    page = client.get(reverse("engage:preferences", kwargs={"token": token})).content.decode()
    assert "Lapsed: we had not heard from you" in page
    with time_machine.travel(asked_day + dt.timedelta(days=800), tick=False):
        assert retention.consent_renewals_run()["asked"] == 0  # nothing left to renew
    assert _renewal_emails(quiet_person).count() == 1


def test_keep_my_choices_from_the_emailed_link_renews_and_nothing_lapses(
    client, quiet_person, consent_purposes
):
    asked_day = START + dt.timedelta(days=731)
    with time_machine.travel(asked_day, tick=False):
        retention.consent_renewals_run()
    url = re.search(r"https?://\S+/preferences/\S+/", _renewal_emails(quiet_person).get().body_text)
    path = "/" + url.group(0).split("/", 3)[3]

    with time_machine.travel(asked_day + dt.timedelta(days=3), tick=False):
        page = client.get(path)
        assert "Keep my choices" in page.content.decode()
        response = client.post(path, {"form": "renew"})
    with time_machine.travel(asked_day + dt.timedelta(days=40), tick=False):
        result = retention.consent_renewals_run()

    assert response.status_code == 302
    assert result["consents_lapsed"] == 0
    invitations = consent_purposes["meeting-invitations"]
    assert consent_is_given(stakeholder_id=quiet_person.pk, purpose_id=invitations.pk)
    latest = ConsentRecord.objects.filter(stakeholder=quiet_person, purpose=invitations).first()
    assert latest.evidence == {"renewed": True}
    assert not ConsentRecord.objects.filter(action=ConsentAction.LAPSED).exists()


def test_taking_part_after_the_question_counts_as_an_answer(quiet_person):
    asked_day = START + dt.timedelta(days=731)
    with time_machine.travel(asked_day, tick=False):
        retention.consent_renewals_run()
    with time_machine.travel(asked_day + dt.timedelta(days=5), tick=False):
        Stakeholder.objects.filter(pk=quiet_person.pk).update(last_activity_at=timezone.now())
    with time_machine.travel(asked_day + dt.timedelta(days=31), tick=False):
        result = retention.consent_renewals_run()

    assert (result["consents_lapsed"], result["answered"]) == (0, 1)
    assert Stakeholder.objects.get(pk=quiet_person.pk).consent_renewal_asked_at is None
