"""Reads behind the public meeting pages and registration."""

import datetime as dt

import pytest
from django.utils import timezone

from events import selectors
from events.enums import MeetingStatus, RegistrationStatus, SessionKind
from tests.factories import (
    MeetingFactory,
    RegistrationFactory,
    SeriesFactory,
    SessionFactory,
    StakeholderFactory,
)

pytestmark = pytest.mark.django_db


def _past(days: int, **kwargs):
    start = timezone.now() - dt.timedelta(days=days)
    return MeetingFactory(start=start, end=start + dt.timedelta(hours=2), **kwargs)


def test_upcoming_meetings_are_soonest_first_and_include_cancelled_ones():
    later = MeetingFactory(start=timezone.now() + dt.timedelta(days=40))
    sooner = MeetingFactory(start=timezone.now() + dt.timedelta(days=10))
    cancelled = MeetingFactory(status=MeetingStatus.CANCELLED)
    MeetingFactory(status=MeetingStatus.DRAFT)
    _past(10)

    result = list(selectors.meetings_public_upcoming())

    assert result == [sooner, cancelled, later]


def test_past_meetings_are_latest_first_and_can_be_limited_to_a_series():
    other = SeriesFactory(slug="youth-forum", name="Youth forum")
    old, recent = _past(200), _past(20)
    _past(30, series=other)
    _past(40, status=MeetingStatus.CANCELLED)

    assert list(selectors.meetings_public_past(series=old.series)) == [recent, old]


def test_previous_attended_is_only_the_last_meeting_of_the_series():
    stakeholder = StakeholderFactory()
    older, last = _past(180), _past(90)
    RegistrationFactory(meeting=older, stakeholder=stakeholder, attended_at=older.start)
    meeting = MeetingFactory(series=last.series)

    assert (
        selectors.registration_previous_attended(meeting=meeting, stakeholder=stakeholder) is None
    )

    attended = RegistrationFactory(meeting=last, stakeholder=stakeholder, attended_at=last.start)
    assert (
        selectors.registration_previous_attended(meeting=meeting, stakeholder=stakeholder)
        == attended
    )


def test_breakouts_with_room_counts_confirmed_registrations_only():
    meeting = MeetingFactory()
    breakout = SessionFactory(meeting=meeting, capacity=3)
    unlimited = SessionFactory(meeting=meeting, capacity=None)
    SessionFactory(meeting=meeting, kind=SessionKind.PLENARY)
    RegistrationFactory(meeting=meeting, breakout=breakout)
    RegistrationFactory(meeting=meeting, breakout=breakout, status=RegistrationStatus.CANCELLED)

    assert selectors.breakouts_with_room(meeting=meeting) == [(breakout, 2), (unlimited, None)]


def test_meeting_places_counts_offers_as_taken():
    meeting = MeetingFactory(capacity=4)
    RegistrationFactory(meeting=meeting)
    RegistrationFactory(meeting=meeting, status=RegistrationStatus.OFFERED, waitlist_position=1)
    RegistrationFactory(meeting=meeting, status=RegistrationStatus.WAITLISTED, waitlist_position=2)
    RegistrationFactory(meeting=meeting, status=RegistrationStatus.CANCELLED)

    assert selectors.meeting_places(meeting=meeting) == {"taken": 2, "left": 2, "waiting": 1}


def test_public_meeting_excludes_drafts():
    draft = MeetingFactory(status=MeetingStatus.DRAFT)

    with pytest.raises(type(draft).DoesNotExist):
        selectors.meeting_public_get(slug=draft.slug)
