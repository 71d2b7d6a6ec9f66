"""The "summary report published" and "responses published" emails: who gets them, when, and
that each goes once (a rerun, or two runs at once, sends nothing twice)."""

import datetime as dt
import threading

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from engage.enums import ConsentMethod, EmailStatus
from engage.models import OutboundEmail
from engage.services import consent_give, consent_withdraw
from events.enums import MeetingStatus, RegistrationStatus
from feedback import notifications, services
from feedback.enums import ResponseStatus
from feedback.tasks import notify_report_published_task, notify_responses_published_task
from tests.factories import (
    MeetingFactory,
    MeetingReportFactory,
    RegistrationFactory,
    ResponseFactory,
)

HOUR = dt.timedelta(hours=1)
PURPOSE = "meeting-invitations"


@pytest.fixture(autouse=True)
def _purposes(consent_purposes):
    pass


def _past_meeting(**kwargs):
    start = (timezone.now() - dt.timedelta(days=3)).replace(microsecond=0)
    return MeetingFactory(start=start, end=start + 2 * HOUR, **kwargs)


def _holder(meeting, *, consent=True, **kwargs):
    registration = RegistrationFactory(meeting=meeting, **kwargs)
    if consent:
        consent_give(
            stakeholder=registration.stakeholder, purpose=PURPOSE, method=ConsentMethod.WEB
        )
    return registration


def _run(django_capture_on_commit_callbacks, fn, **kwargs):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        result = fn(**kwargs)
    return result, list(mail.outbox)


def _addresses(outbox) -> list[str]:
    return sorted(message.to[0] for message in outbox)


# --- Summary report ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_published_report_goes_to_exactly_the_people_who_held_a_place(
    django_capture_on_commit_callbacks,
):
    meeting = _past_meeting(title="Public review meeting, July")
    confirmed = _holder(meeting)
    came_then_cancelled = _holder(
        meeting, status=RegistrationStatus.CANCELLED, attended_at=meeting.start
    )
    _holder(meeting, status=RegistrationStatus.CANCELLED)
    _holder(meeting, status=RegistrationStatus.WAITLISTED, waitlist_position=1)
    _holder(meeting, status=RegistrationStatus.OFFERED)
    _holder(meeting, consent=False)
    _holder(_past_meeting())  # another meeting's
    report = MeetingReportFactory(meeting=meeting, title="What we heard in July")
    services.meeting_report_publish(report_id=report.pk, actor=None)

    sent, outbox = _run(
        django_capture_on_commit_callbacks, notifications.report_published_notify_due
    )

    assert sent == 2
    assert _addresses(outbox) == sorted(
        [confirmed.stakeholder.email, came_then_cancelled.stakeholder.email]
    )
    message = outbox[0]
    assert message.subject == "What we heard at Public review meeting, July: the summary report"
    assert "What we heard in July" in message.body
    assert "Over 80 people came, from 23 of London's 33 areas." in message.body
    assert f"http://testserver/meetings/{meeting.slug}/record/" in message.body
    html = message.alternatives[0].content
    assert f'href="http://testserver/meetings/{meeting.slug}/record/"' in html
    # Sent under a purpose, so it carries the one-click unsubscribe.
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    emails = OutboundEmail.objects.filter(template="feedback/report_published")
    assert {e.purpose.slug for e in emails} == {PURPOSE}
    report.refresh_from_db()
    assert report.notified_at is not None


@pytest.mark.django_db
def test_a_scheduled_report_is_sent_once_its_time_has_come_and_only_once(
    django_capture_on_commit_callbacks,
):
    meeting = _past_meeting()
    holder = _holder(meeting)
    report = MeetingReportFactory(meeting=meeting)
    at = timezone.now() + 2 * HOUR
    services.meeting_report_publish(report_id=report.pk, actor=None, at=at)

    early, early_outbox = _run(
        django_capture_on_commit_callbacks, notifications.report_published_notify_due, now=at - HOUR
    )
    due, due_outbox = _run(
        django_capture_on_commit_callbacks, notifications.report_published_notify_due, now=at
    )
    again, again_outbox = _run(
        django_capture_on_commit_callbacks,
        notifications.report_published_notify_due,
        now=at + HOUR,
    )

    assert (early, early_outbox) == (0, [])
    assert (due, _addresses(due_outbox)) == (1, [holder.stakeholder.email])
    assert (again, again_outbox) == (0, [])
    assert OutboundEmail.objects.filter(template="feedback/report_published").count() == 1


