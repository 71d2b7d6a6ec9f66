"""What an email about a meeting may hold, per audience, with one type per key.

Every value is plain and JSON-safe (text, numbers, booleans, lists and dicts of those), so a
context can be stored on an OutboundEmail row and rendered at send time. Times are words, never
datetimes: `meeting_when` is always the text of `meeting_when_text`, whichever email carries it.

| key | type | in |
| --- | --- | --- |
| meeting_title, venue | str | every audience |
| meeting_when | str, "Tuesday 7 July 2026, 18:00 to 20:00" | every audience |
| meeting_url | str (absolute URL) | registrants |
| meeting_format | str, a MeetingFormat value ("in_person") | registrants |
| meeting_format_label | str, its label ("In person") | registrants |
| venue_address, access_information, online_url, calendar_url, first_name | str | registrants |
| status, breakout_title, registration_url, cancel_url, accept_url | str | registration notices |
| waitlist_position | int or None | registration notices |
| offer_expires_when | str (words, as meeting_when) or "" | registration notices |
| session_title, session_when, room, online_room, facilitator_url | str | facilitators |
| sessions | list of {title, when, room, online_room, url} (all str) | facilitators |
| changes | dict of label -> new value (str -> str) | change notices |
"""

from typing import TypedDict

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from events import ical
from events.enums import MeetingFormat
from events.models import Meeting, Registration


class MeetingContext(TypedDict):
    meeting_title: str
    meeting_when: str
    venue: str


class RegistrantContext(MeetingContext):
    first_name: str
    meeting_format: str
    meeting_format_label: str
    venue_address: str
    access_information: str
    online_url: str
    meeting_url: str
    calendar_url: str


class RegistrationContext(RegistrantContext):
    status: str
    breakout_title: str
    waitlist_position: int | None
    offer_expires_when: str
    registration_url: str
    cancel_url: str
    accept_url: str


class FacilitatorSession(TypedDict):
    title: str
    when: str
    room: str
    online_room: str
    url: str


class FacilitatorSessionContext(TypedDict):
    session_title: str
    meeting_title: str
    session_when: str
    room: str
    online_room: str
    venue: str
    facilitator_url: str


class FacilitatorContext(FacilitatorSessionContext):
    first_name: str


def _when_text(start, end) -> str:
    start = timezone.localtime(start)
    end = timezone.localtime(end)
    # GMT or BST after every time, as the pages say: a reader abroad knows which clock it is.
    text = date_format(start, "l j F Y, H:i T")
    if end.date() == start.date():
        return f"{text} to {date_format(end, 'H:i T')}"
    return f"{text} to {date_format(end, 'l j F Y, H:i T')}"


def meeting_when_text(meeting: Meeting) -> str:
    """The meeting's time as words, e.g. Tuesday 7 July 2026, 18:00 BST to 20:00 BST."""
    return _when_text(meeting.start, meeting.end)


def session_when_text(session) -> str:
    """A session's time as words, in the same form as meeting_when_text."""
    return _when_text(session.start, session.end)


def moment_text(value) -> str:
    """A single moment as words (an offer's expiry), e.g. Tuesday 7 July 2026, 18:00 BST."""
    return date_format(timezone.localtime(value), "l j F Y, H:i T") if value else ""


def meeting_url(meeting: Meeting) -> str:
    return f"{settings.SITE_URL}{meeting.get_absolute_url()}"


def registration_url(registration: Registration, name: str) -> str:
    path = reverse(f"events:{name}", kwargs={"token": registration.token})
    return f"{settings.SITE_URL}{path}"


def registration_calendar_url(registration: Registration) -> str:
    return registration_url(registration, "registration_calendar")


def facilitator_home_url() -> str:
    return f"{settings.SITE_URL}{reverse('events:facilitator_home')}"


def facilitator_session_url(session) -> str:
    # The anchor is the session's card on the facilitator page (events/facilitate/home.html).
    return f"{facilitator_home_url()}#session-{session.pk}"


def meeting_context(meeting: Meeting) -> MeetingContext:
    """The keys every audience shares."""
    return {
        "meeting_title": meeting.title,
        "meeting_when": meeting_when_text(meeting),
        "venue": meeting.venue,
    }


def registrant_context(registration: Registration) -> RegistrantContext:
    """Every registrant email about a meeting."""
    meeting = registration.meeting
    return {
        **meeting_context(meeting),
        "first_name": registration.stakeholder.first_name,
        "meeting_format": meeting.format,
        "meeting_format_label": str(meeting.get_format_display()),
        "venue_address": meeting.venue_address,
        "access_information": meeting.access_information,
        "online_url": meeting.online_url if meeting.format != MeetingFormat.IN_PERSON else "",
        "meeting_url": meeting_url(meeting),
        "calendar_url": registration_calendar_url(registration),
    }


def registration_context(registration: Registration) -> RegistrationContext:
    """A registrant email about their own registration (confirmed, waiting list, offer...)."""
    return {
        **registrant_context(registration),
        "status": registration.status,
        "breakout_title": registration.breakout.title if registration.breakout_id else "",
        "waitlist_position": registration.waitlist_position,
        "offer_expires_when": moment_text(registration.offer_expires_at),
        "registration_url": registration_url(registration, "registration_detail"),
        "cancel_url": registration_url(registration, "registration_cancel"),
        "accept_url": registration_url(registration, "registration_accept"),
    }


def facilitator_session(session) -> FacilitatorSession:
    return {
        "title": session.title,
        "when": session_when_text(session),
        "room": session.room,
        "online_room": session.online_room,
        "url": facilitator_session_url(session),
    }


def facilitator_context(session, user) -> FacilitatorContext:
    """A facilitator email about one session they run."""
    return {"first_name": user.first_name, **facilitator_session_context(session)}


def facilitator_session_context(session) -> FacilitatorSessionContext:
    """What every facilitator of a session is told about it (a bulk send's shared context)."""
    meeting = session.meeting
    return {
        "session_title": session.title,
        "meeting_title": meeting.title,
        "session_when": session_when_text(session),
        "room": session.room,
        "online_room": session.online_room,
        "venue": meeting.venue,
        "facilitator_url": facilitator_session_url(session),
    }


def registration_calendar(registration: Registration, *, method: str) -> str:
    """The REQUEST (or CANCEL) for one registrant's copy of the meeting."""
    stakeholder = registration.stakeholder
    return ical.registrant_calendar(
        meeting=registration.meeting,
        attendee_email=stakeholder.email,
        attendee_name=stakeholder.full_name,
        method=method,
        url=meeting_url(registration.meeting),
    )


def facilitator_calendar(meeting: Meeting, user, *, method: str) -> str:
    """The meeting's own entry (same UID as the registrants'), with the facilitator as attendee;
    it links to their facilitator page, since a draft meeting has no public page yet."""
    return ical.registrant_calendar(
        meeting=meeting,
        attendee_email=user.email,
        attendee_name=user.get_full_name(),
        method=method,
        url=facilitator_home_url(),
    )
