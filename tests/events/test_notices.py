"""Registrant emails with calendar parts, and the scheduled sends (each exactly once)."""

import datetime as dt
import threading

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from engage.models import OutboundEmail
from events import notices, services
from events.enums import MeetingFormat, MeetingStatus, RegistrationStatus, SessionKind
from events.models import Document, MeetingChange, Registration
from tests.events.test_ical import libical
from tests.factories import (
    DocumentFactory,
    MeetingFactory,
    RegistrationFactory,
    SessionFactory,
    StakeholderFactory,
)

DAY = dt.timedelta(days=1)


def _sent(django_capture_on_commit_callbacks, fn, *args, **kwargs):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        result = fn(*args, **kwargs)
    return result, list(mail.outbox)


def _calendar_parts(message) -> dict[str, tuple[str, str]]:
    """content type -> (method parameter, text) for every calendar part of the sent message."""
    parts = {}
    for part in message.message().walk():
        ctype = part.get_content_type()
        if ctype in ("text/calendar", "application/ics"):
            parts[ctype] = (
                part.get_param("method"),
                part.get_payload(decode=True).decode(),
                part.get_filename(),
            )
    return parts


# --- Calendar parts ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_confirmation_carries_a_request_part_and_an_ics_attachment(
    django_capture_on_commit_callbacks,
):
    meeting = MeetingFactory(format=MeetingFormat.HYBRID, online_url="https://meet.example.org/r")
    stakeholder = StakeholderFactory(first_name="Amira", last_name="Khan")
    registration = RegistrationFactory(meeting=meeting, stakeholder=stakeholder)

    email, outbox = _sent(
        django_capture_on_commit_callbacks,
        notices.registration_confirmed_notify,
        registration.pk,
    )

    assert email.calendar_method == "REQUEST"
    [message] = outbox
    parts = _calendar_parts(message)
    assert parts["text/calendar"][0] == "REQUEST"
    assert parts["application/ics"][0] == "REQUEST"
    assert parts["application/ics"][2] == "invite.ics"
    assert parts["text/calendar"][1].replace("\r\n", "\n") == email.calendar.replace("\r\n", "\n")
    parsed = libical(email.calendar)
    assert parsed["restriction_errors"] == []
    assert parsed["events"][0]["uid"] == meeting.ical_uid
    assert parsed["events"][0]["attendees"] == [f"mailto:{stakeholder.email}"]
    assert parsed["events"][0]["dtstart_utc"] == int(meeting.start.timestamp())


@pytest.mark.django_db
def test_a_change_of_time_sends_an_update_with_the_same_uid_and_next_sequence(
    django_capture_on_commit_callbacks,
):
    meeting = MeetingFactory()
    registrations = [RegistrationFactory(meeting=meeting) for _ in range(2)]
    RegistrationFactory(meeting=meeting, status=RegistrationStatus.CANCELLED)
    later = meeting.start + dt.timedelta(hours=1)

    _result, outbox = _sent(
        django_capture_on_commit_callbacks,
        services.meeting_update,
        meeting_id=meeting.pk,
        data={"start": later, "end": later + dt.timedelta(hours=2)},
        actor=None,
    )

    assert sorted(m.to[0] for m in outbox) == sorted(r.stakeholder.email for r in registrations)
    for message in outbox:
        method, text, _name = _calendar_parts(message)["text/calendar"]
        parsed = libical(text)
        assert method == "REQUEST"
        assert parsed["restriction_errors"] == []
        assert parsed["events"][0]["uid"] == meeting.ical_uid
        assert parsed["events"][0]["sequence"] == 1
        assert parsed["events"][0]["dtstart_utc"] == int(later.timestamp())


@pytest.mark.django_db
def test_a_change_of_title_only_sends_nothing(django_capture_on_commit_callbacks):
    meeting = MeetingFactory()
    RegistrationFactory(meeting=meeting)

    _result, outbox = _sent(
        django_capture_on_commit_callbacks,
        services.meeting_update,
        meeting_id=meeting.pk,
        data={"title": "A new name"},
        actor=None,
    )

    assert outbox == []