@pytest.mark.django_db
def test_an_unpublished_report_is_not_sent(django_capture_on_commit_callbacks):
    meeting = _past_meeting()
    _holder(meeting)
    MeetingReportFactory(meeting=meeting)  # written, never published
    scheduled = MeetingReportFactory(meeting=_past_meeting())
    _holder(scheduled.meeting)
    services.meeting_report_publish(report_id=scheduled.pk, actor=None, at=timezone.now() + HOUR)
    services.meeting_report_unpublish(report_id=scheduled.pk, actor=None)

    sent, outbox = _run(
        django_capture_on_commit_callbacks,
        notifications.report_published_notify_due,
        now=timezone.now() + 2 * HOUR,
    )

    assert (sent, outbox) == (0, [])


@pytest.mark.django_db
def test_a_report_unpublished_and_published_again_is_not_announced_twice(
    django_capture_on_commit_callbacks,
):
    meeting = _past_meeting()
    _holder(meeting)
    report = MeetingReportFactory(meeting=meeting)
    services.meeting_report_publish(report_id=report.pk, actor=None)
    first, _outbox = _run(
        django_capture_on_commit_callbacks, notifications.report_published_notify_due
    )
    services.meeting_report_unpublish(report_id=report.pk, actor=None)
    services.meeting_report_publish(report_id=report.pk, actor=None)

    again, outbox = _run(
        django_capture_on_commit_callbacks, notifications.report_published_notify_due
    )

    assert (first, again, outbox) == (1, 0, [])


@pytest.mark.django_db
def test_a_cancelled_meetings_report_is_marked_but_not_sent(django_capture_on_commit_callbacks):
    meeting = _past_meeting(status=MeetingStatus.CANCELLED)
    _holder(meeting)
    report = MeetingReportFactory(meeting=meeting, publish_at=timezone.now())

    sent, outbox = _run(
        django_capture_on_commit_callbacks, notifications.report_published_notify_due
    )

    report.refresh_from_db()
    assert (sent, outbox) == (0, [])
    assert report.notified_at is not None


@pytest.mark.django_db
def test_consent_withdrawn_after_queueing_suppresses_the_report_email(
    django_capture_on_commit_callbacks,
):
    meeting = _past_meeting()
    keeps, withdraws = _holder(meeting), _holder(meeting)
    MeetingReportFactory(meeting=meeting, publish_at=timezone.now())
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notifications.report_published_notify_due()

    # Between queueing and sending the person withdraws; the mail path checks at send time.
    consent_withdraw(stakeholder=withdraws.stakeholder, purpose=PURPOSE, method=ConsentMethod.WEB)
    for callback in callbacks:
        callback()

    assert _addresses(mail.outbox) == [keeps.stakeholder.email]
    statuses = dict(
        OutboundEmail.objects.filter(template="feedback/report_published").values_list(
            "to_email", "status"
        )
    )
    assert statuses == {
        keeps.stakeholder.email: EmailStatus.SENT,
        withdraws.stakeholder.email: EmailStatus.SUPPRESSED,
    }


# --- Responses ("you said, we did") ------------------------------------------------------------


@pytest.mark.django_db
def test_responses_published_together_go_in_one_email_each(django_capture_on_commit_callbacks):
    meeting = _past_meeting(title="Public review meeting, October")
    holders = [_holder(meeting) for _ in range(2)]
    _holder(meeting, consent=False)
    first = ResponseFactory(
        meeting=meeting,
        you_said="Hold a meeting in the evening",
        we_did="The next meeting starts at 6pm.",
        status=ResponseStatus.RESPONDED,
        order=1,
    )
    second = ResponseFactory(
        meeting=meeting,
        you_said="Send the questions earlier",
        we_did="Questions go out with the pre-reading.",
        status=ResponseStatus.IN_PROGRESS,
        order=2,
    )
    draft = ResponseFactory(meeting=meeting, you_said="Not ready yet", order=3)
    services.response_publish(response_id=second.pk, actor=None)
    services.response_publish(response_id=first.pk, actor=None)

    sent, outbox = _run(
        django_capture_on_commit_callbacks, notifications.responses_published_notify_due
    )

    assert sent == 2
    assert _addresses(outbox) == sorted(h.stakeholder.email for h in holders)
    body = outbox[0].body
    assert (
        outbox[0].subject == "You said, we did: our responses after Public review meeting, October"
    )
    assert body.index("You said: Hold a meeting in the evening") < body.index(
        "You said: Send the questions earlier"
    )
    assert "We did: The next meeting starts at 6pm.\nStatus: Responded" in body
    assert "Status: In progress" in body
    assert "Not ready yet" not in body
    assert f"http://testserver/meetings/{meeting.slug}/record/" in body
    for response in (first, second, draft):
        response.refresh_from_db()
    assert first.notified_at is not None and second.notified_at is not None
    assert draft.notified_at is None


