"""Reads of themes: which of a meeting's themes recur (under several of its questions, or at
several meetings of its series) with their history, and suggestions for theming its points."""

from dataclasses import dataclass, field

from django.db.models import Count, Q, Sum

from events.models import Meeting
from feedback.enums import ModerationState
from feedback.models import Point
from feedback.selectors.moderation import meeting_points
from feedback.suggest import ThemeSuggestion, near_duplicate_groups, suggest_themes

# At most this many tagged points feed theme suggestions (the newest): enough to learn from,
# few enough to answer a page quickly.
SUGGESTION_CORPUS = 2000
# Suggestions and duplicate groups are worked out for at most this many points of a question.
SUGGESTION_POINTS = 1500


@dataclass
class ThemeUse:
    meeting_id: int
    meeting_title: str
    meeting_start: object
    question_text: str
    points: int
    weight: int


@dataclass
class ThemeHistory:
    theme_id: int
    name: str
    uses: list[ThemeUse] = field(default_factory=list)
    this_meeting_questions: int = 0
    meetings: int = 0

    @property
    def recurring(self) -> bool:
        return self.this_meeting_questions > 1 or self.meetings > 1


def _counted(points):
    """Points that say something the meeting heard: not deleted, not withheld, not merged away."""
    return points.filter(deleted_at__isnull=True, merged_into__isnull=True).exclude(
        moderation=ModerationState.WITHHELD
    )


def meeting_theme_history(*, meeting: Meeting) -> list[ThemeHistory]:
    """Each theme of the meeting's points with where it was raised: the questions of this
    meeting and the meetings of its series (earlier and later), with how many points and their
    weight. `recurring` when raised under more than one question here, or at more than one
    meeting. Recurring themes first, then by name. One query."""
    here = _counted(Point.objects.filter(session__meeting=meeting)).values("theme_id")
    scope = (
        Q(session__meeting__series_id=meeting.series_id)
        if meeting.series_id
        else Q(session__meeting=meeting)
    )
    rows = (
        _counted(Point.objects.filter(scope, theme_id__in=here))
        .values(
            "theme_id",
            "theme__name",
            "session__meeting_id",
            "session__meeting__title",
            "session__meeting__start",
            "question__text",
        )
        .annotate(points=Count("id"), weight=Sum("weight"))
        .order_by("theme__name", "theme_id", "session__meeting__start", "question__text")
    )
    histories: dict[int, ThemeHistory] = {}
    for row in rows:
        history = histories.setdefault(
            row["theme_id"], ThemeHistory(theme_id=row["theme_id"], name=row["theme__name"])
        )
        history.uses.append(
            ThemeUse(
                meeting_id=row["session__meeting_id"],
                meeting_title=row["session__meeting__title"],
                meeting_start=row["session__meeting__start"],
                question_text=row["question__text"],
                points=row["points"],
                weight=row["weight"],
            )
        )
    for history in histories.values():
        history.this_meeting_questions = len(
            {u.question_text for u in history.uses if u.meeting_id == meeting.pk}
        )
        history.meetings = len({u.meeting_id for u in history.uses})
    return sorted(histories.values(), key=lambda h: (not h.recurring, h.name.casefold()))


def meeting_recurring_themes(*, meeting: Meeting) -> list[ThemeHistory]:
    """The recurring themes of the meeting, with their history (for the report)."""
    return [h for h in meeting_theme_history(meeting=meeting) if h.recurring]


@dataclass
class Suggestions:
    themes: list[tuple[Point, ThemeSuggestion, str]]  # point, suggestion, theme name
    duplicates: list[list[Point]]


def theme_suggestions(*, meeting: Meeting, question_text: str) -> Suggestions:
    """For the points of one question (every breakout's), a theme for each untagged point from
    the meeting's and series' tagged points, and groups of near-duplicates to merge."""
    points = list(
        meeting_points(meeting_id=meeting.pk)
        .filter(question__text=question_text, merged_into__isnull=True)
        .exclude(moderation=ModerationState.WITHHELD)
        .select_related("session", "theme")
        .order_by("created_at", "id")[:SUGGESTION_POINTS]
    )
    scope = (
        Q(session__meeting__series_id=meeting.series_id)
        if meeting.series_id
        else Q(session__meeting=meeting)
    )
    tagged = list(
        _counted(Point.objects.filter(scope, theme__isnull=False))
        .order_by("-created_at")
        .values_list("text", "theme_id", "theme__name")[:SUGGESTION_CORPUS]
    )
    names = {theme_id: name for _, theme_id, name in tagged}
    found = suggest_themes(
        [(p.pk, p.text) for p in points if p.theme_id is None],
        [(text, theme_id) for text, theme_id, _ in tagged],
        names,
    )
    by_id = {p.pk: p for p in points}
    return Suggestions(
        themes=[(by_id[s.point_id], s, names[s.theme_id]) for s in found],
        duplicates=[
            [by_id[i] for i in group]
            for group in near_duplicate_groups([(p.pk, p.text) for p in points])
        ],
    )
