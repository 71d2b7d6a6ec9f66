"""Parse iCalendar text with libical (not the icalendar package) and report what it understood.

Run with Debian's system Python, which has python3-gi and gir1.2-ical-3.0:
    /usr/bin/python3 tests/ical_validate.py < invite.ics
Prints JSON: libical's RFC 5546 restriction errors for the calendar's METHOD, any parse errors,
and per VEVENT the UID, SEQUENCE, METHOD-relevant properties and the UTC instants of DTSTART and
DTEND, resolved through the VTIMEZONE the file itself carries (not libical's built-in zones).
"""

import json
import sys

import gi

gi.require_version("ICalGLib", "3.0")
from gi.repository import ICalGLib  # noqa: E402

UTC = ICalGLib.Timezone.get_utc_timezone()


def _errors(component) -> list[str]:
    """Every X-LIC-ERROR libical attached to this component or any inside it."""
    found = [p.get_xlicerror() for p in _all(component, ICalGLib.PropertyKind.XLICERROR_PROPERTY)]
    children = []
    child = component.get_first_component(ICalGLib.ComponentKind.ANY_COMPONENT)
    while child is not None:
        children.append(child)
        child = component.get_next_component(ICalGLib.ComponentKind.ANY_COMPONENT)
    for child in children:
        found.extend(_errors(child))
    return found


def _utc_epoch(calendar, time) -> int | None:
    """Seconds since the epoch, using the calendar's own VTIMEZONE for a TZID time."""
    if time is None or time.is_null_time():
        return None
    if time.is_utc():
        return time.as_timet()
    tzid = time.get_tzid()
    if tzid is None:
        raise SystemExit(json.dumps({"fatal": "floating time"}))
    zone = calendar.get_timezone(tzid)
    if zone is None:
        raise SystemExit(json.dumps({"fatal": f"no VTIMEZONE for {tzid}"}))
    return time.as_timet_with_zone(zone)


def _wall_clock(calendar, time, epoch: int | None) -> str | None:
    """The UTC instant shown in the event's own zone, as a calendar would display it.

    This is where a VTIMEZONE with a misplaced change shows: reading a TZID time back can land
    right by accident, but turning the instant into wall-clock time uses the onset literally.
    """
    if epoch is None or time.is_utc() or time.get_tzid() is None:
        return None
    zone = calendar.get_timezone(time.get_tzid())
    shown = ICalGLib.Time.new_from_timet_with_zone(epoch, 0, UTC)
    shown.convert_to_zone_inplace(zone)
    return shown.as_ical_string()


def _values(event, kind, getter) -> list[str]:
    values = []
    prop = event.get_first_property(kind)
    while prop is not None:
        values.append(getattr(prop, getter)())
        prop = event.get_next_property(kind)
    return values


def main() -> None:
    text = sys.stdin.read()
    calendar = ICalGLib.Component.new_from_string(text)
    if calendar is None or calendar.isa() != ICalGLib.ComponentKind.VCALENDAR_COMPONENT:
        print(json.dumps({"fatal": "not a VCALENDAR"}))
        return
    parse_errors = _errors(calendar)
    method_prop = calendar.get_first_property(ICalGLib.PropertyKind.METHOD_PROPERTY)
    method = ICalGLib.Property.method_to_string(method_prop.get_method()) if method_prop else ""
    restrictions_ok = bool(calendar.check_restrictions())
    restriction_errors = [e for e in _errors(calendar) if e not in parse_errors]
    events = []
    event = calendar.get_first_component(ICalGLib.ComponentKind.VEVENT_COMPONENT)
    while event is not None:
        sequence = event.get_first_property(ICalGLib.PropertyKind.SEQUENCE_PROPERTY)
        status = event.get_first_property(ICalGLib.PropertyKind.STATUS_PROPERTY)
        events.append(
            {
                "uid": event.get_uid(),
                "sequence": sequence.get_sequence() if sequence else None,
                "summary": event.get_summary(),
                "location": event.get_location() or "",
                "description": event.get_description() or "",
                "status": ICalGLib.Property.status_to_string(status.get_status()) if status else "",
                "dtstart_utc": _utc_epoch(calendar, event.get_dtstart()),
                "dtend_utc": _utc_epoch(calendar, event.get_dtend()),
                "dtstart_wall_clock": _wall_clock(
                    calendar, event.get_dtstart(), _utc_epoch(calendar, event.get_dtstart())
                ),
                "dtstamp_is_utc": event.get_dtstamp().is_utc(),
                "organizer": _values(
                    event, ICalGLib.PropertyKind.ORGANIZER_PROPERTY, "get_organizer"
                ),
                "attendees": _values(
                    event, ICalGLib.PropertyKind.ATTENDEE_PROPERTY, "get_attendee"
                ),
                # libical 3.0 predates RFC 7986 and keeps CONFERENCE as an unknown property.
                "conference": [
                    p.get_value_as_string()
                    for p in _all(event, ICalGLib.PropertyKind.ANY_PROPERTY)
                    if p.get_property_name() == "CONFERENCE"
                ],
            }
        )
        event = calendar.get_next_component(ICalGLib.ComponentKind.VEVENT_COMPONENT)
    print(
        json.dumps(
            {
                "method": method,
                "parse_errors": parse_errors,
                "restrictions_ok": restrictions_ok,
                "restriction_errors": restriction_errors,
                "events": events,
            }
        )
    )


def _all(event, kind) -> list:
    props = []
    prop = event.get_first_property(kind)
    while prop is not None:
        props.append(prop)
        prop = event.get_next_property(kind)
    return props


if __name__ == "__main__":
    main()
