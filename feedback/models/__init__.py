"""Feedback models, one module per feature, all importable from `feedback.models`.

- record: the published meeting record (summary report, "you said, we did" responses).
- questions: reusable question templates the agenda is built from.
- capture: breakout capture (points, their history, themes, a session's capture state).
"""

from feedback.models.capture import MeetingTheme, Point, PointRevision, SessionCapture, Theme
from feedback.models.questions import QuestionTemplate
from feedback.models.record import (
    MeetingReport,
    Publishable,
    ReportVersion,
    Response,
    published_q,
)

__all__ = [
    "MeetingReport",
    "MeetingTheme",
    "Point",
    "PointRevision",
    "Publishable",
    "QuestionTemplate",
    "ReportVersion",
    "Response",
    "SessionCapture",
    "Theme",
    "published_q",
]
