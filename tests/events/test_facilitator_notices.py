"""Facilitators hear when the session they run changes, and when they are added or removed."""

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone
from icalendar import Calendar

from engage.enums import Role
from engage.models import OutboundEmail
from engage.roles import user_set_role
from events import notices, services
from events.enums import MeetingStatus, RegistrationStatus, SessionKind
from events.models import MeetingChange
from tests.events.test_ical import libical
from tests.factories import MeetingFactory, RegistrationFactory, SessionFactory, UserFactory

FACILITATOR_URL = "/facilitate/"


def _facilitator(**kwargs):
    user = UserFactory(**kwargs)
    user_set_role(user=user, role=Role.FACILITATOR)
    return user


def _sent(django_capture_on_commit_callbacks, fn, **kwargs):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        result = fn(**kwargs)
    return result, list(mail.outbox)


def _update(session, facilitators, **data):
    return services.session_update(
        session_id=session.pk, data=data, facilitators=facilitators, actor=None
    )


def _calendar(message) -> tuple[str, Calendar] | None:
    for part in message.message().walk():
        if part.get_content_type() == "text/calendar":
            text = part.get_payload(decode=True).decode()
            return part.get_param("method"), Calendar.from_ical(text)
    return None


def _by_address(outbox) -> dict:
    return {message.to[0]: message for message in outbox}


@pytest.mark.django_db
def test_a_time_change_tells_the_registrants_and_each_facilitator_once(
    django_capture_on_commit_callbacks, roles, settings
):
    # 13 July 2027 is in BST: 18:00 in London is 17:00 UTC.
    start = dt.datetime(2027, 7, 13, 17, 0, tzinfo=dt.UTC)
    meeting = MeetingFactory(start=start, end=start + dt.timedelta(hours=3))
    breakout = SessionFactory(
        meeting=meeting, start=start, end=start + dt.timedelta(hours=1), room="Room 2"
    )
    placed = [RegistrationFactory(meeting=meeting, breakout=breakout) for _ in range(2)]
    leads = [_facilitator(first_name="Amira"), _facilitator()]
    breakout.facilitators.set(leads)
    later = start + dt.timedelta(minutes=30)

    _session, outbox = _sent(
        django_capture_on_commit_callbacks,
        _update,
        session=breakout,
        facilitators=leads,
        start=later,
        end=later + dt.timedelta(hours=1),
    )

    sent = _by_address(outbox)
    assert sorted(sent) == sorted(
        [r.stakeholder.email for r in placed] + [user.email for user in leads]
    )
    message = sent[leads[0].email]
    assert message.subject == f"A session you facilitate has changed: {breakout.title}"
    assert message.body.startswith("Dear Amira,")
    assert "- Time: Tuesday 13 July 2027, 18:30 BST to 19:30 BST" in message.body
    assert "- Room: Room 2" in message.body
    assert f"{settings.SITE_URL}{FACILITATOR_URL}#session-{breakout.pk}" in message.body
    # Operational mail, as account mail is: no consent purpose, no opt-out.
    assert "List-Unsubscribe" not in message.extra_headers
    assert "preferences" not in message.body
    assert _calendar(message) is None
    rows = OutboundEmail.objects.filter(template="events/session_changed_facilitator")
    assert sorted(rows.values_list("to_email", "purpose", "stakeholder")) == sorted(
        (user.email, None, None) for user in leads
    )

    # The request recorded the change and sent nothing itself; the task after commit did.
    change = MeetingChange.objects.get(session=breakout)
    assert (change.kind, change.fanned_out_at is not None) == ("session_changed", True)
    # The same change delivered again (a redelivered task, or one that died before it recorded
    # the end) and the same edit saved again add nothing.
    count = OutboundEmail.objects.count()
    again, rerun = _sent(
        django_capture_on_commit_callbacks, notices.meeting_change_fan_out, change_id=change.pk
    )
    MeetingChange.objects.filter(pk=change.pk).update(fanned_out_at=None)
    died, redelivered = _sent(
        django_capture_on_commit_callbacks, notices.meeting_change_fan_out, change_id=change.pk
    )
    _session, resaved = _sent(
        django_capture_on_commit_callbacks,
        _update,
        session=breakout,
        facilitators=leads,
        start=later,
        end=later + dt.timedelta(hours=1),
    )
    assert (again, died) == (0, 4)
    assert (rerun, redelivered, resaved) == ([], [], [])
    assert OutboundEmail.objects.count() == count