@pytest.mark.django_db
def test_cancelling_the_meeting_sends_cancel_to_everyone_registered(
    django_capture_on_commit_callbacks,
):
    meeting = MeetingFactory()
    registrations = [RegistrationFactory(meeting=meeting) for _ in range(3)]

    _result, outbox = _sent(
        django_capture_on_commit_callbacks,
        services.meeting_cancel,
        meeting_id=meeting.pk,
        actor=None,
    )

    assert sorted(m.to[0] for m in outbox) == sorted(r.stakeholder.email for r in registrations)
    for message in outbox:
        method, text, _name = _calendar_parts(message)["text/calendar"]
        parsed = libical(text)
        assert method == "CANCEL"
        assert parsed["method"] == "CANCEL"
        assert parsed["restriction_errors"] == []
        assert parsed["events"][0]["status"] == "CANCELLED"
        assert parsed["events"][0]["sequence"] == 1
        assert parsed["events"][0]["uid"] == meeting.ical_uid


@pytest.mark.django_db
def test_a_registrant_who_cancels_gets_a_cancel_for_their_copy(django_capture_on_commit_callbacks):
    meeting = MeetingFactory()
    mine = RegistrationFactory(meeting=meeting)
    RegistrationFactory(meeting=meeting)

    _result, outbox = _sent(
        django_capture_on_commit_callbacks, services.registration_cancel, token=mine.token
    )

    [message] = outbox
    method, text, _name = _calendar_parts(message)["text/calendar"]
    parsed = libical(text)
    assert message.to == [mine.stakeholder.email]
    assert method == "CANCEL"
    assert parsed["restriction_errors"] == []
    assert parsed["events"][0]["attendees"] == [f"mailto:{mine.stakeholder.email}"]
    assert parsed["events"][0]["status"] == "CANCELLED"
    assert parsed["events"][0]["uid"] == meeting.ical_uid


# --- Reminders ---------------------------------------------------------------------------------


def _registered(meeting, *, days_before_start: int = 30, **kwargs):
    return RegistrationFactory(
        meeting=meeting, created_at=meeting.start - dt.timedelta(days=days_before_start), **kwargs
    )


@pytest.mark.django_db
def test_reminders_go_7_and_1_days_before_once_each(django_capture_on_commit_callbacks):
    meeting = MeetingFactory(start=timezone.now() + 10 * DAY)
    registration = _registered(meeting)
    _registered(meeting, status=RegistrationStatus.CANCELLED)
    at_7 = meeting.start - 7 * DAY + dt.timedelta(minutes=5)
    at_1 = meeting.start - 1 * DAY + dt.timedelta(minutes=5)

    early, none_yet = _sent(
        django_capture_on_commit_callbacks, notices.reminders_send_due, now=at_7 - DAY
    )
    first, week = _sent(django_capture_on_commit_callbacks, notices.reminders_send_due, now=at_7)
    repeat, nothing = _sent(
        django_capture_on_commit_callbacks, notices.reminders_send_due, now=at_7
    )
    last, day = _sent(django_capture_on_commit_callbacks, notices.reminders_send_due, now=at_1)

    assert (early, first, repeat, last) == (0, 1, 0, 1)
    assert none_yet == nothing == []
    assert [m.to for m in week] == [[registration.stakeholder.email]]
    assert week[0].subject == f"In 7 days: {meeting.title}"
    assert day[0].subject == f"Tomorrow: {meeting.title}"
    assert _calendar_parts(day[0])["text/calendar"][0] == "REQUEST"
    assert Registration.objects.get(pk=registration.pk).reminders_sent == [7, 1]


@pytest.mark.django_db
def test_only_the_nearest_reminder_goes_when_both_are_due(django_capture_on_commit_callbacks):
    meeting = MeetingFactory(start=timezone.now() + 10 * DAY)
    registration = _registered(meeting)

    sent, outbox = _sent(
        django_capture_on_commit_callbacks,
        notices.reminders_send_due,
        now=meeting.start - dt.timedelta(hours=12),
    )

    assert sent == 1
    assert [m.subject for m in outbox] == [f"Tomorrow: {meeting.title}"]
    assert Registration.objects.get(pk=registration.pk).reminders_sent == [7, 1]


