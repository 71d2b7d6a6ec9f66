"""Feedback models, one module per feature, all importable from `feedback.models`.

- record: the published meeting record (summary report, "you said, we did" responses).
- questions: reusable question templates the agenda is built from.
- capture: breakout capture (points, their history, themes, a session's capture state).
- survey: the post-meeting survey and session feedback (responses, answers, equality answers).
- chat_import: an online meeting's chat or poll export between dry run and import.
- plan: the action plan (chapters, commitments, rating scale, quarterly update rounds).
- prereading: the next meeting's pre-reading, assembled, edited and published.
- responses: responses owed (owners, their replies, each response's history).
"""

from feedback.models.capture import (
    MeetingTheme,
    Point,
    PointRevision,
    SessionCapture,
    Theme,
)
from feedback.models.chat_import import (
    ChatImport,
)
from feedback.models.plan import (
    ActionPlan,
    Chapter,
    Commitment,
    CommitmentUpdate,
    Rating,
    UpdateRound,
)
from feedback.models.prereading import (
    PreReading,
)
from feedback.models.questions import (
    QuestionTemplate,
)
from feedback.models.record import (
    MeetingReport,
    Publishable,
    ReportVersion,
    ReportVersionFile,
    Response,
    published_q,
)
from feedback.models.responses import (
    Owner,
    OwnerReply,
    ResponseEvent,
)
from feedback.models.survey import (
    EqualityAnswer,
    MeetingSurvey,
    SurveyAnswer,
    SurveyQuestion,
    SurveyResponse,
)

__all__ = [
    "ActionPlan",
    "Chapter",
    "ChatImport",
    "Commitment",
    "CommitmentUpdate",
    "EqualityAnswer",
    "MeetingReport",
    "MeetingSurvey",
    "MeetingTheme",
    "Owner",
    "OwnerReply",
    "Point",
    "PreReading",
    "PointRevision",
    "Publishable",
    "QuestionTemplate",
    "Rating",
    "ReportVersion",
    "ReportVersionFile",
    "Response",
    "ResponseEvent",
    "SessionCapture",
    "SurveyAnswer",
    "SurveyQuestion",
    "SurveyResponse",
    "Theme",
    "UpdateRound",
    "published_q",
]