@pytest.mark.django_db
def test_a_change_that_is_not_time_or_room_sends_nothing(django_capture_on_commit_callbacks, roles):
    breakout = SessionFactory(room="Room 1")
    RegistrationFactory(meeting=breakout.meeting, breakout=breakout)
    lead = _facilitator()
    breakout.facilitators.add(lead)

    _session, outbox = _sent(
        django_capture_on_commit_callbacks,
        _update,
        session=breakout,
        facilitators=[lead],
        title="A new name",
        description="Longer notes",
        capacity=40,
    )

    assert outbox == []
    assert OutboundEmail.objects.count() == 0


@pytest.mark.django_db
def test_facilitators_of_a_draft_hear_of_a_room_change_and_registrants_do_not(
    django_capture_on_commit_callbacks, roles
):
    plenary = SessionFactory(
        meeting=MeetingFactory(status=MeetingStatus.DRAFT), kind=SessionKind.PLENARY
    )
    RegistrationFactory(meeting=plenary.meeting)
    lead = _facilitator()
    plenary.facilitators.add(lead)

    _session, outbox = _sent(
        django_capture_on_commit_callbacks,
        _update,
        session=plenary,
        facilitators=[lead],
        room="Council Chamber",
    )

    assert [m.to[0] for m in outbox] == [lead.email]
    assert "- Room: Council Chamber" in outbox[0].body


@pytest.mark.django_db
def test_an_added_facilitator_gets_their_session_and_the_meetings_calendar_entry(
    django_capture_on_commit_callbacks, roles, settings
):
    start = dt.datetime(2027, 7, 13, 17, 0, tzinfo=dt.UTC)
    meeting = MeetingFactory(start=start, end=start + dt.timedelta(hours=3))
    breakout = SessionFactory(
        meeting=meeting,
        title="Housing",
        start=start + dt.timedelta(hours=1),
        end=start + dt.timedelta(hours=2),
        room="Room 3",
        online_room="https://meet.example.org/housing",
    )
    staying = _facilitator()
    breakout.facilitators.add(staying)
    newcomer = _facilitator(first_name="Kofi", last_name="Mensah")

    _session, outbox = _sent(
        django_capture_on_commit_callbacks,
        _update,
        session=breakout,
        facilitators=[staying, newcomer],
    )

    [message] = outbox
    assert message.to == [newcomer.email]
    assert message.subject == f"You are facilitating Housing at {meeting.title}"
    assert message.body.startswith("Dear Kofi,")
    assert "- Time: Tuesday 13 July 2027, 19:00 BST to 20:00 BST" in message.body
    assert "- Room: Room 3" in message.body
    assert "- Online room: https://meet.example.org/housing" in message.body
    assert f"{settings.SITE_URL}{FACILITATOR_URL}#session-{breakout.pk}" in message.body
    assert "List-Unsubscribe" not in message.extra_headers
    method, calendar = _calendar(message)
    [event] = calendar.walk("VEVENT")
    assert method == "REQUEST"
    assert str(event["uid"]) == meeting.ical_uid
    assert event.decoded("dtstart") == start
    assert str(event["attendee"]) == f"mailto:{newcomer.email}"
    assert event["attendee"].params["CN"] == "Kofi Mensah"

    # Saving the same people again tells nobody anything.
    _session, again = _sent(
        django_capture_on_commit_callbacks,
        _update,
        session=breakout,
        facilitators=[staying, newcomer],
    )
    assert again == []


@pytest.mark.django_db
def test_a_facilitator_added_with_a_time_change_gets_only_their_assignment_notice(
    django_capture_on_commit_callbacks, roles
):
    breakout = SessionFactory()
    newcomer = _facilitator()
    later = breakout.start + dt.timedelta(minutes=15)

    _session, outbox = _sent(
        django_capture_on_commit_callbacks,
        _update,
        session=breakout,
        facilitators=[newcomer],
        start=later,
        end=later + dt.timedelta(minutes=30),
    )

    [message] = outbox
    assert message.subject.startswith("You are facilitating")
    assert OutboundEmail.objects.get().template == "events/session_facilitator_added"