@pytest.mark.django_db
def test_no_week_reminder_for_someone_who_registered_within_the_week(
    django_capture_on_commit_callbacks,
):
    meeting = MeetingFactory(start=timezone.now() + 10 * DAY, reminder_days=[7, 1])
    _registered(meeting, days_before_start=3)

    sent, outbox = _sent(
        django_capture_on_commit_callbacks,
        notices.reminders_send_due,
        now=meeting.start - 2 * DAY,
    )

    assert sent == 0
    assert outbox == []


@pytest.mark.django_db
def test_reminder_days_are_set_per_meeting(django_capture_on_commit_callbacks):
    meeting = MeetingFactory(start=timezone.now() + 20 * DAY, reminder_days=[14])
    _registered(meeting)

    sent, outbox = _sent(
        django_capture_on_commit_callbacks,
        notices.reminders_send_due,
        now=meeting.start - 14 * DAY + dt.timedelta(minutes=1),
    )

    assert sent == 1
    assert outbox[0].subject == f"In 14 days: {meeting.title}"


def _twice_at_once(fn, **kwargs) -> list:
    barrier = threading.Barrier(2)
    errors = []

    def run():
        try:
            barrier.wait()
            fn(**kwargs)
        except Exception as exc:  # surfaced by the caller's assertion
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


@pytest.mark.django_db(transaction=True)
def test_two_reminder_runs_at_once_send_one_reminder_each():
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    meeting = MeetingFactory(start=timezone.now() + 10 * DAY)
    registrations = [_registered(meeting) for _ in range(15)]
    mail.outbox.clear()

    errors = _twice_at_once(
        notices.reminders_send_due, now=meeting.start - 7 * DAY + dt.timedelta(minutes=1)
    )

    assert errors == []
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        r.stakeholder.email for r in registrations
    )


@pytest.mark.django_db(transaction=True)
def test_two_joining_runs_at_once_send_once_each():
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    meeting = MeetingFactory(
        start=timezone.now() + dt.timedelta(hours=6),
        format=MeetingFormat.ONLINE,
        online_url="https://meet.example.org/r",
    )
    registrations = [_registered(meeting) for _ in range(10)]
    mail.outbox.clear()

    errors = _twice_at_once(notices.joining_instructions_send_due)

    assert errors == []
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        r.stakeholder.email for r in registrations
    )


# --- Pre-reading -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_prereading_is_announced_once_when_published(django_capture_on_commit_callbacks):
    meeting = MeetingFactory()
    registrations = [_registered(meeting) for _ in range(2)]
    now = timezone.now()
    due = [
        DocumentFactory(meeting=meeting, title="Progress update", publish_at=now - DAY),
        DocumentFactory(meeting=meeting, title="Discussion questions", publish_at=now),
    ]
    future = DocumentFactory(meeting=meeting, publish_at=now + 3 * DAY)

    count, outbox = _sent(django_capture_on_commit_callbacks, notices.prereading_notify_due)
    again, nothing = _sent(django_capture_on_commit_callbacks, notices.prereading_notify_due)

    assert (count, again) == (2, 0)
    assert nothing == []
    assert sorted(m.to[0] for m in outbox) == sorted(r.stakeholder.email for r in registrations)
    assert "Progress update" in outbox[0].body
    assert "Discussion questions" in outbox[0].body
    assert all(Document.objects.get(pk=d.pk).notified_at is not None for d in due)
    assert Document.objects.get(pk=future.pk).notified_at is None


# --- Joining instructions ----------------------------------------------------------------------


