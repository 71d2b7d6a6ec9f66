"""Consent ledger, suppression and sign-up services."""

import datetime as dt
import threading

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.utils import timezone

from engage import services
from engage.enums import (
    AuditAction,
    ConsentAction,
    ConsentMethod,
    EmailStatus,
    LawfulBasis,
    SuppressionReason,
)
from engage.mail.services import email_queue
from engage.models import (
    AuditLog,
    ConsentRecord,
    ImportBatch,
    OutboundEmail,
    PendingSignup,
    Stakeholder,
    Suppression,
)
from engage.selectors import consent_is_given, stakeholder_consents
from tests.factories import AreaFactory, StakeholderFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_stakeholder_create_keeps_the_address_and_normalises_its_identity():
    stakeholder = services.stakeholder_create(
        email="  Amira.Khan@Example.ORG ", first_name="Amira", last_name="Khan"
    )

    assert (stakeholder.email, stakeholder.email_normalised) == (
        "Amira.Khan@Example.ORG",
        "amira.khan@example.org",
    )
    assert stakeholder.consent_records.count() == 0


@pytest.mark.parametrize(
    "email", ["amira@example.org", "AMIRA@example.org", "ａｍｉｒａ@example.org"]
)
def test_stakeholder_create_refuses_an_address_already_on_the_list(email):
    StakeholderFactory(email="amira@example.org")

    with pytest.raises(ValidationError) as error:
        services.stakeholder_create(email=email)

    assert error.value.message_dict == {
        "email": ["Someone on the list already has this email address."]
    }
    assert Stakeholder.objects.count() == 1


def test_stakeholder_create_refuses_an_invalid_address():
    with pytest.raises(ValidationError) as error:
        services.stakeholder_create(email="not an address")

    assert error.value.message_dict == {
        "email": ["Enter an email address in the correct format, like name@example.com"]
    }


def test_stakeholder_create_by_staff_is_audited_without_personal_data():
    staff = UserFactory()

    stakeholder = services.stakeholder_create(email="a@example.org", first_name="Ann", actor=staff)

    row = AuditLog.objects.get()
    assert (row.actor, row.action, row.object_id) == (
        staff,
        AuditAction.CREATE,
        str(stakeholder.pk),
    )
    assert "Ann" not in str(row.detail) and "a@example.org" not in str(row.detail)


def test_stakeholder_update_changes_only_given_fields_and_audits_field_names():
    staff = UserFactory()
    area = AreaFactory(name="Lambeth")
    stakeholder = StakeholderFactory(first_name="Ann", phone="")

    changed = services.stakeholder_update(
        stakeholder=stakeholder, actor=staff, first_name="Anne", phone="020 7946 0000", area=area
    )

    stakeholder.refresh_from_db()
    assert changed == ["first_name", "phone", "area"]
    assert (stakeholder.first_name, stakeholder.phone, stakeholder.area) == (
        "Anne",
        "020 7946 0000",
        area,
    )
    assert AuditLog.objects.get().detail == {"fields": ["first_name", "phone", "area"]}


def test_stakeholder_update_refuses_another_persons_address():
    StakeholderFactory(email="taken@example.org")
    stakeholder = StakeholderFactory(email="mine@example.org")

    with pytest.raises(ValidationError):
        services.stakeholder_update(stakeholder=stakeholder, email="Taken@example.org")

    stakeholder.refresh_from_db()
    assert stakeholder.email == "mine@example.org"


def test_consent_give_stores_wording_notice_version_and_web_evidence(consent_purposes, settings):
    settings.ENGAGE_PRIVACY_NOTICE_VERSION = "2026-11"
    stakeholder = StakeholderFactory()
    purpose = consent_purposes["action-plan-news"]

    record = services.consent_give(
        stakeholder=stakeholder,
        purpose="action-plan-news",
        method=ConsentMethod.WEB,
        ip_address="203.0.113.9",
        user_agent="Firefox",
    )

    record.refresh_from_db()
    assert (record.action, record.wording, record.privacy_notice_version) == (
        ConsentAction.GIVEN,
        purpose.wording,
        "2026-11",
    )
    assert (record.ip_address, record.user_agent) == ("203.0.113.9", "Firefox")
    stakeholder.refresh_from_db()
    assert stakeholder.last_activity_at == record.at


def test_consent_given_by_phone_names_the_staff_member_and_is_audited(consent_purposes):
    staff = UserFactory()
    stakeholder = StakeholderFactory()

    record = services.consent_give(
        stakeholder=stakeholder,
        purpose="meeting-invitations",
        method=ConsentMethod.PHONE,
        recorded_by=staff,
    )

    assert record.recorded_by == staff
    audit = AuditLog.objects.get()
    assert (audit.action, audit.detail) == (
        AuditAction.CONSENT,
        {"purpose": "meeting-invitations", "action": "given", "method": "phone"},
    )


