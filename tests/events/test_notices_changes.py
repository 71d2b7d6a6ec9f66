"""A meeting's change notices, off the request: the staff request records the change and commits;
a task fans the notices out through the bulk mail path, once per (meeting, SEQUENCE, recipient),
the newest change winning over one not yet sent."""

import datetime as dt
import threading

import pytest
from django.core import mail
from django.core.mail.backends import locmem
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from engage.enums import EmailStatus
from engage.models import OutboundEmail, Stakeholder
from events import notices, services
from events.enums import MeetingChangeKind, RegistrationStatus
from events.models import Meeting, MeetingChange, Registration
from tests.events.test_ical import libical
from tests.factories import MeetingFactory, SessionFactory, UserFactory

HOUR = dt.timedelta(hours=1)


def _move(meeting, hours: int):
    start = meeting.start + hours * HOUR
    return services.meeting_update(
        meeting_id=meeting.pk, data={"start": start, "end": start + 2 * HOUR}, actor=None
    )


def _registrants(meeting, count: int) -> list[Registration]:
    people = Stakeholder.objects.bulk_create(
        [
            Stakeholder(
                first_name=f"Name{i}",
                last_name="Test",
                email=f"r{i}-m{meeting.pk}@example.org",
                email_normalised=f"r{i}-m{meeting.pk}@example.org",
            )
            for i in range(count)
        ]
    )
    return Registration.objects.bulk_create(
        [
            Registration(meeting=meeting, stakeholder=p, status=RegistrationStatus.CONFIRMED)
            for p in people
        ]
    )


def _sequences(outbox) -> dict[str, list[int]]:
    """address -> the calendar SEQUENCE of each update it was sent, in the order sent."""
    found: dict[str, list[int]] = {}
    for message in outbox:
        for part in message.message().walk():
            if part.get_content_type() == "text/calendar":
                text = part.get_payload(decode=True).decode()
                found.setdefault(message.to[0], []).append(libical(text)["events"][0]["sequence"])
    return found


@pytest.mark.django_db
def test_the_request_records_the_change_and_writes_no_email(django_capture_on_commit_callbacks):
    meeting = MeetingFactory()
    _registrants(meeting, 5)
    SessionFactory(meeting=meeting).facilitators.set([UserFactory()])

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        _move(meeting, 1)

    assert OutboundEmail.objects.count() == 0
    [change] = MeetingChange.objects.filter(meeting=meeting)
    assert (change.sequence, change.kind) == (1, MeetingChangeKind.CHANGED)
    assert (change.tell_registrants, change.tell_facilitators) == (True, True)
    assert set(change.changes) == {"Starts", "Ends"}
    assert change.fanned_out_at is None
    assert len(callbacks) == 1  # the fan-out task, queued on commit

    for callback in callbacks:
        callback()
    assert OutboundEmail.objects.filter(dedupe_key__startswith=f"meeting-changed:{meeting.pk}:1:")
    assert OutboundEmail.objects.count() == 6


@pytest.mark.django_db
def test_the_request_makes_the_same_queries_for_20_and_200_registrants(
    django_capture_on_commit_callbacks,
):
    small, large = MeetingFactory(), MeetingFactory()
    _registrants(small, 20)
    _registrants(large, 200)
    counts = []
    for meeting in (small, large):
        with (
            django_capture_on_commit_callbacks(execute=False),
            CaptureQueriesContext(connection) as queries,
        ):
            _move(meeting, 1)
        counts.append(len(queries))

    assert counts[0] == counts[1]
    assert OutboundEmail.objects.count() == 0


@pytest.mark.django_db
def test_a_repeated_or_redelivered_fan_out_sends_nothing_twice(
    django_capture_on_commit_callbacks,
):
    meeting = MeetingFactory()
    registrations = _registrants(meeting, 3)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        _move(meeting, 1)
    change = MeetingChange.objects.get(meeting=meeting)
    first = sorted(OutboundEmail.objects.values_list("pk", "status"))
    assert len(mail.outbox) == 3

    # Run again once it finished, and again as if the first run died before it recorded the end.
    with django_capture_on_commit_callbacks(execute=True):
        assert notices.meeting_change_fan_out(change_id=change.pk) == 0
        MeetingChange.objects.filter(pk=change.pk).update(fanned_out_at=None)
        assert notices.meeting_change_fan_out(change_id=change.pk) == 3

    assert sorted(OutboundEmail.objects.values_list("pk", "status")) == first
    assert _sequences(mail.outbox) == {r.stakeholder.email: [1] for r in registrations}


@pytest.mark.django_db
def test_a_second_change_withdraws_the_first_changes_notices_not_yet_sent(
    django_capture_on_commit_callbacks,
):
    meeting = MeetingFactory()
    registrations = _registrants(meeting, 4)
    mail.outbox.clear()
    # The first change's fan-out has written its rows; their send tasks have not run yet.
    with django_capture_on_commit_callbacks(execute=False) as request:
        _move(meeting, 1)
    with django_capture_on_commit_callbacks(execute=False) as first_sends:
        for callback in request:
            callback()
    older = OutboundEmail.objects.filter(dedupe_key__startswith=f"meeting-changed:{meeting.pk}:1:")
    assert older.filter(status=EmailStatus.QUEUED).count() == 4

    with django_capture_on_commit_callbacks(execute=True):
        _move(meeting, 2)
    for callback in first_sends:  # the older send tasks arrive late
        callback()

    assert _sequences(mail.outbox) == {r.stakeholder.email: [2] for r in registrations}
    assert set(older.values_list("status", flat=True)) == {EmailStatus.SUPPRESSED}
    first, second = MeetingChange.objects.filter(meeting=meeting).order_by("sequence")
    assert first.superseded_at is not None and second.superseded_at is None