@pytest.mark.django_db
def test_joining_instructions_go_a_day_ahead_for_online_meetings_only(
    django_capture_on_commit_callbacks,
):
    soon = timezone.now() + dt.timedelta(hours=20)
    online = MeetingFactory(
        start=soon, format=MeetingFormat.ONLINE, online_url="https://meet.example.org/r"
    )
    hybrid_later = MeetingFactory(
        start=soon + 5 * DAY, format=MeetingFormat.HYBRID, online_url="https://meet.example.org/h"
    )
    in_person = MeetingFactory(start=soon)
    registration = _registered(online)
    _registered(hybrid_later)
    _registered(in_person)

    count, outbox = _sent(django_capture_on_commit_callbacks, notices.joining_instructions_send_due)
    again, nothing = _sent(
        django_capture_on_commit_callbacks, notices.joining_instructions_send_due
    )

    assert (count, again) == (1, 0)
    assert nothing == []
    assert [m.to for m in outbox] == [[registration.stakeholder.email]]
    assert "https://meet.example.org/r" in outbox[0].body
    assert Registration.objects.get(pk=registration.pk).joining_instructions_sent_at is not None


# --- Leaving the waiting list, expired offers --------------------------------------------------


def _waiting(meeting, position: int, **kwargs):
    return RegistrationFactory(
        meeting=meeting,
        status=RegistrationStatus.WAITLISTED,
        waitlist_position=position,
        **kwargs,
    )


def _offered(meeting, position: int, *, expires_at):
    return RegistrationFactory(
        meeting=meeting,
        status=RegistrationStatus.OFFERED,
        waitlist_position=position,
        offered_at=expires_at - dt.timedelta(hours=48),
        offer_expires_at=expires_at,
    )


@pytest.mark.django_db
def test_someone_who_leaves_the_waiting_list_gets_no_calendar_cancel(
    django_capture_on_commit_callbacks,
):
    meeting = MeetingFactory(capacity=1)
    RegistrationFactory(meeting=meeting)
    waiting = _waiting(meeting, 1)

    _result, outbox = _sent(
        django_capture_on_commit_callbacks, services.registration_cancel, token=waiting.token
    )

    [message] = outbox
    assert message.to == [waiting.stakeholder.email]
    assert message.subject == f"Registration cancelled: {meeting.title}"
    assert _calendar_parts(message) == {}
    email = OutboundEmail.objects.get(template="events/registration_cancelled")
    assert (email.calendar, email.calendar_method) == ("", "")


@pytest.mark.django_db
def test_someone_who_declines_an_offer_gets_no_calendar_cancel(django_capture_on_commit_callbacks):
    meeting = MeetingFactory(capacity=1)
    offered = _offered(meeting, 1, expires_at=timezone.now() + DAY)

    _result, outbox = _sent(
        django_capture_on_commit_callbacks, services.registration_cancel, token=offered.token
    )

    [message] = outbox
    assert message.to == [offered.stakeholder.email]
    assert _calendar_parts(message) == {}


@pytest.mark.django_db
def test_an_expired_offer_tells_the_person_once_and_offers_the_next(
    django_capture_on_commit_callbacks,
):
    meeting = MeetingFactory(capacity=1)
    lapsed = _offered(meeting, 1, expires_at=timezone.now() - dt.timedelta(minutes=5))
    following = _waiting(meeting, 2)

    expired, outbox = _sent(
        django_capture_on_commit_callbacks, services.registrations_expire_offers
    )
    _again, outbox_again = _sent(
        django_capture_on_commit_callbacks, services.registrations_expire_offers
    )

    assert expired == 1
    assert sorted((m.to[0], m.subject) for m in outbox) == sorted(
        [
            (lapsed.stakeholder.email, f"Your offer of a place has expired: {meeting.title}"),
            (following.stakeholder.email, f"A place is free for you: {meeting.title}"),
        ]
    )
    lapsed_mail = next(m for m in outbox if m.to == [lapsed.stakeholder.email])
    assert _calendar_parts(lapsed_mail) == {}
    assert "passed to the next person" in lapsed_mail.body
    assert outbox_again == []


