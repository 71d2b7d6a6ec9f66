"""The one calendar builder: iCalendar text for registrants' emails, personal downloads and the feed.

Pure functions: they read the meeting objects they are given and the clock, and write nothing.

Times are written with TZID=Europe/London and a VTIMEZONE built here from the zoneinfo database.
icalendar's own generated Europe/London block puts the spring change at 02:00 local instead of
01:00 (RFC 5545 reads an observance's DTSTART in the offset in force *before* the change), so a
meeting in the hour after the change would land an hour out. A local time that names no instant
or two instants (the autumn fold) is written in UTC instead, since a TZID time can only mean the
first of two.
"""

import datetime as dt
import functools
from collections.abc import Iterable, Mapping
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone
from icalendar import (
    Calendar,
    Event,
    Timezone,
    TimezoneDaylight,
    TimezoneStandard,
    vCalAddress,
    vText,
    vUri,
)

PRODID = "-//Engage//Public review meetings//EN"
METHOD_REQUEST = "REQUEST"
METHOD_CANCEL = "CANCEL"
_UTC = dt.UTC


def _zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


# Cached: the search walks every day of three years, and a meeting change builds one calendar per
# registrant (2,000 of them spent half their time here). The answer depends on its arguments only.
@functools.lru_cache(maxsize=64)
def _transitions(zone: ZoneInfo, start: dt.datetime, end: dt.datetime) -> tuple[dt.datetime, ...]:
    """UTC instants in [start, end) at which the zone's offset changes, to the second."""
    found = []
    step = dt.timedelta(days=1)
    here = start
    while here < end:
        there = here + step
        if here.astimezone(zone).utcoffset() != there.astimezone(zone).utcoffset():
            low, high = here, there
            while high - low > dt.timedelta(seconds=1):
                mid = low + (high - low) / 2
                if mid.astimezone(zone).utcoffset() == low.astimezone(zone).utcoffset():
                    low = mid
                else:
                    high = mid
            found.append(high.replace(microsecond=0))
        here = there
    return tuple(found)


def vtimezone(*, zone: ZoneInfo, years: Iterable[int]) -> Timezone:
    """A VTIMEZONE with the zone's real transitions, covering every year in `years`.

    It starts with the last transition of the year before the first, so that January is covered.
    """
    years = sorted(set(years))
    first = dt.datetime(years[0] - 1, 1, 1, tzinfo=_UTC)
    last = dt.datetime(years[-1] + 1, 1, 1, tzinfo=_UTC)
    changes = _transitions(zone, first, last)
    component = Timezone()
    component.add("tzid", zone.key)
    earlier = [c for c in changes if c.year < years[0]]
    keep = ([earlier[-1]] if earlier else []) + [c for c in changes if c.year >= years[0]]
    if not keep:
        # A zone with no changes at all: one standard observance from the start.
        keep_offsets = [(first, first.astimezone(zone).utcoffset(), first.astimezone(zone))]
    else:
        keep_offsets = [
            (c, (c - dt.timedelta(seconds=1)).astimezone(zone).utcoffset(), c.astimezone(zone))
            for c in keep
        ]
    for instant, offset_from, local_after in keep_offsets:
        offset_to = local_after.utcoffset()
        observance = TimezoneDaylight() if local_after.dst() else TimezoneStandard()
        # Observance DTSTART is local time in the offset in force before the change.
        observance.add("dtstart", (instant + offset_from).replace(tzinfo=None))
        observance.add("tzoffsetfrom", offset_from)
        observance.add("tzoffsetto", offset_to)
        observance.add("tzname", local_after.tzname())
        component.add_component(observance)
    return component