@pytest.mark.parametrize("method", [ConsentMethod.PHONE, ConsentMethod.PAPER, ConsentMethod.IMPORT])
def test_consent_without_the_evidence_its_method_needs_is_refused(consent_purposes, method):
    stakeholder = StakeholderFactory()

    with pytest.raises(ValidationError):
        services.consent_give(stakeholder=stakeholder, purpose="meeting-invitations", method=method)

    assert ConsentRecord.objects.count() == 0


def test_imported_consent_keeps_its_batch_and_row(consent_purposes):
    batch = ImportBatch.objects.create(file_name="list.csv", file_sha256="0" * 64)
    stakeholder = StakeholderFactory()

    record = services.consent_give(
        stakeholder=stakeholder,
        purpose="meeting-invitations",
        method=ConsentMethod.IMPORT,
        import_batch=batch,
        import_row=7,
        wording="Agreed at the July meeting sign-in desk.",
    )

    assert (record.import_batch, record.import_row, record.wording) == (
        batch,
        7,
        "Agreed at the July meeting sign-in desk.",
    )


def test_withdrawal_appends_and_the_current_state_follows_the_latest(consent_purposes):
    stakeholder = StakeholderFactory()
    purpose = consent_purposes["meeting-invitations"]
    services.consent_give(stakeholder=stakeholder, purpose=purpose, method=ConsentMethod.WEB)

    services.consent_withdraw(stakeholder=stakeholder, purpose=purpose, method=ConsentMethod.WEB)

    assert list(stakeholder.consent_records.values_list("action", flat=True)) == [
        ConsentAction.WITHDRAWN,
        ConsentAction.GIVEN,
    ]
    assert consent_is_given(stakeholder_id=stakeholder.pk, purpose_id=purpose.pk) is False


def test_under_public_task_a_withdrawal_is_recorded_as_an_objection(consent_purposes):
    purpose = consent_purposes["action-plan-news"]
    purpose.lawful_basis = LawfulBasis.PUBLIC_TASK
    purpose.save()
    stakeholder = StakeholderFactory()
    services.consent_give(stakeholder=stakeholder, purpose=purpose, method=ConsentMethod.WEB)

    record = services.consent_withdraw(
        stakeholder=stakeholder, purpose=purpose, method=ConsentMethod.WEB
    )

    assert record.action == ConsentAction.OBJECTED
    assert consent_is_given(stakeholder_id=stakeholder.pk, purpose_id=purpose.pk) is False


def test_consent_records_cannot_be_edited_or_deleted(consent_purposes):
    record = services.consent_give(
        stakeholder=StakeholderFactory(), purpose="meeting-invitations", method=ConsentMethod.WEB
    )

    record.wording = "Something else"
    with pytest.raises(ValidationError):
        record.save()
    with pytest.raises(ValidationError):
        record.delete()
    assert ConsentRecord.objects.get().wording != "Something else"


def test_consent_set_adds_nothing_when_the_state_does_not_change(consent_purposes):
    stakeholder = StakeholderFactory()
    services.consent_give(
        stakeholder=stakeholder, purpose="meeting-invitations", method=ConsentMethod.WEB
    )

    again = services.consent_set(
        stakeholder=stakeholder, purpose="meeting-invitations", given=True, method=ConsentMethod.WEB
    )

    assert again is None
    assert stakeholder.consent_records.count() == 1


def test_unsubscribe_without_a_purpose_withdraws_every_consent_given(consent_purposes):
    stakeholder = StakeholderFactory()
    for slug in ("meeting-invitations", "action-plan-news"):
        services.consent_give(stakeholder=stakeholder, purpose=slug, method=ConsentMethod.WEB)

    records = services.consent_unsubscribe(stakeholder=stakeholder)

    assert sorted(r.purpose.slug for r in records) == ["action-plan-news", "meeting-invitations"]
    assert [s.state for s in stakeholder_consents(stakeholder)] == ["withdrawn"] * 2 + ["none"] * 3


