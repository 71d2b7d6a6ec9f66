"""Walk-ins at check-in: found or created by email, consent asked on the spot and recorded in the
ledger as given in person at the meeting, checked in at once even when the meeting is full, and
holding no place the waiting list is owed."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from engage import rights
from engage.enums import AuditAction, ConsentMethod
from engage.models import AuditLog, ConsentRecord, Stakeholder
from engage.privacy import privacy_notice_version_current
from events import services
from events.enums import MeetingStatus, RegistrationStatus
from events.models import Registration
from tests.factories import MeetingFactory, RegistrationFactory, StakeholderFactory

pytestmark = pytest.mark.django_db


def _walk_in(meeting, actor, *, email="amara@example.org", purposes=(), **names):
    return services.registration_walk_in(
        meeting_id=meeting.pk,
        walk_in=services.WalkIn(
            email=email,
            first_name=names.get("first_name", "Amara"),
            last_name=names.get("last_name", "Okafor"),
            purpose_ids=tuple(p.pk for p in purposes),
        ),
        actor=actor,
    )


def test_a_new_walk_in_is_created_checked_in_and_their_consent_recorded_in_person(
    engagement_team, consent_purposes
):
    meeting = MeetingFactory(title="Spring review")
    invitations = consent_purposes["meeting-invitations"]

    outcome = _walk_in(meeting, engagement_team, purposes=[invitations])

    registration = outcome.registration
    assert outcome.stakeholder_created and not outcome.had_place
    assert (registration.status, registration.walk_in) == (RegistrationStatus.CONFIRMED, True)
    assert registration.attended_at is not None
    assert registration.notice_pending == ""
    person = registration.stakeholder
    assert (person.first_name, person.last_name, person.email) == (
        "Amara",
        "Okafor",
        "amara@example.org",
    )
    assert person.source.startswith("Walk-in at Spring review")
    record = ConsentRecord.objects.get(stakeholder=person)
    assert (record.purpose, record.method, record.recorded_by) == (
        invitations,
        ConsentMethod.IN_PERSON,
        engagement_team,
    )
    assert record.wording == invitations.wording
    assert record.privacy_notice_version == privacy_notice_version_current()
    assert record.evidence == {
        "source": services.walk_ins.walk_in_source(meeting),
        "meeting_id": meeting.pk,
    }
    audit = AuditLog.objects.get(detail__kind="walk-in")
    assert (audit.actor, audit.action, audit.object_id) == (
        engagement_team,
        AuditAction.CREATE,
        str(person.pk),
    )
    assert audit.detail["consents"] == ["meeting-invitations"]
    assert "Amara" not in str(audit.detail)
    registrations = rights.subject_access_collect(stakeholder=person)["Meeting registrations"]
    assert registrations[0]["added_at_the_door"] is True


def test_a_known_address_finds_the_record_and_leaves_it_as_it_is(engagement_team):
    known = StakeholderFactory(email="Kwame.Mensah@Example.org", first_name="Kwame")
    meeting = MeetingFactory()

    outcome = _walk_in(meeting, engagement_team, email="kwame.mensah@example.org", first_name="K")

    assert not outcome.stakeholder_created
    assert outcome.registration.stakeholder_id == known.pk
    assert Stakeholder.objects.count() == 1
    known.refresh_from_db()
    assert known.first_name == "Kwame"
    assert ConsentRecord.objects.count() == 0  # nothing ticked: nothing recorded, not a withdrawal
    assert AuditLog.objects.get(detail__kind="walk-in").action == AuditAction.EDIT


def test_a_full_meeting_takes_the_walk_in_and_the_waiting_list_keeps_the_next_place(
    engagement_team,
):
    meeting = MeetingFactory(capacity=1)
    holder = RegistrationFactory(meeting=meeting)
    waiting = RegistrationFactory(
        meeting=meeting, status=RegistrationStatus.WAITLISTED, waitlist_position=1
    )

    walk_in = _walk_in(meeting, engagement_team).registration
    services.registration_cancel(token=holder.token)

    waiting.refresh_from_db()
    assert waiting.status == RegistrationStatus.OFFERED
    walk_in.refresh_from_db()
    assert (walk_in.status, walk_in.attended_at is not None) == (RegistrationStatus.CONFIRMED, True)
    assert services.meeting_places.places_taken(meeting) == 1  # the offer; not the walk-in


def test_someone_offered_a_place_who_walks_in_passes_that_place_on(engagement_team):
    meeting = MeetingFactory(capacity=1)
    offered = RegistrationFactory(meeting=meeting, status=RegistrationStatus.OFFERED)
    next_in_line = RegistrationFactory(
        meeting=meeting, status=RegistrationStatus.WAITLISTED, waitlist_position=1
    )

    outcome = _walk_in(meeting, engagement_team, email=offered.stakeholder.email)

    offered.refresh_from_db()
    next_in_line.refresh_from_db()
    assert outcome.registration.pk == offered.pk
    assert (offered.status, offered.walk_in) == (RegistrationStatus.CONFIRMED, True)
    assert offered.offer_expires_at is None
    assert next_in_line.status == RegistrationStatus.OFFERED


def test_someone_with_a_place_is_simply_checked_in(engagement_team):
    registration = RegistrationFactory()

    outcome = _walk_in(registration.meeting, engagement_team, email=registration.stakeholder.email)

    registration.refresh_from_db()
    assert outcome.had_place
    assert registration.attended_at is not None
    assert registration.walk_in is False
    assert Registration.objects.count() == 1


def test_no_walk_in_at_a_cancelled_meeting(engagement_team):
    meeting = MeetingFactory(status=MeetingStatus.CANCELLED)

    with pytest.raises(ValidationError):
        _walk_in(meeting, engagement_team)

    assert not Stakeholder.objects.exists()


# --- The page ---------------------------------------------------------------------------------


def _facilitating(meeting, facilitator):
    from tests.factories import SessionFactory

    SessionFactory(meeting=meeting).facilitators.add(facilitator)


def test_a_facilitator_adds_a_walk_in_from_the_check_in_page(client, facilitator, consent_purposes):
    meeting = MeetingFactory()
    _facilitating(meeting, facilitator)
    client.force_login(facilitator)
    checkin = client.get(reverse("events:checkin", args=[meeting.pk]))
    url = reverse("events:checkin_walk_in", args=[meeting.pk])
    assert url in checkin.content.decode()

    response = client.post(
        url,
        {
            "email": "ngozi@example.org",
            "first_name": "Ngozi",
            "last_name": "Adeyemi",
            "purposes": [consent_purposes["meeting-invitations"].pk],
        },
        follow=True,
    )

    registration = Registration.objects.get(stakeholder__email="ngozi@example.org")
    assert registration.walk_in and registration.attended_at is not None
    assert "Ngozi Adeyemi is added as a walk-in and checked in." in response.content.decode()
    assert ConsentRecord.objects.get(stakeholder=registration.stakeholder).recorded_by == (
        facilitator
    )


def test_the_walk_in_form_says_what_to_fix(client, engagement_team):
    meeting = MeetingFactory()
    client.force_login(engagement_team)

    response = client.post(
        reverse("events:checkin_walk_in", args=[meeting.pk]),
        {"email": "not an address", "first_name": "", "last_name": "Adeyemi"},
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "<title>Error:" in page
    assert 'href="#id_email"' in page
    assert "Enter an email address in the correct format, like name@example.com" in page
    assert "Enter first name" in page
    assert not Stakeholder.objects.exists()


def test_a_facilitator_of_another_meeting_cannot_add_walk_ins(client, facilitator):
    meeting = MeetingFactory()
    _facilitating(MeetingFactory(), facilitator)
    client.force_login(facilitator)

    response = client.post(
        reverse("events:checkin_walk_in", args=[meeting.pk]),
        {"email": "ngozi@example.org", "first_name": "Ngozi", "last_name": "Adeyemi"},
    )

    assert response.status_code == 403
    assert not Stakeholder.objects.exists()
