"""Writes of the feedback app, one module per feature, re-exported so callers keep
`from feedback import services`.

- record: the meeting record (summary report and responses).
"""

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

__all__ = [
    "meeting_report_create",
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