@pytest.mark.django_db
def test_a_new_session_tells_its_facilitators(django_capture_on_commit_callbacks, roles):
    meeting = MeetingFactory()
    lead = _facilitator()

    session, outbox = _sent(
        django_capture_on_commit_callbacks,
        services.session_create,
        meeting_id=meeting.pk,
        data={
            "kind": SessionKind.BREAKOUT,
            "title": "Transport",
            "start": meeting.start,
            "end": meeting.start + dt.timedelta(minutes=45),
        },
        facilitators=[lead],
        actor=None,
    )

    assert [(m.to[0], m.subject) for m in outbox] == [
        (lead.email, f"You are facilitating Transport at {meeting.title}")
    ]
    assert list(session.facilitators.all()) == [lead]


@pytest.mark.django_db
def test_a_removed_facilitator_is_told_and_their_calendar_entry_withdrawn(
    django_capture_on_commit_callbacks, roles
):
    breakout = SessionFactory(title="Parks")
    leaving, staying = _facilitator(), _facilitator()
    breakout.facilitators.set([leaving, staying])

    _session, outbox = _sent(
        django_capture_on_commit_callbacks, _update, session=breakout, facilitators=[staying]
    )

    [message] = outbox
    assert message.to == [leaving.email]
    assert message.subject == "You are no longer facilitating Parks"
    method, calendar = _calendar(message)
    assert method == "CANCEL"
    assert str(calendar.walk("VEVENT")[0]["uid"]) == breakout.meeting.ical_uid
    assert list(breakout.facilitators.all()) == [staying]


@pytest.mark.django_db
def test_someone_still_facilitating_another_session_keeps_the_calendar_entry(
    django_capture_on_commit_callbacks, roles
):
    meeting = MeetingFactory()
    first, second = SessionFactory(meeting=meeting), SessionFactory(meeting=meeting)
    lead = _facilitator()
    first.facilitators.add(lead)
    second.facilitators.add(lead)

    _session, outbox = _sent(
        django_capture_on_commit_callbacks, _update, session=first, facilitators=[]
    )

    [message] = outbox
    assert message.subject == f"You are no longer facilitating {first.title}"
    assert _calendar(message) is None


@pytest.mark.django_db
def test_assignment_notices_are_keyed_so_a_retry_sends_nothing_twice(
    django_capture_on_commit_callbacks, roles
):
    breakout = SessionFactory()
    lead = _facilitator()
    at = timezone.now()

    firsts = [
        _sent(
            django_capture_on_commit_callbacks, fn, session_id=breakout.pk, user_id=lead.pk, at=at
        )
        for fn in (
            notices.session_facilitator_added_notify,
            notices.session_facilitator_removed_notify,
        )
    ]
    repeats = [
        _sent(
            django_capture_on_commit_callbacks, fn, session_id=breakout.pk, user_id=lead.pk, at=at
        )
        for fn in (
            notices.session_facilitator_added_notify,
            notices.session_facilitator_removed_notify,
        )
    ]

    assert [len(outbox) for _email, outbox in firsts] == [1, 1]
    assert [outbox for _email, outbox in repeats] == [[], []]
    assert [email.pk for email, _outbox in repeats] == [email.pk for email, _outbox in firsts]
    assert OutboundEmail.objects.count() == 2


@pytest.mark.django_db
def test_a_facilitator_without_an_email_address_is_skipped(
    django_capture_on_commit_callbacks, roles
):
    breakout = SessionFactory(room="Room 1")
    nameless = _facilitator(email="")
    reachable = _facilitator()
    breakout.facilitators.add(nameless)

    _session, added = _sent(
        django_capture_on_commit_callbacks,
        _update,
        session=breakout,
        facilitators=[nameless, reachable],
    )
    _session, moved = _sent(
        django_capture_on_commit_callbacks,
        _update,
        session=breakout,
        facilitators=[nameless, reachable],
        room="Room 5",
    )
    _session, removed = _sent(
        django_capture_on_commit_callbacks, _update, session=breakout, facilitators=[reachable]
    )

    assert [m.to for m in added] == [[reachable.email]]
    assert [m.to for m in moved] == [[reachable.email]]
    assert removed == []
    assert not OutboundEmail.objects.filter(to_email="").exists()


