"""Writes of the feedback app, one module per feature, re-exported so callers keep
`from feedback import services`.

- record: the meeting record (summary report and responses).
- report: the summary report's generated draft and its published versions.
- questions: question templates and the questions put to sessions.
- capture: breakout capture (points, themes, a session's capture closing).
- moderation: review before publication (approve, withhold, redact, edit, merge, theme).
"""

from feedback.services.capture import (
    KeyConflict,
    capture_is_closed,
    point_capture,
    point_delete,
    point_update,
    session_capture_close,
    session_capture_reopen,
    theme_for_meeting,
    user_can_capture,
)
from feedback.services.moderation import (
    point_flags_dismiss,
    point_moderate_edit,
    point_redact,
    point_return,
    point_withhold,
    points_approve,
    points_check_personal_data,
    points_merge,
    points_theme_set,
)
from feedback.services.questions import (
    question_template_create,
    session_question_add,
    session_question_remove,
)
from feedback.services.record import (
    meeting_report_create,
    meeting_report_publish,
    meeting_report_unpublish,
    meeting_report_update,
    response_create,
    response_delete,
    response_publish,
    response_unpublish,
    response_update,
    responses_publish,
)
from feedback.services.report import (
    meeting_report_draft_generate,
)

__all__ = [
    "KeyConflict",
    "capture_is_closed",
    "point_capture",
    "point_delete",
    "point_update",
    "point_flags_dismiss",
    "point_moderate_edit",
    "point_redact",
    "point_return",
    "point_withhold",
    "points_approve",
    "points_check_personal_data",
    "points_merge",
    "points_theme_set",
    "question_template_create",
    "session_capture_close",
    "session_capture_reopen",
    "session_question_add",
    "session_question_remove",
    "theme_for_meeting",
    "user_can_capture",
    "meeting_report_create",
    "meeting_report_draft_generate",
    "meeting_report_publish",
    "meeting_report_unpublish",
    "meeting_report_update",
    "response_create",
    "response_delete",
    "response_publish",
    "response_unpublish",
    "response_update",
    "responses_publish",
]