def test_withdrawal_suppresses_mail_already_queued_for_that_purpose(
    consent_purposes, django_capture_on_commit_callbacks
):
    stakeholder = StakeholderFactory()
    services.consent_give(
        stakeholder=stakeholder, purpose="meeting-invitations", method=ConsentMethod.WEB
    )
    with django_capture_on_commit_callbacks() as callbacks:
        queued = email_queue(
            to_email=stakeholder.email,
            template="engage/signup_welcome",
            context={"first_name": "Ann", "preferences_url": "http://testserver/p/"},
            stakeholder=stakeholder,
            purpose_slug="meeting-invitations",
        )
    assert OutboundEmail.objects.get(pk=queued.pk).status == EmailStatus.QUEUED

    services.consent_withdraw(
        stakeholder=stakeholder, purpose="meeting-invitations", method=ConsentMethod.UNSUBSCRIBE
    )
    for callback in callbacks:
        callback()

    assert OutboundEmail.objects.get(pk=queued.pk).status == EmailStatus.SUPPRESSED
    assert mail.outbox == []


def test_suppression_add_is_idempotent_normalised_and_audited():
    staff = UserFactory()

    first, created = services.suppression_add(
        email=" Never@Example.org", reason=SuppressionReason.MANUAL, note="asked", actor=staff
    )
    second, created_again = services.suppression_add(
        email="never@example.org", reason=SuppressionReason.MANUAL, actor=staff
    )

    assert (first.pk, created, created_again) == (second.pk, True, False)
    assert first.email_normalised == "never@example.org"
    assert list(AuditLog.objects.values_list("action", flat=True)) == [AuditAction.SUPPRESS]


def test_suppression_add_refuses_an_invalid_address():
    with pytest.raises(ValidationError):
        services.suppression_add(email="nope", reason=SuppressionReason.MANUAL)

    assert Suppression.objects.count() == 0


def test_a_suppressed_address_gets_no_mail_already_queued(
    consent_purposes, django_capture_on_commit_callbacks
):
    stakeholder = StakeholderFactory(email="person@example.org")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        queued = email_queue(
            to_email=stakeholder.email,
            template="engage/signup_welcome",
            context={"first_name": "", "preferences_url": "http://testserver/p/"},
        )

    services.suppression_add(email="PERSON@example.org", reason=SuppressionReason.COMPLAINT)
    for callback in callbacks:
        callback()

    assert OutboundEmail.objects.get(pk=queued.pk).status == EmailStatus.SUPPRESSED


def test_suppression_remove_deletes_and_audits():
    staff = UserFactory()
    row, _ = services.suppression_add(email="a@example.org", reason=SuppressionReason.MANUAL)

    services.suppression_remove(suppression=row, actor=staff)

    assert Suppression.objects.count() == 0
    audit = AuditLog.objects.get()
    assert (audit.actor, audit.detail) == (staff, {"removed": "manual"})


# --- Sign-up, double opt-in ----------------------------------------------------------------------


def _request(consent_purposes, **overrides):
    values = {
        "email": "new.person@example.org",
        "first_name": "Nia",
        "last_name": "Okoro",
        "area": None,
        "organisation_name": "Northside Youth Forum",
        "interest_ids": [],
        "purposes": [consent_purposes["meeting-invitations"], consent_purposes["attendee-list"]],
        "ip_address": "198.51.100.4",
        "user_agent": "Phone browser",
    }
    values.update(overrides)
    return services.signup_request(**values)