@pytest.mark.django_db
def test_nobody_is_told_about_facilitating_a_cancelled_or_finished_meeting(
    django_capture_on_commit_callbacks, roles
):
    cancelled = SessionFactory(meeting=MeetingFactory(status=MeetingStatus.CANCELLED))
    past_start = timezone.now() - dt.timedelta(days=2)
    finished = SessionFactory(
        meeting=MeetingFactory(start=past_start, end=past_start + dt.timedelta(hours=2))
    )
    lead = _facilitator()

    outboxes = [
        _sent(
            django_capture_on_commit_callbacks,
            services.session_facilitators_set,
            session_id=session.pk,
            facilitators=[lead],
            actor=None,
        )
        for session in (cancelled, finished)
    ]

    assert [result for result, _outbox in outboxes] == [([lead.pk], []), ([lead.pk], [])]
    assert [outbox for _result, outbox in outboxes] == [[], []]


# --- The whole meeting changes or is cancelled ------------------------------------------------


def _changed(django_capture_on_commit_callbacks, meeting, **data):
    return _sent(
        django_capture_on_commit_callbacks,
        services.meeting_update,
        meeting_id=meeting.pk,
        data=data,
        actor=None,
    )


def _cancelled(django_capture_on_commit_callbacks, meeting):
    return _sent(
        django_capture_on_commit_callbacks,
        services.meeting_cancel,
        meeting_id=meeting.pk,
        actor=None,
    )


def _fan_out_again(django_capture_on_commit_callbacks, meeting):
    """The latest change's fan-out task delivered again, as if the first run died before it
    recorded that it was done."""
    change = MeetingChange.objects.filter(meeting=meeting).latest("sequence")
    MeetingChange.objects.filter(pk=change.pk).update(fanned_out_at=None)
    return _sent(
        django_capture_on_commit_callbacks, notices.meeting_change_fan_out, change_id=change.pk
    )


def _calendar_text(message) -> tuple[str, str] | None:
    for part in message.message().walk():
        if part.get_content_type() == "text/calendar":
            return part.get_param("method"), part.get_payload(decode=True).decode()
    return None


@pytest.mark.django_db
def test_a_meeting_change_tells_each_facilitator_once_with_the_updated_calendar_entry(
    django_capture_on_commit_callbacks, roles, settings
):
    # 13 July 2027 is in BST: 18:00 in London is 17:00 UTC.
    start = dt.datetime(2027, 7, 13, 17, 0, tzinfo=dt.UTC)
    meeting = MeetingFactory(start=start, end=start + dt.timedelta(hours=3))
    housing = SessionFactory(
        meeting=meeting, title="Housing", start=start, end=start + dt.timedelta(hours=1)
    )
    parks = SessionFactory(
        meeting=meeting,
        title="Parks",
        start=start + dt.timedelta(hours=1),
        end=start + dt.timedelta(hours=2),
        room="Room 4",
    )
    both = _facilitator(first_name="Amira", last_name="Khan")
    other = _facilitator()
    housing.facilitators.set([both, other])
    parks.facilitators.set([both])
    registrant = RegistrationFactory(meeting=meeting)
    later = start + dt.timedelta(hours=1)

    _result, outbox = _changed(
        django_capture_on_commit_callbacks,
        meeting,
        start=later,
        end=later + dt.timedelta(hours=3),
    )

    meeting.refresh_from_db()
    assert sorted(m.to[0] for m in outbox) == sorted(
        [registrant.stakeholder.email, both.email, other.email]
    )
    message = _by_address(outbox)[both.email]
    assert message.subject == f"Changed: {meeting.title}, where you are facilitating"
    assert message.body.startswith("Dear Amira,")
    assert "- Starts: 13 July 2027, 19:00 BST" in message.body
    assert "- Ends: 13 July 2027, 22:00 BST" in message.body
    assert "Your sessions at this meeting:" in message.body
    assert "- “Housing”: Tuesday 13 July 2027, 18:00 BST to 19:00 BST" in message.body
    assert "- “Parks”: Tuesday 13 July 2027, 19:00 BST to 20:00 BST, Room 4" in message.body
    for session in (housing, parks):
        assert f"{settings.SITE_URL}{FACILITATOR_URL}#session-{session.pk}" in message.body
    assert "The updated meeting is attached as a calendar entry." in message.body
    assert "List-Unsubscribe" not in message.extra_headers
    assert "preferences" not in message.body
    method, text = _calendar_text(message)
    parsed = libical(text)
    assert (method, parsed["method"]) == ("REQUEST", "REQUEST")
    assert (parsed["parse_errors"], parsed["restriction_errors"]) == ([], [])
    [event] = parsed["events"]
    assert (event["uid"], event["sequence"]) == (meeting.ical_uid, meeting.ical_sequence)
    assert meeting.ical_sequence == 1
    assert event["dtstart_utc"] == int(later.timestamp())
    assert event["attendees"] == [f"mailto:{both.email}"]
    rows = OutboundEmail.objects.filter(template="events/meeting_changed_facilitator")
    assert sorted(rows.values_list("to_email", "purpose", "stakeholder", "dedupe_key")) == sorted(
        (user.email, None, None, f"meeting-facilitator-changed:{meeting.pk}:1:{user.pk}")
        for user in (both, other)
    )

    # The same notice again (a retried task) and the same values saved again add nothing.
    count = OutboundEmail.objects.count()
    again, rerun = _fan_out_again(django_capture_on_commit_callbacks, meeting)
    _result, resaved = _changed(
        django_capture_on_commit_callbacks, meeting, start=later, end=later + dt.timedelta(hours=3)
    )
    assert again == 3
    assert (rerun, resaved) == ([], [])
    assert OutboundEmail.objects.count() == count

    # A second change is a new sequence: everyone hears again, once.
    _result, moved_again = _changed(django_capture_on_commit_callbacks, meeting, venue="Town Hall")
    assert sorted(m.to[0] for m in moved_again) == sorted(
        [registrant.stakeholder.email, both.email, other.email]
    )
    method, text = _calendar_text(_by_address(moved_again)[other.email])
    assert libical(text)["events"][0]["sequence"] == 2