@pytest.mark.django_db
def test_responses_published_later_go_in_a_later_email_and_none_go_twice(
    django_capture_on_commit_callbacks,
):
    meeting = _past_meeting()
    holder = _holder(meeting)
    now_one = ResponseFactory(meeting=meeting, you_said="Published now")
    later = ResponseFactory(meeting=meeting, you_said="Published tomorrow")
    services.response_publish(response_id=now_one.pk, actor=None)
    services.response_publish(response_id=later.pk, actor=None, at=timezone.now() + 24 * HOUR)
    now = timezone.now()

    first, first_outbox = _run(
        django_capture_on_commit_callbacks, notifications.responses_published_notify_due, now=now
    )
    rerun, rerun_outbox = _run(
        django_capture_on_commit_callbacks,
        notifications.responses_published_notify_due,
        now=now + HOUR,
    )
    second, second_outbox = _run(
        django_capture_on_commit_callbacks,
        notifications.responses_published_notify_due,
        now=now + 25 * HOUR,
    )

    assert (first, rerun, second) == (1, 0, 1)
    assert rerun_outbox == []
    assert "Published now" in first_outbox[0].body
    assert "Published tomorrow" not in first_outbox[0].body
    assert "Published tomorrow" in second_outbox[0].body
    assert "Published now" not in second_outbox[0].body
    assert _addresses(second_outbox) == [holder.stakeholder.email]


@pytest.mark.django_db
def test_consent_withdrawn_after_queueing_suppresses_the_responses_email(
    django_capture_on_commit_callbacks,
):
    meeting = _past_meeting()
    withdraws = _holder(meeting)
    ResponseFactory(meeting=meeting, publish_at=timezone.now())
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notifications.responses_published_notify_due()

    consent_withdraw(stakeholder=withdraws.stakeholder, purpose=PURPOSE, method=ConsentMethod.WEB)
    for callback in callbacks:
        callback()

    assert mail.outbox == []
    email = OutboundEmail.objects.get(template="feedback/responses_published")
    assert email.status == EmailStatus.SUPPRESSED


# --- Beat tasks --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_beat_tasks_announce_what_is_due(django_capture_on_commit_callbacks, settings):
    meeting = _past_meeting()
    holder = _holder(meeting)
    MeetingReportFactory(meeting=meeting, publish_at=timezone.now())
    ResponseFactory(meeting=meeting, publish_at=timezone.now())
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        reports = notify_report_published_task.delay().get()
        responses = notify_responses_published_task.delay().get()

    assert (reports, responses) == (1, 1)
    assert _addresses(mail.outbox) == [holder.stakeholder.email] * 2
    schedule = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"feedback.notify_report_published", "feedback.notify_responses_published"} <= schedule


# --- Two runs at once (PostgreSQL row locks) ---------------------------------------------------


def _twice_at_once(fn) -> list:
    barrier = threading.Barrier(2)
    errors = []

    def run():
        try:
            barrier.wait()
            fn()
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
def test_two_runs_at_once_send_one_report_and_one_responses_email_each():
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    meeting = _past_meeting()
    holders = [_holder(meeting) for _ in range(12)]
    MeetingReportFactory(meeting=meeting, publish_at=timezone.now())
    ResponseFactory.create_batch(3, meeting=meeting, publish_at=timezone.now())
    mail.outbox.clear()

    report_errors = _twice_at_once(notifications.report_published_notify_due)
    response_errors = _twice_at_once(notifications.responses_published_notify_due)

    assert report_errors == response_errors == []
    expected = sorted(h.stakeholder.email for h in holders)
    report_mail = [m for m in mail.outbox if "the summary report" in m.subject]
    response_mail = [m for m in mail.outbox if m.subject.startswith("You said, we did")]
    assert _addresses(report_mail) == expected
    assert _addresses(response_mail) == expected
    assert OutboundEmail.objects.filter(template__startswith="feedback/").count() == 24
