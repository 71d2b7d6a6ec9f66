"""Emails to registrants and facilitators about meetings, split by workflow.

- `context`: what each audience's email context holds, one type per key.
- `markers`: lock the row, check the marker, set it, queue (every scheduled send).
- `registration`: the notice each registration is owed, and both ends of the sender's wake key.
- `changes`: a meeting's change and cancellation notices, and a session's change notice,
  recorded in the request and fanned out by a task.
- `facilitators`: facilitator assignment notices.
- `scheduled`: reminders, pre-reading, joining instructions (beat).
The post-meeting survey email belongs to feedback (feedback.notifications).
"""

from events.notices.changes import (
    meeting_change_fan_out,
    meeting_change_record,
    meeting_changes_fan_out_due,
    meeting_notices_supersede,
    session_change_record,
)
from events.notices.context import (
    facilitator_calendar,
    meeting_context,
    meeting_url,
    meeting_when_text,
    registrant_context,
    registration_calendar,
    registration_calendar_url,
    registration_context,
    session_when_text,
)
from events.notices.facilitators import (
    session_facilitator_added_notify,
    session_facilitator_removed_notify,
)
from events.notices.markers import marker_send
from events.notices.registration import (
    NOTICES_WAKE_KEY,
    NOTICES_WAKE_SECONDS,
    REGISTRATION_NOTICES,
    registration_cancelled_notify,
    registration_confirmed_notify,
    registration_notices_send,
    registration_notices_wake_on_commit,
    waitlist_joined_notify,
    waitlist_left_notify,
    waitlist_offer_expired_notify,
    waitlist_offer_notify,
)
from events.notices.scheduled import (
    JOINING_INSTRUCTIONS_LEAD,
    joining_instructions_send_due,
    meeting_prereading_notify,
    prereading_notify_due,
    registration_joining_instructions_send,
    registration_reminder_send,
    reminders_rearm,
    reminders_send_due,
)

__all__ = [
    "JOINING_INSTRUCTIONS_LEAD",
    "NOTICES_WAKE_KEY",
    "NOTICES_WAKE_SECONDS",
    "REGISTRATION_NOTICES",
    "facilitator_calendar",
    "joining_instructions_send_due",
    "marker_send",
    "meeting_change_fan_out",
    "meeting_change_record",
    "meeting_changes_fan_out_due",
    "meeting_context",
    "meeting_notices_supersede",
    "meeting_prereading_notify",
    "meeting_url",
    "meeting_when_text",
    "prereading_notify_due",
    "registrant_context",
    "registration_calendar",
    "registration_calendar_url",
    "registration_cancelled_notify",
    "registration_confirmed_notify",
    "registration_context",
    "registration_joining_instructions_send",
    "registration_notices_send",
    "registration_notices_wake_on_commit",
    "registration_reminder_send",
    "reminders_rearm",
    "reminders_send_due",
    "session_change_record",
    "session_facilitator_added_notify",
    "session_facilitator_removed_notify",
    "session_when_text",
    "waitlist_joined_notify",
    "waitlist_left_notify",
    "waitlist_offer_expired_notify",
    "waitlist_offer_notify",
]