@pytest.mark.django_db
def test_no_expiry_notice_for_an_offer_on_a_cancelled_meeting(django_capture_on_commit_callbacks):
    meeting = MeetingFactory(capacity=1, status=MeetingStatus.CANCELLED)
    lapsed = _offered(meeting, 1, expires_at=timezone.now() - dt.timedelta(minutes=5))

    expired, outbox = _sent(
        django_capture_on_commit_callbacks, services.registrations_expire_offers
    )

    lapsed.refresh_from_db()
    assert (expired, lapsed.status, outbox) == (1, RegistrationStatus.CANCELLED, [])


@pytest.mark.django_db(transaction=True)
def test_two_expiry_runs_at_once_tell_the_lapsed_person_once():
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    meeting = MeetingFactory(capacity=3)
    lapsed = [
        _offered(meeting, i, expires_at=timezone.now() - dt.timedelta(minutes=5))
        for i in range(1, 4)
    ]
    mail.outbox.clear()

    errors = _twice_at_once(services.registrations_expire_offers)

    assert errors == []
    expired_mail = [m for m in mail.outbox if m.subject.startswith("Your offer of a place has")]
    assert sorted(m.to[0] for m in expired_mail) == sorted(r.stakeholder.email for r in lapsed)


# --- Session changes ---------------------------------------------------------------------------


def _session_update(session, **data):
    return services.session_update(session_id=session.pk, data=data, facilitators=[], actor=None)


@pytest.mark.django_db
def test_a_breakout_room_change_tells_only_the_people_placed_in_it(
    django_capture_on_commit_callbacks,
):
    meeting = MeetingFactory()
    breakout = SessionFactory(meeting=meeting, room="Room 1")
    other = SessionFactory(meeting=meeting, room="Room 2")
    placed = [RegistrationFactory(meeting=meeting, breakout=breakout) for _ in range(2)]
    RegistrationFactory(meeting=meeting, breakout=other)
    RegistrationFactory(meeting=meeting, breakout=breakout, status=RegistrationStatus.CANCELLED)

    _result, outbox = _sent(
        django_capture_on_commit_callbacks, _session_update, breakout, room="Committee Room 4"
    )

    assert sorted(m.to[0] for m in outbox) == sorted(r.stakeholder.email for r in placed)
    for message in outbox:
        assert message.subject == f"Session changed: {breakout.title}"
        assert "- Room: Committee Room 4" in message.body
        assert "Time:" not in message.body
        # The meeting's calendar entry is unchanged, so no REQUEST rides along.
        assert _calendar_parts(message) == {}
    meeting.refresh_from_db()
    assert meeting.ical_sequence == 0


@pytest.mark.django_db
def test_a_plenary_time_change_tells_everyone_confirmed_in_london_time(
    django_capture_on_commit_callbacks,
):
    # 13 July 2027 is in BST: 18:00 in London is 17:00 UTC.
    start = dt.datetime(2027, 7, 13, 17, 0, tzinfo=dt.UTC)
    meeting = MeetingFactory(start=start, end=start + dt.timedelta(hours=3))
    plenary = SessionFactory(
        meeting=meeting, kind=SessionKind.PLENARY, start=start, end=start + dt.timedelta(hours=1)
    )
    everyone = [RegistrationFactory(meeting=meeting) for _ in range(3)]
    _waiting(meeting, 1)
    later = start + dt.timedelta(minutes=30)

    _result, outbox = _sent(
        django_capture_on_commit_callbacks,
        _session_update,
        plenary,
        start=later,
        end=later + dt.timedelta(hours=1),
    )

    assert sorted(m.to[0] for m in outbox) == sorted(r.stakeholder.email for r in everyone)
    assert "- Time: Tuesday 13 July 2027, 18:30 BST to 19:30 BST" in outbox[0].body


