"""Facilitator notices (a session's change notice goes through events.notices.changes).

Operational mail to staff and volunteers, sent as account mail is: no stakeholder and no consent
purpose, so no preferences footer and no List-Unsubscribe (a facilitator cannot opt out of hearing
that their session moved). The suppression list still applies at send time.
"""

import datetime as dt
import logging

from django.contrib.auth import get_user_model
from django.utils import timezone

from engage.mail.services import email_queue
from engage.normalise import normalise_email
from events import ical
from events.enums import MeetingStatus, RegistrationStatus
from events.models import Meeting, Registration, Session
from events.notices.context import (
    facilitator_calendar,
    facilitator_context,
)

logger = logging.getLogger(__name__)


def confirmed_registrations(meeting: Meeting):
    """The meeting's confirmed registrations, with stakeholder and meeting loaded, by id."""
    return (
        Registration.objects.filter(meeting=meeting, status=RegistrationStatus.CONFIRMED)
        .select_related("stakeholder", "meeting")
        .order_by("id")
    )


def meeting_facilitators(meeting: Meeting) -> list[tuple]:
    """(user, the sessions of `meeting` they facilitate, by start) for each distinct facilitator."""
    found = {}
    for session in meeting.sessions.prefetch_related("facilitators").order_by("start", "pk"):
        for user in session.facilitators.all():
            found.setdefault(user.pk, (user, []))[1].append(session)
    return [found[pk] for pk in sorted(found)]


def _facilitator_email(
    session, user, *, template: str, key: str, calendar_method: str = "", **extra
):
    if not user.email:
        logger.info("facilitator without email", extra={"user_id": user.pk, "template": template})
        return None
    return email_queue(
        to_email=user.email,
        template=template,
        context={**facilitator_context(session, user), **extra},
        dedupe_key=key,
        calendar=(
            facilitator_calendar(session.meeting, user, method=calendar_method)
            if calendar_method
            else ""
        ),
        calendar_method=calendar_method,
    )


def _facilitator_session(session_id: int, user_id: int, now: dt.datetime):
    """(session, user), or None when the meeting is cancelled, completed or over: nobody needs
    to hear who facilitates a session that will not run."""
    session = Session.objects.select_related("meeting").get(pk=session_id)
    meeting = session.meeting
    if meeting.status not in (MeetingStatus.DRAFT, MeetingStatus.PUBLISHED) or meeting.end <= now:
        return None
    user = get_user_model().objects.filter(pk=user_id).first()
    return None if user is None else (session, user)


def session_facilitator_added_notify(
    *, session_id: int, user_id: int, at: dt.datetime, now: dt.datetime | None = None
):
    """Tell a newly assigned facilitator which session they run, when and where, with a link to
    their facilitator page and the meeting's calendar entry (REQUEST).

    Side effects: one OutboundEmail (events/session_facilitator_added), keyed
    "session-facilitator-added:<session>:<at>:<user>". Nothing for a user without an email address
    or a meeting that is cancelled, completed or over. Returns the email or None.
    """
    found = _facilitator_session(session_id, user_id, now or timezone.now())
    if found is None:
        return None
    session, user = found
    return _facilitator_email(
        session,
        user,
        template="events/session_facilitator_added",
        key=f"session-facilitator-added:{session.pk}:{at.timestamp():.6f}:{user.pk}",
        calendar_method=ical.METHOD_REQUEST,
    )


def session_facilitator_removed_notify(
    *, session_id: int, user_id: int, at: dt.datetime, now: dt.datetime | None = None
):
    """Tell someone they no longer facilitate a session.

    The meeting's calendar entry is withdrawn (CANCEL) only when they facilitate no other session
    of the meeting and hold no confirmed place at it under the same address: the entry is shared.
    Side effects: one OutboundEmail (events/session_facilitator_removed), keyed
    "session-facilitator-removed:<session>:<at>:<user>". Nothing for a user without an email
    address or a meeting that is cancelled, completed or over. Returns the email or None.
    """
    found = _facilitator_session(session_id, user_id, now or timezone.now())
    if found is None:
        return None
    session, user = found
    meeting = session.meeting
    still_there = (
        meeting.sessions.filter(facilitators=user).exists()
        or Registration.objects.filter(
            meeting=meeting,
            status=RegistrationStatus.CONFIRMED,
            stakeholder__email_normalised=normalise_email(user.email),
        ).exists()
    )
    return _facilitator_email(
        session,
        user,
        template="events/session_facilitator_removed",
        key=f"session-facilitator-removed:{session.pk}:{at.timestamp():.6f}:{user.pk}",
        calendar_method="" if still_there else ical.METHOD_CANCEL,
    )
