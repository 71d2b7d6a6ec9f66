"""Reads of the feedback app, one module per feature, re-exported so callers keep
`from feedback import selectors`.

- record: the meeting record (summary report, responses, who held a place).
"""

from feedback.selectors.record import (
    meeting_place_holders,
    meeting_record_public_get,
    meeting_record_summary,
    meeting_report_published,
    responses_published,
)

__all__ = [
    "meeting_place_holders",
    "meeting_record_public_get",
    "meeting_record_summary",
    "meeting_report_published",
    "responses_published",
]