@pytest.mark.django_db
def test_a_session_change_repeated_later_is_sent_again(django_capture_on_commit_callbacks):
    meeting = MeetingFactory()
    breakout = SessionFactory(meeting=meeting, room="Room 1")
    RegistrationFactory(meeting=meeting, breakout=breakout)

    _r1, first = _sent(django_capture_on_commit_callbacks, _session_update, breakout, room="B")
    _r2, second = _sent(django_capture_on_commit_callbacks, _session_update, breakout, room="A")
    _r3, third = _sent(django_capture_on_commit_callbacks, _session_update, breakout, room="B")

    assert [len(first), len(second), len(third)] == [1, 1, 1]


@pytest.mark.django_db
def test_a_session_title_change_or_a_draft_meeting_sends_nothing(
    django_capture_on_commit_callbacks,
):
    breakout = SessionFactory(room="Room 1")
    RegistrationFactory(meeting=breakout.meeting, breakout=breakout)
    draft_session = SessionFactory(meeting=MeetingFactory(status=MeetingStatus.DRAFT))
    RegistrationFactory(meeting=draft_session.meeting, breakout=draft_session)

    _r1, retitled = _sent(
        django_capture_on_commit_callbacks, _session_update, breakout, title="New name"
    )
    _r2, draft = _sent(
        django_capture_on_commit_callbacks, _session_update, draft_session, room="Room 9"
    )

    assert (retitled, draft) == ([], [])


@pytest.mark.django_db
def test_a_session_cannot_move_outside_the_meetings_times(django_capture_on_commit_callbacks):
    from django.core.exceptions import ValidationError

    meeting = MeetingFactory()
    breakout = SessionFactory(meeting=meeting)
    RegistrationFactory(meeting=meeting, breakout=breakout)

    with pytest.raises(ValidationError) as excinfo:
        _sent(
            django_capture_on_commit_callbacks,
            _session_update,
            breakout,
            end=meeting.end + dt.timedelta(minutes=15),
        )

    assert "change the meeting's start or end first" in excinfo.value.message_dict["start"][0]
    breakout.refresh_from_db()
    assert breakout.end < meeting.end
    assert mail.outbox == []


def _week_reminder_already_sent(django_capture_on_commit_callbacks):
    """A meeting five days ahead whose 7-day reminder went out two days ago."""
    meeting = MeetingFactory(start=timezone.now() + 5 * DAY)
    registration = _registered(meeting)
    sent, _outbox = _sent(
        django_capture_on_commit_callbacks,
        notices.reminders_send_due,
        now=meeting.start - 7 * DAY + dt.timedelta(minutes=5),
    )
    assert sent == 1
    return meeting, registration


@pytest.mark.django_db
def test_a_meeting_moved_later_sends_its_week_reminder_again_before_the_new_date(
    django_capture_on_commit_callbacks,
):
    meeting, registration = _week_reminder_already_sent(django_capture_on_commit_callbacks)
    moved = meeting.start + 7 * DAY

    with django_capture_on_commit_callbacks(execute=True):
        services.meeting_update(
            meeting_id=meeting.pk, data={"start": moved, "end": meeting.end + 7 * DAY}, actor=None
        )
    cleared = Registration.objects.get(pk=registration.pk).reminders_sent
    early, none_yet = _sent(
        django_capture_on_commit_callbacks,
        notices.reminders_send_due,
        now=moved - 7 * DAY - dt.timedelta(hours=1),
    )
    sent, again = _sent(
        django_capture_on_commit_callbacks,
        notices.reminders_send_due,
        now=moved - 7 * DAY + dt.timedelta(minutes=5),
    )

    assert cleared == []
    assert (early, none_yet) == (0, [])
    assert sent == 1
    assert [m.subject for m in again] == [f"In 7 days: {meeting.title}"]


@pytest.mark.django_db
def test_a_meeting_moved_by_an_hour_sends_no_reminder_twice(django_capture_on_commit_callbacks):
    meeting, registration = _week_reminder_already_sent(django_capture_on_commit_callbacks)

    with django_capture_on_commit_callbacks(execute=True):
        services.meeting_update(
            meeting_id=meeting.pk,
            data={
                "start": meeting.start + dt.timedelta(hours=1),
                "end": meeting.end + dt.timedelta(hours=1),
            },
            actor=None,
        )
    sent, outbox = _sent(
        django_capture_on_commit_callbacks,
        notices.reminders_send_due,
        now=timezone.now() + dt.timedelta(hours=1),
    )

    assert Registration.objects.get(pk=registration.pk).reminders_sent == [7]
    assert (sent, outbox) == (0, [])


