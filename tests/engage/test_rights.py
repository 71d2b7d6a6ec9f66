"""Subject access, erasure and the staff pages for rights, suppression and the audit log."""

import io
import json
import zipfile

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse
from django.utils import timezone

from engage import links, rights, services
from engage.enums import AuditAction, ConsentMethod, SuppressionReason
from engage.mail.services import email_queue
from engage.models import (
    AuditLog,
    ConsentRecord,
    ErasureRecord,
    Membership,
    OutboundEmail,
    Suppression,
)
from events.models import Invitation, PanelQuestion, Registration
from tests.factories import (
    AreaFactory,
    CampaignFactory,
    MeetingFactory,
    OrganisationFactory,
    PanelQuestionFactory,
    RegistrationFactory,
    StakeholderFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def person(consent_purposes):
    """Someone with details, consents, a registration, a question, an invitation and a mail."""
    area = AreaFactory(name="Southwark")
    user = UserFactory(email="ada@example.org")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    stakeholder = StakeholderFactory(
        first_name="Ada <b>",
        last_name="Lovelace",
        email="ada@example.org",
        phone="020 7946 0001",
        notes="Prefers evening meetings",
        area=area,
        user=user,
    )
    Membership.objects.create(
        stakeholder=stakeholder, organisation=OrganisationFactory(name="Riverside RA"), role="Chair"
    )
    services.consent_give(
        stakeholder=stakeholder,
        purpose="meeting-invitations",
        method=ConsentMethod.WEB,
        ip_address="203.0.113.1",
        user_agent="Firefox",
        evidence={"confirmed_ip_address": "203.0.113.2"},
    )
    meeting = MeetingFactory(title="Autumn public review meeting")
    registration = RegistrationFactory(
        meeting=meeting,
        stakeholder=stakeholder,
        area=area,
        organisation_name="Riverside RA",
        access_requirements="Step-free access",
        attendee_list_ok=True,
        attended_at=timezone.now(),
    )
    PanelQuestionFactory(
        meeting=meeting, registration=registration, text="Why are stops rising in Peckham?"
    )
    email = email_queue(
        to_email=stakeholder.email,
        template="engage/signup_welcome",
        context={"first_name": "Ada", "preferences_url": "http://testserver/p/"},
        stakeholder=stakeholder,
    )
    Invitation.objects.create(
        campaign=CampaignFactory(meeting=meeting), stakeholder=stakeholder, email=email
    )
    return stakeholder


def test_events_registers_its_provider_through_engages_registry():
    assert [p.name for p in rights.subject_data_providers()][:2] == ["engage", "events"]


def test_subject_access_zip_holds_everything_across_apps(person, administrator):
    archive = rights.subject_access_export(stakeholder=person, actor=administrator)

    with zipfile.ZipFile(io.BytesIO(archive)) as opened:
        assert sorted(opened.namelist()) == ["data.json", "index.html"]
        data = json.loads(opened.read("data.json"))
        html = opened.read("index.html").decode()
    sections = data["sections"]
    assert sections["Your details"][0]["email"] == "ada@example.org"
    assert sections["Your details"][0]["organisations"] == "Riverside RA (Chair)"
    assert sections["Consents"][0]["wording"] == ConsentRecord.objects.get().wording
    assert sections["Consents"][0]["ip_address"] == "203.0.113.1"
    assert sections["Meeting registrations"][0]["access_requirements"] == "Step-free access"
    assert sections["Questions for the panel"][0]["question"] == "Why are stops rising in Peckham?"
    assert sections["Invitations"][0]["meeting"] == "Autumn public review meeting"
    assert sections["Emails sent to you"][0]["subject"] == "You are on the stakeholder list"
    assert "Ada &lt;b&gt;" in html and "Ada <b>" not in html
    assert "Why are stops rising in Peckham?" in html


def test_subject_access_is_audited_with_counts_only(person, administrator):
    rights.subject_access_export(stakeholder=person, actor=administrator)

    audit = AuditLog.objects.get(action=AuditAction.SUBJECT_ACCESS)
    assert (audit.actor, audit.object_id) == (administrator, str(person.pk))
    assert audit.detail["sections"]["Consents"] == 1
    assert "Ada" not in json.dumps(audit.detail)


def test_erasure_anonymises_the_person_everywhere_and_keeps_aggregates(person, administrator):
    old_token = links.link_token(stakeholder=person, purpose=links.PREFERENCES)
    registration = Registration.objects.get()

    record = rights.stakeholder_erase(stakeholder=person, actor=administrator)

    person.refresh_from_db()
    assert (person.first_name, person.last_name, person.email, person.phone, person.notes) == (
        "",
        "",
        "",
        "",
        "",
    )
    assert person.email_normalised is None
    assert person.anonymised_at is not None
    assert person.area.name == "Southwark"
    with pytest.raises(links.LinkInvalid):
        links.link_read(token=old_token, purpose=links.PREFERENCES)
    consent = ConsentRecord.objects.get()
    assert (consent.ip_address, consent.user_agent, consent.evidence) == (None, "", {})
    assert consent.wording  # the words agreed to are not personal data
    kept = Registration.objects.get()
    assert (kept.status, kept.area, kept.attended_at, kept.meeting_id) == (
        registration.status,
        registration.area,
        registration.attended_at,
        registration.meeting_id,
    )
    assert (kept.access_requirements, kept.organisation_name) == ("", "")
    assert kept.token != registration.token
    assert PanelQuestion.objects.get().registration is None
    email = OutboundEmail.objects.get()
    assert (email.to_email, email.body_text, email.subject) == ("", "", "")
    assert Membership.objects.count() == 0
    assert person.user is None
    assert (record.stakeholder_id, record.erased_by, record.reason) == (
        person.pk,
        administrator,
        "request",
    )


def test_erasure_closes_the_account_and_frees_the_address_for_a_fresh_start(person, administrator):
    user_pk = person.user_id

    rights.stakeholder_erase(stakeholder=person, actor=administrator)

    user = type(administrator).objects.get(pk=user_pk)
    assert (user.is_active, user.email, user.has_usable_password()) == (
        False,
        f"erased-{user_pk}@erased.invalid",
        False,
    )
    assert EmailAddress.objects.filter(user_id=user_pk).count() == 0
    assert services.stakeholder_create(email="ada@example.org").pk != person.pk


def test_erasure_record_and_audit_hold_no_personal_data(person, administrator):
    rights.stakeholder_erase(stakeholder=person, actor=administrator)

    audit = AuditLog.objects.get(action=AuditAction.ERASE)
    stored = json.dumps(audit.detail) + json.dumps(
        list(ErasureRecord.objects.values("stakeholder_id", "reason", "removed"))
    )
    for personal in ("Ada", "Lovelace", "ada@example.org", "0001", "Riverside"):
        assert personal not in stored


def test_erasure_record_says_what_was_removed_kind_by_kind(person, administrator):
    emails = OutboundEmail.objects.filter(stakeholder=person).count()

    record = rights.stakeholder_erase(stakeholder=person, actor=administrator)

    record.refresh_from_db()
    assert record.removed["engage"] == {
        "consent evidence": 1,
        "outbox files": 0,
        "sessions": 0,
        "email events": 0,
        "emails": emails,
        "memberships": 1,
        "tags": 0,
        "pending sign-ups": 0,
        "account": 1,
    }
    assert record.removed["events"] == {
        "registration details": 1,
        "panel question links": 1,
        "invitation links": 1,
    }
    assert record.removed["imports"] == {"import files": 0}
    audit = AuditLog.objects.get(action=AuditAction.ERASE)
    assert audit.detail["removed"] == record.removed


def test_erasing_twice_changes_nothing_more(person, administrator):
    first = rights.stakeholder_erase(stakeholder=person, actor=administrator)

    second = rights.stakeholder_erase(stakeholder=person, actor=administrator)

    assert first == second
    assert ErasureRecord.objects.count() == 1


def test_erasure_keeps_the_address_on_the_suppression_list(person, administrator):
    services.suppression_add(email="ada@example.org", reason=SuppressionReason.COMPLAINT)

    rights.stakeholder_erase(stakeholder=person, actor=administrator)

    assert Suppression.objects.filter(email_normalised="ada@example.org").exists()


# --- Staff pages ---------------------------------------------------------------------------------


def test_subject_access_page_downloads_a_zip(client, person, administrator):
    client.force_login(administrator)
    url = reverse("engage:stakeholder_subject_access", kwargs={"pk": person.pk})

    response = client.post(url)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert f"subject-access-{person.pk}-" in response["Content-Disposition"]
    assert zipfile.ZipFile(io.BytesIO(response.content)).namelist() == ["data.json", "index.html"]


def test_erase_page_needs_the_box_ticked(client, person, administrator):
    client.force_login(administrator)
    url = reverse("engage:stakeholder_erase", kwargs={"pk": person.pk})

    refused = client.post(url, {})
    erased = client.post(url, {"confirm": "yes"})

    assert refused.status_code == 200
    assert "Tick the box" in refused.content.decode()
    assert erased.status_code == 302
    person.refresh_from_db()
    assert person.anonymised_at is not None


def test_the_engagement_team_cannot_erase(client, person, engagement_team):
    client.force_login(engagement_team)

    response = client.post(
        reverse("engage:stakeholder_erase", kwargs={"pk": person.pk}), {"confirm": "yes"}
    )

    assert response.status_code == 403
    person.refresh_from_db()
    assert person.anonymised_at is None


def test_suppression_list_page_query_count_does_not_grow(
    client, engagement_team, django_assert_max_num_queries
):
    staff = UserFactory()
    for n in range(60):
        services.suppression_add(
            email=f"gone{n}@example.org", reason=SuppressionReason.MANUAL, actor=staff
        )
    client.force_login(engagement_team)

    with django_assert_max_num_queries(10):
        response = client.get(reverse("engage:suppression_list"))

    body = response.content.decode()
    assert response.status_code == 200
    assert body.count("@example.org</td>") == 50
    assert "Page 1 of 2" in body


def test_suppression_list_search(client, engagement_team):
    services.suppression_add(email="findme@example.org", reason=SuppressionReason.MANUAL)
    services.suppression_add(email="other@example.org", reason=SuppressionReason.MANUAL)
    client.force_login(engagement_team)

    response = client.get(reverse("engage:suppression_list"), {"q": "FINDME"})

    body = response.content.decode()
    assert "findme@example.org" in body and "other@example.org" not in body


def test_staff_add_an_address_by_hand(client, engagement_team):
    client.force_login(engagement_team)

    response = client.post(
        reverse("engage:suppression_add"), {"email": "Stop@Example.org", "note": "by phone"}
    )

    assert response.status_code == 302
    row = Suppression.objects.get()
    assert (row.email_normalised, row.reason, row.note, row.created_by) == (
        "stop@example.org",
        SuppressionReason.MANUAL,
        "by phone",
        engagement_team,
    )


def test_staff_add_an_invalid_address_gets_a_clear_error(client, engagement_team):
    client.force_login(engagement_team)

    response = client.post(reverse("engage:suppression_add"), {"email": "not-an-address"})

    assert response.status_code == 200
    assert (
        "Enter an email address in the correct format, like name@example.com"
        in response.content.decode()
    )
    assert Suppression.objects.count() == 0


def test_administrator_removes_an_address(client, administrator):
    row, _ = services.suppression_add(email="a@example.org", reason=SuppressionReason.MANUAL)
    client.force_login(administrator)

    response = client.post(reverse("engage:suppression_remove", kwargs={"pk": row.pk}))

    assert response.status_code == 302
    assert Suppression.objects.count() == 0
    assert AuditLog.objects.filter(action=AuditAction.SUPPRESS, actor=administrator).exists()


def test_audit_log_page_query_count_and_filter(
    client, administrator, django_assert_max_num_queries
):
    staff = UserFactory(email="team.member@example.org")
    for n in range(30):
        services.audit_log(actor=staff, action=AuditAction.VIEW, detail={"n": n})
    services.audit_log(actor=staff, action=AuditAction.EXPORT, detail={"rows": 5})
    client.force_login(administrator)

    with django_assert_max_num_queries(10):
        everything = client.get(reverse("engage:audit_log"))
    exports = client.get(reverse("engage:audit_log"), {"action": "export"})

    assert everything.content.decode().count("team.member@example.org</td>") == 31
    assert exports.content.decode().count("team.member@example.org</td>") == 1
