"""Reads of the feedback app, one module per feature, re-exported so callers keep
`from feedback import selectors`.

- record: the meeting record (summary report, responses, who held a place).
- questions: question templates.
- capture: a session's points, report-back across breakouts.
- report: the points a summary report may show (the one filter), attendance, versions.
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

__all__ = [
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
    "meeting_report_as_document",
    "meeting_report_document_public",
    "report_language",
    "meeting_report_version_published",
    "meeting_report_versions",
    "report_attendance",
    "report_points",
    "report_points_export",
    "report_questions",
]
