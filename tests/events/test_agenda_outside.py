"""Moving a meeting's start says plainly which sessions now fall outside its times."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from events.enums import SessionKind
from tests.factories import MeetingFactory, SessionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, engagement_team):
    client.force_login(engagement_team)
    return client


def _edit(staff_client, meeting, *, start, end):
    form = staff_client.get(reverse("events:staff_meeting_edit", args=[meeting.pk])).context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None and k != "series"}
    data.update(
        start=timezone.localtime(start).strftime("%Y-%m-%dT%H:%M"),
        end=timezone.localtime(end).strftime("%Y-%m-%dT%H:%M"),
    )
    return staff_client.post(
        reverse("events:staff_meeting_edit", args=[meeting.pk]), data, follow=True
    )


def test_moving_the_start_names_the_sessions_left_outside(staff_client):
    meeting = MeetingFactory()
    SessionFactory(
        meeting=meeting,
        kind=SessionKind.PLENARY,
        title="Plenary",
        start=meeting.start,
        end=meeting.start + dt.timedelta(minutes=45),
    )
    SessionFactory(meeting=meeting, title="Breakout on trust")  # 45 minutes in: still inside

    response = _edit(
        staff_client,
        meeting,
        start=meeting.start + dt.timedelta(minutes=30),
        end=meeting.end,
    )

    text = " ".join(str(m) for m in response.context["messages"])
    assert "fall outside the meeting's times" in text
    assert "Plenary (" in text
    assert "Breakout on trust" not in text


def test_no_warning_when_the_agenda_still_fits(staff_client):
    meeting = MeetingFactory()
    SessionFactory(meeting=meeting, title="Breakout on trust")

    response = _edit(staff_client, meeting, start=meeting.start, end=meeting.end)

    assert "fall outside" not in " ".join(str(m) for m in response.context["messages"])
