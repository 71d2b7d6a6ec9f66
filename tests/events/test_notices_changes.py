"""A meeting's change notices, off the request: the staff request records the change and commits;
a task fans the notices out through the bulk mail path, once per (meeting, SEQUENCE, recipient),
the newest change winning over one not yet sent."""

import datetime as dt

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from engage.enums import EmailStatus
from engage.models import OutboundEmail, Stakeholder
from events import notices, services
from events.enums import MeetingChangeKind, RegistrationStatus
from events.models import MeetingChange, Registration
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
