"""The attendee list people are asked to appear on: names and organisations of those who came,
ticked the box and still consent, shown on the meeting page after it to people who held a place."""

import datetime as dt

import pytest
from django.utils import timezone

from engage import services
from engage.enums import ConsentMethod
from tests.factories import MeetingFactory, RegistrationFactory, StakeholderFactory, UserFactory

pytestmark = pytest.mark.django_db


def _attendee(meeting, first, last, *, organisation="", ticked=True, consent=True, came=True):
    person = StakeholderFactory(first_name=first, last_name=last)
    if consent:
        services.consent_give(stakeholder=person, purpose="attendee-list", method=ConsentMethod.WEB)
    return RegistrationFactory(
        meeting=meeting,
        stakeholder=person,
        organisation_name=organisation,
        attendee_list_ok=ticked,
        attended_at=meeting.start if came else None,
    )


@pytest.fixture
def past_meeting(consent_purposes):
    start = (timezone.now() - dt.timedelta(days=2)).replace(microsecond=0)
    meeting = MeetingFactory(start=start, end=start + dt.timedelta(hours=2))
    _attendee(meeting, "Amara", "Okafor", organisation="Peckham Youth Forum")
    _attendee(meeting, "Bea", "Nolan", organisation="Tenants' Voice")
    withdrawn = _attendee(meeting, "Cal", "Reyes", organisation="Faith Forum")
    services.consent_withdraw(
        stakeholder=withdrawn.stakeholder, purpose="attendee-list", method=ConsentMethod.WEB
    )
    _attendee(meeting, "Dev", "Shah", ticked=False)
    _attendee(meeting, "Eve", "Adams", came=False)
    _attendee(meeting, "Fola", "Bello", consent=False)
    return meeting


def _page_as(client, meeting, registration):
    account = UserFactory(email=registration.stakeholder.email)
    registration.stakeholder.user = account
    registration.stakeholder.save()
    client.force_login(account)
    return client.get(meeting.get_absolute_url()).content.decode()


def test_people_who_held_a_place_see_who_came_and_agreed(client, past_meeting):
    viewer = past_meeting.registrations.get(stakeholder__first_name="Dev")

    body = _page_as(client, past_meeting, viewer)

    assert "Who came" in body
    assert "Amara Okafor, Peckham Youth Forum" in body
    assert "Bea Nolan, Tenants&#x27; Voice" in body
    for absent in ("Cal Reyes", "Dev Shah", "Eve Adams", "Fola Bello"):
        assert absent not in body


def test_visitors_without_a_place_do_not_see_the_list(client, past_meeting):
    assert "Amara Okafor" not in client.get(past_meeting.get_absolute_url()).content.decode()


def test_there_is_no_list_before_the_meeting_has_ended(client, consent_purposes):
    meeting = MeetingFactory()
    registration = _attendee(meeting, "Gil", "Hart", came=False)

    body = _page_as(client, meeting, registration)

    assert "Who came" not in body and "Gil Hart" not in body