def _local_or_utc(value: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """The instant as London wall-clock time, or in UTC when wall-clock time would be ambiguous."""
    local = value.astimezone(zone)
    naive = local.replace(tzinfo=None)
    # A TZID time means fold=0; if that is not this instant (fold or gap), say it in UTC.
    if naive.replace(tzinfo=zone, fold=0).astimezone(_UTC) != value.astimezone(_UTC):
        return value.astimezone(_UTC)
    other = naive.replace(tzinfo=zone, fold=1).astimezone(_UTC)
    if other != value.astimezone(_UTC):
        return value.astimezone(_UTC)
    return local


def _location(meeting, *, private: bool) -> str:
    if meeting.format == "online":
        return meeting.online_url if (private and meeting.online_url) else "Online"
    lines = [meeting.venue, *meeting.venue_address.splitlines()]
    return ", ".join(line.strip() for line in lines if line.strip())


def _description(meeting, *, private: bool, url: str) -> str:
    parts = [meeting.summary.strip()] if meeting.summary.strip() else []
    if private and meeting.online_url and meeting.format != "in_person":
        parts.append(f"Join online: {meeting.online_url}")
    if meeting.access_information.strip():
        parts.append(meeting.access_information.strip())
    if url:
        parts.append(f"Details: {url}")
    return "\n\n".join(parts)


def meeting_event(
    meeting,
    *,
    private: bool,
    zone: ZoneInfo,
    dtstamp: dt.datetime,
    url: str = "",
    cancelled: bool = False,
) -> Event:
    """One VEVENT for `meeting`. `private` adds the join link, which only registrants may see."""
    event = Event()
    event.add("uid", meeting.ical_uid)
    event.add("sequence", meeting.ical_sequence)
    event.add("dtstamp", dtstamp.astimezone(_UTC))
    event.add("dtstart", _local_or_utc(meeting.start, zone))
    event.add("dtend", _local_or_utc(meeting.end, zone))
    event.add("summary", meeting.title)
    location = _location(meeting, private=private)
    if location:
        event.add("location", location)
    description = _description(meeting, private=private, url=url)
    if description:
        event.add("description", description)
    if url:
        event.add("url", vUri(url))
    if private and meeting.online_url and meeting.format != "in_person":
        event.add(
            "conference",
            vUri(meeting.online_url),
            parameters={"VALUE": "URI", "FEATURE": ["AUDIO", "VIDEO"], "LABEL": "Join online"},
        )
    if getattr(meeting, "updated_at", None):
        event.add("last-modified", meeting.updated_at.astimezone(_UTC))
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("transp", "OPAQUE")
    return event


def _calendar(
    events: list[Event], *, zone: ZoneInfo, years: set[int], method: str = "", name: str = ""
) -> str:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    if method:
        cal.add("method", method)
    if name:
        # NAME (RFC 7986) for newer clients, X-WR-CALNAME for older ones.
        cal.add("name", name)
        cal.add("x-wr-calname", name)
    if years:
        cal.add_component(vtimezone(zone=zone, years=years))
    for event in events:
        cal.add_component(event)
    return cal.to_ical().decode()


def _years(meetings) -> set[int]:
    zone = _zone()
    years = set()
    for meeting in meetings:
        years.add(meeting.start.astimezone(zone).year)
        years.add(meeting.end.astimezone(zone).year)
    return years


def _organizer() -> vCalAddress:
    organizer = vCalAddress(f"mailto:{settings.ENGAGE_ORGANISER_EMAIL}")
    organizer.params["CN"] = vText(settings.ENGAGE_ORGANISER_NAME)
    return organizer


def registrant_calendar(
    *,
    meeting,
    attendee_email: str,
    attendee_name: str = "",
    method: str = METHOD_REQUEST,
    url: str = "",
    now: dt.datetime | None = None,
) -> str:
    """An iTIP message (RFC 5546) for one registrant: METHOD:REQUEST, or METHOD:CANCEL.

    ORGANIZER is the engagement team; the registrant is the one ATTENDEE, so every registrant's
    copy is a message of its own. A CANCEL carries STATUS:CANCELLED and the meeting's current
    SEQUENCE (the meeting services raise it when the whole meeting is cancelled).
    """
    if method not in (METHOD_REQUEST, METHOD_CANCEL):
        raise ValueError(f"Unsupported METHOD {method!r}")
    zone = _zone()
    event = meeting_event(
        meeting,
        private=True,
        zone=zone,
        dtstamp=now or timezone.now(),
        url=url,
        cancelled=method == METHOD_CANCEL,
    )
    event.add("organizer", _organizer())
    attendee = vCalAddress(f"mailto:{attendee_email}")
    if attendee_name:
        attendee.params["CN"] = vText(attendee_name)
    attendee.params["ROLE"] = vText("REQ-PARTICIPANT")
    attendee.params["CUTYPE"] = vText("INDIVIDUAL")
    # They registered, so their place is accepted; no reply is asked for.
    attendee.params["PARTSTAT"] = vText("ACCEPTED" if method == METHOD_REQUEST else "DECLINED")
    attendee.params["RSVP"] = vText("FALSE")
    event.add("attendee", attendee)
    return _calendar([event], zone=zone, years=_years([meeting]), method=method)


def feed_calendar(
    *,
    meetings: Iterable,
    urls: Mapping[int, str] | None = None,
    name: str = "Public review meetings",
) -> str:
    """The public feed: no METHOD, no ATTENDEE, no join links (those are for registrants only).

    DTSTAMP is each meeting's last change, as RFC 5545 asks for an object without METHOD, so the
    feed's text changes only when a meeting does.
    """
    meetings = list(meetings)
    zone = _zone()
    urls = urls or {}
    events = [
        meeting_event(
            meeting,
            private=False,
            zone=zone,
            dtstamp=meeting.updated_at,
            url=urls.get(meeting.pk, ""),
        )
        for meeting in meetings
    ]
    return _calendar(events, zone=zone, years=_years(meetings), name=name)


def personal_calendar(*, meeting, url: str = "") -> str:
    """A registrant's download: the meeting with its join link, no METHOD (a file to import)."""
    zone = _zone()
    event = meeting_event(meeting, private=True, zone=zone, dtstamp=meeting.updated_at, url=url)
    return _calendar([event], zone=zone, years=_years([meeting]))
