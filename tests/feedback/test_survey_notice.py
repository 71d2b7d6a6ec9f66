"""The post-meeting survey email: once per registration, to those who came."""

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from events.enums import MeetingStatus
from events.notices import meeting_url
from feedback import notifications
from tests.factories import MeetingFactory, RegistrationFactory


def _sent(django_capture_on_commit_callbacks, fn, *args, **kwargs):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        result = fn(*args, **kwargs)
    return result, list(mail.outbox)


def _registered(meeting, **kwargs):
    return RegistrationFactory(
        meeting=meeting, created_at=meeting.start - dt.timedelta(days=30), **kwargs
    )


@pytest.mark.django_db
def test_survey_goes_to_attendees_once_after_the_meeting(django_capture_on_commit_callbacks):
    start = timezone.now() - dt.timedelta(hours=6)
    meeting = MeetingFactory(start=start, end=start + dt.timedelta(hours=2))
    came = _registered(meeting, attended_at=start)
    _registered(meeting)  # registered, not checked in

    count, outbox = _sent(django_capture_on_commit_callbacks, notifications.surveys_send_due)
    again, nothing = _sent(django_capture_on_commit_callbacks, notifications.surveys_send_due)

    assert (count, again) == (1, 0)
    assert nothing == []
    assert [m.to for m in outbox] == [[came.stakeholder.email]]
    assert f"{meeting_url(meeting)}#feedback" in outbox[0].body


@pytest.mark.django_db
def test_survey_goes_to_everyone_confirmed_when_nobody_was_checked_in(
    django_capture_on_commit_callbacks,
):
    start = timezone.now() - dt.timedelta(hours=6)
    meeting = MeetingFactory(
        start=start, end=start + dt.timedelta(hours=2), status=MeetingStatus.COMPLETED
    )
    registrations = [_registered(meeting) for _ in range(2)]
    too_recent = MeetingFactory(start=timezone.now() - dt.timedelta(hours=2))
    _registered(too_recent)

    count, outbox = _sent(django_capture_on_commit_callbacks, notifications.surveys_send_due)

    assert count == 2
    assert sorted(m.to[0] for m in outbox) == sorted(r.stakeholder.email for r in registrations)