@pytest.mark.django_db
def test_cancelling_a_meeting_withdraws_each_facilitators_calendar_entry_once(
    django_capture_on_commit_callbacks, roles
):
    meeting = MeetingFactory(ical_sequence=2)
    first, second = SessionFactory(meeting=meeting), SessionFactory(meeting=meeting)
    both, other = _facilitator(first_name="Kofi"), _facilitator()
    first.facilitators.set([both, other])
    second.facilitators.set([both])
    registrant = RegistrationFactory(meeting=meeting)

    _result, outbox = _cancelled(django_capture_on_commit_callbacks, meeting)

    assert sorted(m.to[0] for m in outbox) == sorted(
        [registrant.stakeholder.email, both.email, other.email]
    )
    message = _by_address(outbox)[both.email]
    assert message.subject == f"Cancelled: {meeting.title}, where you were facilitating"
    assert message.body.startswith("Dear Kofi,")
    assert f"- “{first.title}”" in message.body
    assert f"- “{second.title}”" in message.body
    for user in (both, other):
        method, text = _calendar_text(_by_address(outbox)[user.email])
        parsed = libical(text)
        assert (method, parsed["method"]) == ("CANCEL", "CANCEL")
        assert (parsed["parse_errors"], parsed["restriction_errors"]) == ([], [])
        [event] = parsed["events"]
        assert (event["uid"], event["sequence"], event["status"]) == (
            meeting.ical_uid,
            3,
            "CANCELLED",
        )
        assert event["attendees"] == [f"mailto:{user.email}"]
    assert sorted(
        OutboundEmail.objects.filter(template="events/meeting_cancelled_facilitator").values_list(
            "dedupe_key", flat=True
        )
    ) == sorted(f"meeting-facilitator-cancelled:{meeting.pk}:{user.pk}" for user in (both, other))

    count = OutboundEmail.objects.count()
    again, rerun = _fan_out_again(django_capture_on_commit_callbacks, meeting)
    assert (again, rerun) == (3, [])
    assert OutboundEmail.objects.count() == count


