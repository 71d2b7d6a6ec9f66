"""Calendar files, checked with libical (not the icalendar package that wrote them).

tests/ical_validate.py runs under Debian's system Python with ICalGLib; it applies libical's
RFC 5546 restriction check for the file's METHOD and resolves every TZID time through the
VTIMEZONE the file carries, so a wrong VTIMEZONE shows up as a wrong UTC instant.
"""

import datetime as dt
import json
import subprocess
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from events import ical
from events.enums import MeetingFormat, MeetingStatus, RegistrationStatus
from tests.factories import MeetingFactory, RegistrationFactory, StakeholderFactory

LONDON = ZoneInfo("Europe/London")
VALIDATOR = Path(__file__).resolve().parents[1] / "ical_validate.py"

pytestmark = pytest.mark.django_db


def libical(text: str) -> dict:
    result = subprocess.run(
        ["/usr/bin/python3", str(VALIDATOR)],
        input=text,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return json.loads(result.stdout)


def epoch(value: dt.datetime) -> int:
    return int(value.timestamp())


def london(*args, fold: int = 0) -> dt.datetime:
    return dt.datetime(*args, tzinfo=LONDON).replace(fold=fold)


# Wall-clock London times and the UTC instants they are; the spring and autumn changes of 2026
# are 29 March and 25 October, both at 01:00 UTC.
INSTANTS = [
    pytest.param(london(2026, 1, 15, 18, 0), dt.datetime(2026, 1, 15, 18, 0), id="gmt-winter"),
    pytest.param(london(2026, 7, 7, 18, 0), dt.datetime(2026, 7, 7, 17, 0), id="bst-summer"),
    pytest.param(
        london(2026, 3, 29, 2, 30), dt.datetime(2026, 3, 29, 1, 30), id="just-after-spring"
    ),
    pytest.param(london(2026, 3, 29, 10, 0), dt.datetime(2026, 3, 29, 9, 0), id="spring-day"),
    pytest.param(london(2026, 3, 28, 23, 30), dt.datetime(2026, 3, 28, 23, 30), id="eve-of-spring"),
    pytest.param(
        london(2026, 10, 25, 1, 30), dt.datetime(2026, 10, 25, 0, 30), id="autumn-bst-01:30"
    ),
    pytest.param(
        london(2026, 10, 25, 1, 30, fold=1), dt.datetime(2026, 10, 25, 1, 30), id="autumn-gmt-01:30"
    ),
    pytest.param(
        london(2026, 10, 25, 2, 30), dt.datetime(2026, 10, 25, 2, 30), id="just-after-autumn"
    ),
    pytest.param(london(2027, 1, 7, 19, 0), dt.datetime(2027, 1, 7, 19, 0), id="next-year"),
]


def _meeting(start: dt.datetime, **kwargs):
    # Two hours of real time (aware arithmetic in one zone would add wall-clock time instead).
    end = start.astimezone(dt.UTC) + dt.timedelta(hours=2)
    return MeetingFactory(start=start, end=end, **kwargs)


@pytest.mark.parametrize(("start", "utc"), INSTANTS)
def test_request_has_the_right_utc_instant_and_passes_rfc5546(start, utc):
    meeting = _meeting(
        start, format=MeetingFormat.HYBRID, online_url="https://meet.example.org/review"
    )

    text = ical.registrant_calendar(
        meeting=meeting, attendee_email="amira@example.org", attendee_name="Amira Khan"
    )
    parsed = libical(text)

    assert parsed["method"] == "REQUEST"
    assert parsed["parse_errors"] == []
    assert parsed["restriction_errors"] == []
    assert parsed["restrictions_ok"] is True
    [event] = parsed["events"]
    assert event["dtstart_utc"] == epoch(utc.replace(tzinfo=dt.UTC))
    assert event["dtend_utc"] == epoch(utc.replace(tzinfo=dt.UTC) + dt.timedelta(hours=2))
    # The instant shown back in London time through the file's own VTIMEZONE; a wall-clock
    # time that happens twice (the autumn fold) is written in UTC, so there is none.
    ambiguous = start.replace(fold=1 - start.fold).utcoffset() != start.utcoffset()
    expected_wall = None if ambiguous else start.strftime("%Y%m%dT%H%M%S")
    assert event["dtstart_wall_clock"] == expected_wall
    assert event["uid"] == meeting.ical_uid
    assert event["sequence"] == 0
    assert event["dtstamp_is_utc"] is True
    assert event["organizer"] == ["mailto:engage@localhost"]
    assert event["attendees"] == ["mailto:amira@example.org"]
    assert event["conference"] == ["https://meet.example.org/review"]
    assert "Join online: https://meet.example.org/review" in event["description"]


@pytest.mark.parametrize(("start", "utc"), INSTANTS)
def test_cancel_and_feed_have_the_same_instants(start, utc):
    meeting = _meeting(start)

    cancel = libical(
        ical.registrant_calendar(meeting=meeting, attendee_email="a@example.org", method="CANCEL")
    )
    feed = libical(ical.feed_calendar(meetings=[meeting]))

    for parsed in (cancel, feed):
        assert parsed["restriction_errors"] == []
        assert parsed["events"][0]["dtstart_utc"] == epoch(utc.replace(tzinfo=dt.UTC))


def test_vtimezone_observances_start_at_the_real_changes():
    # RFC 5545 reads an observance's DTSTART in the offset before the change: spring is 01:00
    # local (icalendar's generated block says 02:00), autumn 02:00 local.
    component = ical.vtimezone(zone=LONDON, years=[2026])

    starts = [
        (sub.name, sub["DTSTART"].dt, sub["TZOFFSETFROM"].td, sub["TZOFFSETTO"].td)
        for sub in component.subcomponents
    ]

    hour = dt.timedelta(hours=1)
    assert starts == [
        ("STANDARD", dt.datetime(2025, 10, 26, 2, 0), hour, dt.timedelta(0)),
        ("DAYLIGHT", dt.datetime(2026, 3, 29, 1, 0), dt.timedelta(0), hour),
        ("STANDARD", dt.datetime(2026, 10, 25, 2, 0), hour, dt.timedelta(0)),
    ]


def test_ambiguous_autumn_time_is_written_in_utc_and_others_in_london_time():
    second = _meeting(london(2026, 10, 25, 1, 30, fold=1))
    plain = _meeting(london(2026, 7, 7, 18, 0))

    text_second = ical.feed_calendar(meetings=[second])
    text_plain = ical.feed_calendar(meetings=[plain])

    assert "DTSTART:20261025T013000Z" in text_second
    assert "DTSTART;TZID=Europe/London:20260707T180000" in text_plain


def test_cancel_passes_rfc5546_with_status_cancelled():
    meeting = _meeting(london(2026, 7, 7, 18, 0), ical_sequence=3)

    parsed = libical(
        ical.registrant_calendar(meeting=meeting, attendee_email="a@example.org", method="CANCEL")
    )

    assert parsed["method"] == "CANCEL"
    assert parsed["restriction_errors"] == []
    assert parsed["events"][0]["status"] == "CANCELLED"
    assert parsed["events"][0]["sequence"] == 3
    assert parsed["events"][0]["attendees"] == ["mailto:a@example.org"]


def test_the_validator_rejects_a_request_without_an_attendee():
    # The restriction check is live: a REQUEST without ATTENDEE breaks RFC 5546.
    meeting = _meeting(london(2026, 7, 7, 18, 0))
    text = ical.registrant_calendar(meeting=meeting, attendee_email="a@example.org")
    text = "".join(line for line in text.splitlines(True) if not line.startswith(("ATTENDEE", " ")))

    parsed = libical(text)

    assert parsed["restrictions_ok"] is False
    assert any("ATTENDEE" in error for error in parsed["restriction_errors"])


def test_unsupported_method_is_refused():
    meeting = _meeting(london(2026, 7, 7, 18, 0))

    with pytest.raises(ValueError, match="PUBLISH"):
        ical.registrant_calendar(meeting=meeting, attendee_email="a@example.org", method="PUBLISH")


def test_public_feed_lists_published_meetings_without_people_or_join_links(client):
    published = _meeting(
        london(2026, 7, 7, 18, 0),
        format=MeetingFormat.ONLINE,
        online_url="https://meet.example.org/secret",
    )
    winter = _meeting(london(2026, 12, 3, 18, 0))
    _meeting(london(2026, 8, 1, 18, 0), status=MeetingStatus.DRAFT)
    _meeting(london(2026, 9, 1, 18, 0), status=MeetingStatus.CANCELLED)

    response = client.get("/events/calendar.ics")
    text = response.content.decode()
    parsed = libical(text)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert parsed["method"] == ""
    assert parsed["restriction_errors"] == []
    assert [e["uid"] for e in parsed["events"]] == [published.ical_uid, winter.ical_uid]
    assert [e["attendees"] for e in parsed["events"]] == [[], []]
    assert [e["organizer"] for e in parsed["events"]] == [[], []]
    assert "meet.example.org" not in text
    assert parsed["events"][0]["location"] == "Online"
    assert parsed["events"][1]["dtstart_utc"] == epoch(london(2026, 12, 3, 18, 0))


def test_feed_is_the_same_text_until_a_meeting_changes(client):
    _meeting(london(2026, 7, 7, 18, 0))

    first = client.get(reverse("events:calendar_feed")).content
    second = client.get(reverse("events:calendar_feed")).content

    assert first == second


def test_personal_download_carries_the_join_link_for_a_confirmed_place(client):
    meeting = _meeting(
        london(2026, 7, 7, 18, 0),
        format=MeetingFormat.HYBRID,
        online_url="https://meet.example.org/review",
    )
    registration = RegistrationFactory(meeting=meeting, status=RegistrationStatus.CONFIRMED)

    response = client.get(
        reverse("events:registration_calendar", kwargs={"token": registration.token})
    )
    parsed = libical(response.content.decode())

    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    assert parsed["restriction_errors"] == []
    assert parsed["events"][0]["uid"] == meeting.ical_uid
    assert parsed["events"][0]["conference"] == ["https://meet.example.org/review"]
    assert parsed["events"][0]["dtstart_utc"] == epoch(london(2026, 7, 7, 18, 0))


@pytest.mark.parametrize("status", [RegistrationStatus.CANCELLED, RegistrationStatus.WAITLISTED])
def test_personal_download_is_not_found_without_a_confirmed_place(client, status):
    registration = RegistrationFactory(status=status, stakeholder=StakeholderFactory())

    response = client.get(
        reverse("events:registration_calendar", kwargs={"token": registration.token})
    )

    assert response.status_code == 404


def test_the_registration_page_links_to_the_personal_download(client):
    registration = RegistrationFactory(status=RegistrationStatus.CONFIRMED)

    response = client.get(
        reverse("events:registration_detail", kwargs={"token": registration.token})
    )

    link = reverse("events:registration_calendar", kwargs={"token": registration.token})
    assert f'href="{link}"' in response.content.decode()