@pytest.mark.django_db
def test_a_change_whose_task_was_lost_is_fanned_out_by_the_sweep(
    django_capture_on_commit_callbacks,
):
    meeting = MeetingFactory()
    [registration] = _registrants(meeting, 1)
    with django_capture_on_commit_callbacks(execute=False):  # the broker never got the task
        _move(meeting, 1)
    assert notices.meeting_changes_fan_out_due() == 0  # too recent: its task may still come

    MeetingChange.objects.update(created_at=timezone.now() - 2 * 60 * dt.timedelta(seconds=1))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert notices.meeting_changes_fan_out_due() == 1

    assert _sequences(mail.outbox) == {registration.stakeholder.email: [1]}
    assert notices.meeting_changes_fan_out_due() == 0


@pytest.mark.django_db
def test_a_draft_meetings_change_tells_its_facilitators_only(django_capture_on_commit_callbacks):
    meeting = MeetingFactory(status="draft")
    _registrants(meeting, 2)
    facilitator = UserFactory(first_name="Ama")
    SessionFactory(meeting=meeting).facilitators.set([facilitator])
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        _move(meeting, 1)

    assert [m.to[0] for m in mail.outbox] == [facilitator.email]
    assert mail.outbox[0].body.startswith("Dear Ama,")
    assert _sequences(mail.outbox) == {facilitator.email: [1]}


# --- A newer change while a sender holds the older update's claimed batch --------------------
_AT_FIRST_SEND: list = []


class ChangeAtTheFirstSend(locmem.EmailBackend):
    """The ESP edge: after its first message is accepted, staff change the meeting again (once),
    while the sender still holds the rest of its claimed batch of the older update."""

    def send_messages(self, messages):
        sent = super().send_messages(messages)
        while _AT_FIRST_SEND:
            _AT_FIRST_SEND.pop()()
        return sent


@pytest.mark.django_db(transaction=True)
def test_a_newer_change_withdraws_the_older_update_a_sender_claimed_but_has_not_sent(settings):
    settings.MAILERS = {
        "default": {"BACKEND": "tests.events.test_notices_changes.ChangeAtTheFirstSend"}
    }
    settings.ENGAGE_MAIL_SEND_THREADS = 1  # one ESP call at a time, in order
    settings.ENGAGE_MAIL_ESP_BATCH = False
    meeting = MeetingFactory()
    registrations = _registrants(meeting, 5)
    _AT_FIRST_SEND.append(lambda: _move(meeting, 2))
    mail.outbox.clear()

    _move(meeting, 1)  # eager tasks: the fan-out, then the send, run on commit

    got = _sequences(mail.outbox)
    first_to = mail.outbox[0].to[0]
    assert got[first_to] == [1, 2]  # the one under way when the second change came
    assert {a: s for a, s in got.items() if a != first_to} == {
        r.stakeholder.email: [2] for r in registrations if r.stakeholder.email != first_to
    }
    older = OutboundEmail.objects.filter(dedupe_key__startswith=f"meeting-changed:{meeting.pk}:1:")
    # Withdrawn, but for the one whose ESP call was under way: the ESP took it, so it is sent.
    assert {row.to_email: row.status for row in older} == {
        r.stakeholder.email: EmailStatus.SENT
        if r.stakeholder.email == first_to
        else EmailStatus.SUPPRESSED
        for r in registrations
    }
    assert older.get(to_email=first_to).error == ""


# --- The meeting row is locked for the change only ----------------------------------------------
def _register_elsewhere(meeting_id: int, email: str) -> dict:
    """In another connection: lock the meeting row without waiting, then register someone with a
    lock timeout, as a registration arriving during the fan-out would. What happened, by name."""
    found = {}

    def run():
        try:
            with transaction.atomic():
                Meeting.objects.select_for_update(nowait=True).get(pk=meeting_id)
            found["locked"] = False
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL lock_timeout = '2s'")
                outcome = services.registration_create(
                    meeting_id=meeting_id, details=services.RegistrationDetails(email=email)
                )
            found["registration"] = outcome.registration.status
        except DatabaseError as exc:
            found["error"] = type(exc).__name__
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=30)
    return found


@pytest.mark.django_db(transaction=True)
def test_a_registration_during_the_fan_out_of_a_busy_change_does_not_wait_for_the_meeting():
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    meeting = MeetingFactory(capacity=1000)
    _registrants(meeting, 200)
    table = OutboundEmail._meta.db_table
    during = []

    def at_the_email_insert(run, sql, params, many, context):
        # The fan-out's first chunk of rows is being written, inside its transaction.
        if not during and "INSERT" in sql.upper() and table in sql:
            during.append(_register_elsewhere(meeting.pk, "late@example.org"))
        return run(sql, params, many, context)

    with connection.execute_wrapper(at_the_email_insert):
        # The request records the change and commits; on commit the fan-out task runs (eager
        # tasks), in this connection, and writes the 200 rows.
        _move(meeting, 1)

    assert during == [{"locked": False, "registration": RegistrationStatus.CONFIRMED}]
    assert (
        OutboundEmail.objects.filter(
            dedupe_key__startswith=f"meeting-changed:{meeting.pk}:1:"
        ).count()
        == 200
    )
