"""Builders shared by the survey tests (plain functions, so no conftest is needed)."""

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from engage import links
from events.enums import AnswerSource
from tests.factories import (
    DiscussionQuestionFactory,
    MeetingFactory,
    RegistrationFactory,
    SessionFactory,
)


def past_meeting():
    """A meeting that ended an hour ago, with a breakout asking for session feedback."""
    start = timezone.now().replace(microsecond=0) - dt.timedelta(hours=3)
    meeting = MeetingFactory(start=start, end=start + dt.timedelta(hours=2))
    session = SessionFactory(meeting=meeting, start=start, end=start + dt.timedelta(hours=1))
    DiscussionQuestionFactory(
        session=session,
        text="What should the police stop, start or continue doing in your area?",
        answer_sources=[AnswerSource.CAPTURE, AnswerSource.SESSION_FEEDBACK, AnswerSource.SURVEY],
    )
    return meeting


def attendee(meeting, **kwargs):
    """A confirmed registration that was checked in."""
    return RegistrationFactory(meeting=meeting, attended_at=meeting.start, **kwargs)


def survey_token(registration) -> str:
    return links.link_token(
        stakeholder=registration.stakeholder,
        purpose=links.SURVEY,
        path=reverse("feedback:survey", args=[registration.meeting.slug]),
        ref=str(registration.pk),
    )