def test_signup_request_records_nothing_about_the_person_until_confirmed(
    consent_purposes, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        pending = _request(consent_purposes)

    assert Stakeholder.objects.count() == 0
    assert ConsentRecord.objects.count() == 0
    assert [m.to for m in mail.outbox] == [["new.person@example.org"]]
    assert f"/join/confirm/{pending.token}/" in mail.outbox[0].body


def test_signup_request_for_an_address_on_the_list_does_exactly_the_same(
    consent_purposes, django_capture_on_commit_callbacks
):
    StakeholderFactory(email="new.person@example.org")

    with django_capture_on_commit_callbacks(execute=True):
        _request(consent_purposes)

    assert PendingSignup.objects.count() == 1
    assert mail.outbox[0].subject == "Confirm that you want to join the stakeholder list"
    assert Stakeholder.objects.count() == 1


def test_signup_confirm_creates_the_person_with_the_wording_they_were_shown(
    consent_purposes, django_capture_on_commit_callbacks
):
    pending = _request(consent_purposes)
    shown = consent_purposes["meeting-invitations"].wording
    consent_purposes["meeting-invitations"].wording = "New wording after the form was shown."
    consent_purposes["meeting-invitations"].save()

    with django_capture_on_commit_callbacks(execute=True):
        stakeholder = services.signup_confirm(
            token=pending.token, ip_address="198.51.100.5", user_agent="Mail app"
        )

    records = {r.purpose.slug: r for r in stakeholder.consent_records.select_related("purpose")}
    assert sorted(records) == ["attendee-list", "meeting-invitations"]
    record = records["meeting-invitations"]
    assert (record.wording, record.method, record.ip_address, record.user_agent) == (
        shown,
        ConsentMethod.WEB,
        "198.51.100.4",
        "Phone browser",
    )
    assert record.evidence["confirmed_ip_address"] == "198.51.100.5"
    assert list(stakeholder.organisations.values_list("name", flat=True)) == [
        "Northside Youth Forum"
    ]
    pending.refresh_from_db()
    assert (pending.email, pending.data) == ("", {"stakeholder_id": stakeholder.pk})
    assert mail.outbox[-1].subject == "You are on the stakeholder list"


def test_confirming_twice_records_nothing_more(consent_purposes):
    pending = _request(consent_purposes)
    first = services.signup_confirm(token=pending.token, ip_address=None, user_agent="")

    second = services.signup_confirm(token=pending.token, ip_address=None, user_agent="")

    assert first == second
    assert ConsentRecord.objects.count() == 2


def test_confirming_for_an_existing_person_fills_blanks_and_adds_consents_only(consent_purposes):
    existing = StakeholderFactory(
        email="new.person@example.org", first_name="Nia", last_name="", area=None
    )
    services.consent_give(
        stakeholder=existing,
        purpose="action-plan-news",
        method=ConsentMethod.PAPER,
        recorded_by=UserFactory(),
    )
    pending = _request(consent_purposes, first_name="Someone Else", last_name="Okoro")

    stakeholder = services.signup_confirm(token=pending.token, ip_address=None, user_agent="")

    assert stakeholder.pk == existing.pk
    stakeholder.refresh_from_db()
    assert (stakeholder.first_name, stakeholder.last_name) == ("Nia", "Okoro")
    assert {s.purpose.slug: s.state for s in stakeholder_consents(stakeholder)} == {
        "meeting-invitations": "given",
        "action-plan-news": "given",
        "equality-monitoring": "none",
        "access-needs": "none",
        "attendee-list": "given",
    }


def test_a_confirmation_link_expires_after_the_configured_days(consent_purposes, settings):
    settings.ENGAGE_UNCONFIRMED_SIGNUP_DAYS = 7
    with time_machine.travel(timezone.now() - dt.timedelta(days=8)):
        pending = _request(consent_purposes)

    with pytest.raises(services.SignupLinkInvalid):
        services.signup_confirm(token=pending.token, ip_address=None, user_agent="")

    assert Stakeholder.objects.count() == 0


def test_an_unknown_confirmation_link_is_refused():
    with pytest.raises(services.SignupLinkInvalid):
        services.signup_confirm(token="nothing-like-this", ip_address=None, user_agent="")


def test_signups_purge_deletes_only_those_older_than_the_limit(consent_purposes, settings):
    settings.ENGAGE_UNCONFIRMED_SIGNUP_DAYS = 7
    with time_machine.travel(timezone.now() - dt.timedelta(days=8)):
        old = _request(consent_purposes, email="old@example.org")
    recent = _request(consent_purposes, email="recent@example.org")

    deleted = services.signups_purge()

    assert deleted == 1
    assert list(PendingSignup.objects.values_list("pk", flat=True)) == [recent.pk]
    assert not PendingSignup.objects.filter(pk=old.pk).exists()


# --- Concurrency (PostgreSQL) --------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_concurrent_changes_for_one_person_are_ordered_by_commit(consent_purposes):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL; SQLite serialises every writer anyway")
    stakeholder = StakeholderFactory()
    barrier = threading.Barrier(8)
    errors = []

    def worker(index: int) -> None:
        try:
            barrier.wait()
            for step in range(5):
                services.consent_set(
                    stakeholder=stakeholder,
                    purpose="meeting-invitations",
                    given=(index + step) % 2 == 0,
                    method=ConsentMethod.WEB,
                )
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    by_time = list(
        ConsentRecord.objects.filter(stakeholder=stakeholder)
        .order_by("at", "id")
        .values_list("id", "action")
    )
    by_id = sorted(by_time)
    assert by_time == by_id
    actions = [action for _, action in by_id]
    # consent_set only appends changes, so under the lock the ledger strictly alternates.
    assert all(a != b for a, b in zip(actions, actions[1:], strict=False))


def test_a_flood_of_signups_for_one_address_sends_at_most_three_emails(
    consent_purposes, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        results = [_request(consent_purposes, email="target@example.org") for _ in range(5)]

    assert [r is not None for r in results] == [True, True, True, False, False]
    assert len(mail.outbox) == 3
