"""Feedback models, one module per feature, all importable from `feedback.models`.

- record: the published meeting record (summary report, "you said, we did" responses).
- questions: reusable question templates the agenda is built from.
- capture: breakout capture (points, their history, themes, a session's capture state).
- survey: the post-meeting survey and session feedback (responses, answers, equality answers).
- chat_import: an online meeting's chat or poll export between dry run and import.
"""

from feedback.models.capture import MeetingTheme, Point, PointRevision, SessionCapture, Theme
from feedback.models.chat_import import ChatImport
from feedback.models.questions import QuestionTemplate
from feedback.models.record import (
    MeetingReport,
    Publishable,
    ReportVersion,
    Response,
    published_q,
)
from feedback.models.survey import (
    EqualityAnswer,
    MeetingSurvey,
    SurveyAnswer,
    SurveyQuestion,
    SurveyResponse,
)

__all__ = [
    "ChatImport",
    "EqualityAnswer",
    "MeetingSurvey",
    "SurveyAnswer",
    "SurveyQuestion",
    "SurveyResponse",
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
