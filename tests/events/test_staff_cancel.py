"""Staff cancel a registration: the person is told, the waiting list moves, the act is logged."""

import pytest
from django.urls import reverse

from engage.models import AuditLog, OutboundEmail
from events.enums import RegistrationStatus
from events.models import Registration
from events.notices import registration_notices_send
from tests.factories import MeetingFactory, RegistrationFactory, StakeholderFactory

pytestmark = pytest.mark.django_db


def _full_meeting():
    meeting = MeetingFactory(capacity=1)
    booked = RegistrationFactory(
        meeting=meeting, stakeholder=StakeholderFactory(email="one@example.org")
    )
    waiting = RegistrationFactory(
        meeting=meeting,
        stakeholder=StakeholderFactory(email="two@example.org"),
        status=RegistrationStatus.WAITLISTED,
        waitlist_position=1,
    )
    return meeting, booked, waiting


def test_staff_cancel_tells_the_person_and_offers_the_place(
    client, engagement_team, django_capture_on_commit_callbacks
):
    meeting, booked, waiting = _full_meeting()
    client.force_login(engagement_team)
    page = client.get(reverse("events:staff_registrations", kwargs={"pk": meeting.pk}))
    action = reverse("events:staff_registration_cancel", kwargs={"pk": booked.pk})
    assert f'action="{action}"' in page.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(action)
    registration_notices_send()

    booked.refresh_from_db()
    waiting.refresh_from_db()
    assert response.status_code == 302
    assert booked.status == RegistrationStatus.CANCELLED
    assert waiting.status == RegistrationStatus.OFFERED
    sent = set(OutboundEmail.objects.values_list("to_email", "template"))
    assert ("one@example.org", "events/registration_cancelled") in sent
    assert ("two@example.org", "events/waitlist_offer") in sent
    audit = AuditLog.objects.get(object_type="events.registration", object_id=str(booked.pk))
    assert (audit.actor, audit.detail["by"]) == (engagement_team, "staff")


@pytest.mark.parametrize("role", ["anonymous", "representative", "facilitator"])
def test_only_the_team_can_cancel_someones_registration(client, role_users, role):
    _meeting, booked, _waiting = _full_meeting()
    if role_users[role]:
        client.force_login(role_users[role])

    response = client.post(reverse("events:staff_registration_cancel", kwargs={"pk": booked.pk}))

    assert response.status_code in (302, 403)
    assert Registration.objects.get(pk=booked.pk).status == RegistrationStatus.CONFIRMED
