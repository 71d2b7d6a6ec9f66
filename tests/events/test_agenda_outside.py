"""Moving a meeting's start says plainly which sessions now fall outside its times, and offers to
move the whole agenda by as much."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from engage.models import OutboundEmail
from events import services
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


# --- The offer: move the whole agenda with the meeting -------------------------------------------


def _evening_meeting(facilitator):
    day = (timezone.localtime() + dt.timedelta(days=30)).date()
    start = timezone.make_aware(dt.datetime.combine(day, dt.time(18, 0)))
    meeting = MeetingFactory(start=start, end=start + dt.timedelta(hours=2))
    plenary = SessionFactory(
        meeting=meeting,
        kind=SessionKind.PLENARY,
        title="Plenary",
        start=start,
        end=start + dt.timedelta(minutes=45),
    )
    plenary.facilitators.add(facilitator)
    return meeting, plenary


def _local_time(value) -> str:
    return timezone.localtime(value).strftime("%H:%M")


def test_taking_the_offer_moves_the_plenary_with_the_meeting_and_tells_its_facilitator(
    staff_client, facilitator, django_capture_on_commit_callbacks
):
    meeting, plenary = _evening_meeting(facilitator)
    later = dt.timedelta(minutes=30)
    offer = _edit(staff_client, meeting, start=meeting.start + later, end=meeting.end + later)
    assert offer.redirect_chain[-1][0] == (
        reverse("events:staff_agenda_shift", args=[meeting.pk]) + "?minutes=30"
    )
    page = offer.content.decode()
    assert "Move all sessions 30 minutes later" in page

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            reverse("events:staff_agenda_shift", args=[meeting.pk]),
            {"minutes": "30", "action": "shift"},
            follow=True,
        )

    plenary.refresh_from_db()
    assert (_local_time(plenary.start), _local_time(plenary.end)) == ("18:30", "19:15")
    assert "1 session moved" in response.content.decode()
    assert OutboundEmail.objects.filter(
        template="events/session_changed_facilitator", to_email=facilitator.email
    ).exists()


def test_declining_the_offer_leaves_the_sessions_where_they_were(staff_client, facilitator):
    meeting, plenary = _evening_meeting(facilitator)
    later = dt.timedelta(minutes=30)
    _edit(staff_client, meeting, start=meeting.start + later, end=meeting.end + later)

    response = staff_client.post(
        reverse("events:staff_agenda_shift", args=[meeting.pk]),
        {"minutes": "30", "action": "keep"},
        follow=True,
    )

    plenary.refresh_from_db()
    assert _local_time(plenary.start) == "18:00"
    assert "The sessions keep their times." in response.content.decode()
    assert not OutboundEmail.objects.filter(template="events/session_changed_facilitator").exists()


def test_a_shift_that_would_leave_a_session_outside_moves_nothing(engagement_team, facilitator):
    meeting, plenary = _evening_meeting(facilitator)
    closing = SessionFactory(
        meeting=meeting,
        title="Close",
        start=meeting.end - dt.timedelta(minutes=15),
        end=meeting.end,
    )

    with pytest.raises(ValidationError) as refused:
        services.meeting_agenda_shift(meeting_id=meeting.pk, minutes=30, actor=engagement_team)

    assert "Close" in " ".join(refused.value.messages)
    plenary.refresh_from_db()
    closing.refresh_from_db()
    assert plenary.start == meeting.start
    assert closing.end == meeting.end
