"""Feedback models, one module per feature, all importable from `feedback.models`.

- record: the published meeting record (summary report, "you said, we did" responses).
- questions: reusable question templates the agenda is built from.
- capture: breakout capture (points, their history, themes, a session's capture state).
- plan: the action plan (chapters, commitments, rating scale, quarterly update rounds).
- responses: responses owed (owners, their replies, each response's history).
"""

from feedback.models.capture import MeetingTheme, Point, PointRevision, SessionCapture, Theme
from feedback.models.plan import (
    ActionPlan,
    Chapter,
    Commitment,
    CommitmentUpdate,
    Rating,
    UpdateRound,
)
from feedback.models.questions import QuestionTemplate
from feedback.models.record import (
    MeetingReport,
    Publishable,
    ReportVersion,
    Response,
    published_q,
)
from feedback.models.responses import Owner, OwnerReply, ResponseEvent

__all__ = [
    "ActionPlan",
    "Chapter",
    "Commitment",
    "CommitmentUpdate",
    "Rating",
    "UpdateRound",
    "MeetingReport",
    "MeetingTheme",
    "Owner",
    "OwnerReply",
    "Point",
    "PointRevision",
    "Publishable",
    "QuestionTemplate",
    "ReportVersion",
    "Response",
    "ResponseEvent",
    "SessionCapture",
    "Theme",
    "published_q",
]
