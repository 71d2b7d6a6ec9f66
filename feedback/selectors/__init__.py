"""Reads of the feedback app, one module per feature, re-exported so callers keep
`from feedback import selectors`.

- record: the meeting record (summary report, responses, who held a place).
- questions: question templates.
- capture: a session's points, report-back across breakouts.
- moderation: the moderation list, a point's history, the publishable points of a meeting.
- themes: recurring themes with their history, theme and duplicate suggestions.
- report: the points a summary report may show (the one filter), attendance, versions.
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
from feedback.selectors.moderation import (
    ModerationFilters,
    meeting_known_names,
    meeting_points_publishable,
    meeting_question_texts,
    moderation_counts,
    moderation_list,
    moderation_page,
    point_history,
    text_segments,
)
from feedback.selectors.questions import (
    question_templates_active,
)
from feedback.selectors.record import (
    meeting_place_holders,
    meeting_record_public_get,
    meeting_record_summary,
    meeting_report_published,
    responses_published,
    series_place_holders,
)
from feedback.selectors.report import (
    meeting_report_as_document,
    meeting_report_document_public,
    meeting_report_version_published,
    meeting_report_versions,
    report_attendance,
    report_language,
    report_points,
    report_points_export,
    report_questions,
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
from feedback.selectors.themes import (
    meeting_recurring_themes,
    meeting_theme_history,
    theme_suggestions,
)

__all__ = [
    "ModerationFilters",
    "meeting_known_names",
    "meeting_place_holders",
    "series_place_holders",
    "meeting_points_publishable",
    "meeting_question_texts",
    "meeting_record_public_get",
    "meeting_record_summary",
    "meeting_recurring_themes",
    "meeting_report_as_document",
    "meeting_report_document_public",
    "meeting_report_published",
    "meeting_report_version_published",
    "meeting_report_versions",
    "meeting_theme_history",
    "meeting_themes",
    "moderation_counts",
    "moderation_list",
    "moderation_page",
    "next_meeting",
    "owners_all",
    "point_as_dict",
    "point_history",
    "previous_meeting",
    "question_templates_active",
    "replies_pending",
    "report_attendance",
    "report_back",
    "report_back_questions",
    "report_language",
    "report_points",
    "report_points_export",
    "report_questions",
    "response_due_default",
    "response_staff_get",
    "responses_owed_staff",
    "responses_published",
    "session_capture_questions",
    "session_points",
    "text_segments",
    "theme_suggestions",
    "you_said_we_did_meeting",
    "you_said_we_did_series",
]
