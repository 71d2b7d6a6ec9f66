"""Moved to events.notices (split by workflow); this module keeps old imports working until the
services package calls events.notices directly."""

from events.enums import MeetingChangeKind, MeetingStatus
from events.models import Meeting
from events.notices import *  # noqa: F403
from events.notices import meeting_change_record


def meeting_changed_notify(meeting_id: int, changes: dict):
    """Record the change for the fan-out task (events.notices.meeting_change_record)."""
    meeting = Meeting.objects.get(pk=meeting_id)
    return meeting_change_record(
        meeting=meeting,
        kind=MeetingChangeKind.CHANGED,
        changes=changes,
        tell_registrants=meeting.status == MeetingStatus.PUBLISHED,
        tell_facilitators=meeting.status in (MeetingStatus.DRAFT, MeetingStatus.PUBLISHED),
    )


def meeting_cancelled_notify(meeting_id: int, *, registrants: bool = True):
    """Record the cancellation for the fan-out task (events.notices.meeting_change_record)."""
    return meeting_change_record(
        meeting=Meeting.objects.get(pk=meeting_id),
        kind=MeetingChangeKind.CANCELLED,
        tell_registrants=registrants,
        tell_facilitators=True,
    )