@pytest.mark.django_db
def test_a_facilitator_registered_at_the_same_address_gets_one_calendar_entry(
    django_capture_on_commit_callbacks, roles
):
    meeting = MeetingFactory()
    session = SessionFactory(meeting=meeting)
    registered = _facilitator(email="ama.owusu@example.org")
    RegistrationFactory(meeting=meeting, stakeholder__email="Ama.Owusu@Example.org")
    # A place given up is no calendar entry: this one still gets the facilitator's copy.
    lapsed = _facilitator(email="kwame@example.org")
    RegistrationFactory(
        meeting=meeting,
        stakeholder__email="kwame@example.org",
        status=RegistrationStatus.CANCELLED,
    )
    session.facilitators.set([registered, lapsed])
    later = meeting.start + dt.timedelta(hours=1)

    _result, changed = _changed(
        django_capture_on_commit_callbacks, meeting, start=later, end=later + dt.timedelta(hours=2)
    )
    _result, cancelled = _cancelled(django_capture_on_commit_callbacks, meeting)

    for outbox, method, note in (
        (changed, "REQUEST", "Your calendar entry is updated by the email about your place"),
        (cancelled, "CANCEL", "The email about your place at this meeting removes it"),
    ):
        mine = sorted(
            (m.subject, _calendar_text(m) and _calendar_text(m)[0])
            for m in outbox
            if m.to[0].lower() == registered.email
        )
        assert len(mine) == 2
        assert [calendar for _subject, calendar in mine].count(method) == 1
        [facilitator_notice] = [
            m for m in outbox if m.to == [registered.email] and "facilitating" in m.subject
        ]
        assert _calendar_text(facilitator_notice) is None
        assert note in facilitator_notice.body
        [lapsed_notice] = [m for m in outbox if m.to == [lapsed.email]]
        assert _calendar_text(lapsed_notice)[0] == method


@pytest.mark.django_db
def test_facilitators_of_a_draft_hear_of_its_change_and_cancellation_and_registrants_do_not(
    django_capture_on_commit_callbacks, roles
):
    meeting = MeetingFactory(status=MeetingStatus.DRAFT)
    SessionFactory(meeting=meeting).facilitators.add(lead := _facilitator())
    RegistrationFactory(meeting=meeting, stakeholder__email=lead.email)

    _result, changed = _changed(django_capture_on_commit_callbacks, meeting, venue="Town Hall")
    _result, cancelled = _cancelled(django_capture_on_commit_callbacks, meeting)

    # Registrants of a draft are told nothing, so the facilitator's copy carries the calendar.
    assert [(m.to, _calendar_text(m)[0]) for m in changed] == [([lead.email], "REQUEST")]
    assert "- Venue: Town Hall" in changed[0].body
    assert [(m.to, _calendar_text(m)[0]) for m in cancelled] == [([lead.email], "CANCEL")]


@pytest.mark.django_db
def test_facilitators_of_a_meeting_that_has_run_hear_nothing_of_it(
    django_capture_on_commit_callbacks, roles
):
    past_start = timezone.now() - dt.timedelta(days=2)
    meeting = MeetingFactory(start=past_start, end=past_start + dt.timedelta(hours=2))
    SessionFactory(meeting=meeting).facilitators.add(_facilitator())

    _result, changed = _changed(
        django_capture_on_commit_callbacks, meeting, venue_address="1 High Street"
    )
    _result, cancelled = _cancelled(django_capture_on_commit_callbacks, meeting)

    assert (changed, cancelled) == ([], [])


@pytest.mark.django_db
def test_the_facilitator_page_has_the_anchor_the_emails_link_to(client, facilitator):
    session = SessionFactory()
    session.facilitators.add(facilitator)
    client.force_login(facilitator)

    response = client.get(FACILITATOR_URL)

    assert f'id="session-{session.pk}"' in response.content.decode()


@pytest.mark.django_db
def test_a_session_change_is_recorded_in_the_request_and_told_after_commit(
    django_capture_on_commit_callbacks, roles
):
    plenary = SessionFactory(kind=SessionKind.PLENARY, room="Room 1")
    registrations = [RegistrationFactory(meeting=plenary.meeting) for _ in range(3)]
    lead = _facilitator(first_name="Ama")
    plenary.facilitators.set([lead])
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=False) as after_commit:
        _update(session=plenary, facilitators=[lead], room="Room 2")
    in_request = OutboundEmail.objects.count()
    change = MeetingChange.objects.get(session=plenary)
    with django_capture_on_commit_callbacks(execute=True):
        for callback in after_commit:
            callback()

    assert in_request == 0
    assert change.changes == {"Room": "Room 2"}
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [r.stakeholder.email for r in registrations] + [lead.email]
    )
    assert all("- Room: Room 2" in m.body for m in mail.outbox)
    assert _by_address(mail.outbox)[lead.email].body.startswith("Dear Ama,")