def _sequences(outbox) -> dict[str, list[int]]:
    """address -> the calendar SEQUENCE of each update it was sent, in order."""
    found = {}
    for message in outbox:
        _method, text, _name = _calendar_parts(message)["text/calendar"]
        found.setdefault(message.to[0], []).append(libical(text)["events"][0]["sequence"])
    return found


@pytest.mark.django_db
def test_a_second_change_before_the_first_went_sends_only_the_latest(
    django_capture_on_commit_callbacks,
):
    meeting = MeetingFactory()
    registrations = [RegistrationFactory(meeting=meeting) for _ in range(3)]
    first, second = (meeting.start + dt.timedelta(hours=h) for h in (1, 2))
    mail.outbox.clear()

    # The first change's send tasks have not run yet when the second change is made.
    with django_capture_on_commit_callbacks(execute=False) as first_sends:
        services.meeting_update(
            meeting_id=meeting.pk, data={"start": first, "end": first + DAY / 12}, actor=None
        )
    _result, outbox = _sent(
        django_capture_on_commit_callbacks,
        services.meeting_update,
        meeting_id=meeting.pk,
        data={"start": second, "end": second + DAY / 12},
        actor=None,
    )
    # Then the first change's tasks arrive late (or are redelivered).
    for callback in first_sends:
        callback()

    everyone = sorted(r.stakeholder.email for r in registrations)
    assert sorted(_sequences(mail.outbox)) == everyone
    assert all(seqs == [2] for seqs in _sequences(mail.outbox).values())
    older = OutboundEmail.objects.filter(dedupe_key__startswith=f"meeting-changed:{meeting.pk}:1:")
    # The first change's fan-out found itself superseded and wrote nothing.
    assert not older.exists()


@pytest.mark.django_db
def test_a_repeated_change_notice_sends_nothing_twice(django_capture_on_commit_callbacks):
    meeting = MeetingFactory()
    RegistrationFactory(meeting=meeting)
    later = meeting.start + dt.timedelta(hours=1)
    _result, outbox = _sent(
        django_capture_on_commit_callbacks,
        services.meeting_update,
        meeting_id=meeting.pk,
        data={"start": later, "end": later + DAY / 12},
        actor=None,
    )
    assert len(outbox) == 1

    # The fan-out task delivered again, as if the first run died before it recorded the end.
    change = MeetingChange.objects.get(meeting=meeting)
    MeetingChange.objects.filter(pk=change.pk).update(fanned_out_at=None)
    again, outbox = _sent(
        django_capture_on_commit_callbacks, notices.meeting_change_fan_out, change_id=change.pk
    )

    assert again == 1  # addressed, but the existing row (already sent) is reused
    assert outbox == []
    assert OutboundEmail.objects.filter(template="events/meeting_changed").count() == 1


@pytest.mark.django_db
def test_a_cancellation_withdraws_an_update_not_yet_sent(django_capture_on_commit_callbacks):
    meeting = MeetingFactory()
    registration = RegistrationFactory(meeting=meeting)
    later = meeting.start + dt.timedelta(hours=1)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=False) as change_sends:
        services.meeting_update(
            meeting_id=meeting.pk, data={"start": later, "end": later + DAY / 12}, actor=None
        )

    _result, outbox = _sent(
        django_capture_on_commit_callbacks,
        services.meeting_cancel,
        meeting_id=meeting.pk,
        actor=None,
    )
    for callback in change_sends:
        callback()

    assert [m.to[0] for m in mail.outbox] == [registration.stakeholder.email]
    method, _text, _name = _calendar_parts(mail.outbox[0])["text/calendar"]
    assert method == "CANCEL"
