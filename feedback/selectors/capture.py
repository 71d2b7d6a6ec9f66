"""Reads of breakout capture: a session's questions and points, and report-back across breakouts."""

from django.db.models import Prefetch, QuerySet

from events.enums import SessionKind
from events.models import DiscussionQuestion, Meeting, Session
from feedback.models import MeetingTheme, Point, Theme


def point_as_dict(point: Point) -> dict:
    """What the capture page's script knows of a saved point (text left for the page to escape)."""
    return {
        "key": str(point.key),
        "question": point.question_id,
        "text": point.text,
        "verbatim": point.verbatim,
        "weight": point.weight,
        "theme": point.theme.name if point.theme_id else "",
        "source": point.source,
        "author": point.author_id,
        "deleted": point.deleted_at is not None,
        "created_at": point.created_at.isoformat(),
        "updated_at": point.updated_at.isoformat(),
    }


def session_points(*, session_id: int) -> QuerySet[Point]:
    """The session's live (not deleted) points, oldest first, with their theme."""
    return Point.objects.filter(session_id=session_id, deleted_at__isnull=True).select_related(
        "theme"
    )


def session_capture_questions(*, session: Session) -> list[DiscussionQuestion]:
    """The session's questions that take breakout capture, each with `.live_points`."""
    questions = DiscussionQuestion.objects.filter(session=session).prefetch_related(
        Prefetch(
            "points",
            queryset=session_points(session_id=session.pk),
            to_attr="live_points",
        )
    )
    return [q for q in questions if "capture" in q.answer_sources]


def meeting_themes(*, meeting: Meeting) -> QuerySet[Theme]:
    """The meeting's theme list, then the rest of its series' list (to pick from)."""
    own = MeetingTheme.objects.filter(meeting=meeting).values("theme_id")
    if meeting.series_id is None:
        return Theme.objects.filter(pk__in=own)
    return Theme.objects.filter(series_id=meeting.series_id)


def report_back_questions(*, meeting: Meeting) -> list[str]:
    """The distinct texts of questions captured in the meeting's breakouts, in agenda order: the
    same question put to every breakout is one column set on the report-back page."""
    seen: dict[str, None] = {}
    for text in DiscussionQuestion.objects.filter(
        session__meeting=meeting, session__kind=SessionKind.BREAKOUT
    ).values_list("text", flat=True):
        seen.setdefault(text, None)
    return list(seen)


def report_back(*, meeting: Meeting, question_text: str) -> list[dict]:
    """Each breakout with its live points for the question of that text: [{session, points}]."""
    sessions = list(
        Session.objects.filter(meeting=meeting, kind=SessionKind.BREAKOUT).order_by(
            "start", "order", "id"
        )
    )
    points = (
        Point.objects.filter(
            session__in=sessions, question__text=question_text, deleted_at__isnull=True
        )
        .select_related("theme")
        .order_by("created_at", "id")
    )
    by_session: dict[int, list[Point]] = {s.pk: [] for s in sessions}
    for point in points:
        by_session[point.session_id].append(point)
    return [{"session": s, "points": by_session[s.pk]} for s in sessions]
