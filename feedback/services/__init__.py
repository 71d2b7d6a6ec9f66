"""Writes of the feedback app, one module per feature, re-exported so callers keep
`from feedback import services`.

- record: the meeting record (summary report and responses).
- report: the summary report's generated draft and its published versions.
- questions: question templates and the questions put to sessions.
- capture: breakout capture (points, themes, a session's capture closing).
- moderation: review before publication (approve, withhold, redact, edit, merge, theme).
- personal_data: the check of points for personal data, run by a task after commit.
- responses: responses owed (owners, their signed-link replies, approval, history).
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
    points_merge,
    points_theme_set,
)
from feedback.services.personal_data import (
    meeting_points_recheck,
    points_check_personal_data,
    points_check_personal_data_ids,
    points_personal_data_sweep,
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
from feedback.services.responses import (
    owner_create,
    owner_link_check,
    owner_reply_approve,
    owner_reply_return,
    owner_reply_submit,
    owner_update,
    response_assign,
    response_history_add,
    response_raise,
    response_status_set,
)

__all__ = [
    "KeyConflict",
    "capture_is_closed",
    "meeting_points_recheck",
    "meeting_report_create",
    "meeting_report_draft_generate",
    "meeting_report_publish",
    "meeting_report_unpublish",
    "meeting_report_update",
    "owner_create",
    "owner_link_check",
    "owner_reply_approve",
    "owner_reply_return",
    "owner_reply_submit",
    "owner_update",
    "point_capture",
    "point_delete",
    "point_flags_dismiss",
    "point_moderate_edit",
    "point_redact",
    "point_return",
    "point_update",
    "point_withhold",
    "points_approve",
    "points_check_personal_data",
    "points_check_personal_data_ids",
    "points_merge",
    "points_personal_data_sweep",
    "points_theme_set",
    "question_template_create",
    "response_assign",
    "response_create",
    "response_delete",
    "response_history_add",
    "response_publish",
    "response_raise",
    "response_status_set",
    "response_unpublish",
    "response_update",
    "responses_publish",
    "session_capture_close",
    "session_capture_reopen",
    "session_question_add",
    "session_question_remove",
    "theme_for_meeting",
    "user_can_capture",
]
