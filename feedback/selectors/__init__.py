"""Reads of the feedback app, one module per feature, re-exported so callers keep
`from feedback import selectors`.

- record: the meeting record (summary report, responses, who held a place).
- questions: question templates.
- capture: a session's points, report-back across breakouts.
- responses: responses owed and the public "you said, we did" pages.
"""

from feedback.selectors.capture import (
    meeting_themes,
    point_as_dict,
    report_back,
    report_back_questions,
    session_capture_questions,
    session_points,
)
from feedback.selectors.questions import question_templates_active
from feedback.selectors.record import (
    meeting_place_holders,
    meeting_record_public_get,
    meeting_record_summary,
    meeting_report_published,
    responses_published,
)
from feedback.selectors.responses import (
    next_meeting,
    owners_all,
    previous_meeting,
    replies_pending,
    response_due_default,
    response_staff_get,
    responses_owed_staff,
    you_said_we_did_meeting,
    you_said_we_did_series,
)

__all__ = [
    "next_meeting",
    "owners_all",
    "previous_meeting",
    "replies_pending",
    "response_due_default",
    "response_staff_get",
    "responses_owed_staff",
    "you_said_we_did_meeting",
    "you_said_we_did_series",
    "meeting_themes",
    "point_as_dict",
    "question_templates_active",
    "report_back",
    "report_back_questions",
    "session_capture_questions",
    "session_points",
    "meeting_place_holders",
    "meeting_record_public_get",
    "meeting_record_summary",
    "meeting_report_published",
    "responses_published",
]
