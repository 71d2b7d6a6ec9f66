"""Reads of moderation: the names to look for in a meeting's points, the staff moderation list,
a point's history, and the publishable points the summary report reads."""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.paginator import Page, Paginator
from django.db.models import Count, F, Q, QuerySet

from engage.enums import Role
from engage.roles import ROLE_GROUP_NAMES
from events.models import DiscussionQuestion, Meeting, Registration, Session
from feedback.enums import ModerationState
from feedback.models import Point, PointRevision
from feedback.pii import names_in_agenda

# Roles whose members' names may turn up in what the room says about the meeting.
_NAMED_ROLES = (Role.FACILITATOR, Role.ENGAGEMENT_TEAM, Role.ADMINISTRATOR)


def meeting_known_names(*, meeting: Meeting) -> list[str]:
    """The names the system knows for `meeting`: its registrants, the staff and facilitators
    (by role, and the meeting's own session facilitators), and people named by title on the
    agenda (meeting summary, session titles and descriptions). Four queries."""
    names: list[str] = []
    for first, last in Registration.objects.filter(meeting=meeting).values_list(
        "stakeholder__first_name", "stakeholder__last_name"
    ):
        names.append(f"{first} {last}")
    users = get_user_model().objects.filter(
        Q(groups__name__in=[ROLE_GROUP_NAMES[r] for r in _NAMED_ROLES])
        | Q(is_staff=True)
        | Q(facilitated_sessions__meeting=meeting)
    )
    for first, last in users.values_list("first_name", "last_name").distinct():
        names.append(f"{first} {last}")
    agenda = [meeting.title, meeting.summary]
    for title, description in Session.objects.filter(meeting=meeting).values_list(
        "title", "description"
    ):
        agenda += [title, description]
    for text in agenda:
        names += names_in_agenda(text)
    return [n for n in names if n.strip()]


def meeting_points(*, meeting_id: int) -> QuerySet[Point]:
    """Every point of the meeting that was not deleted, withheld and merged ones included."""
    return Point.objects.filter(session__meeting_id=meeting_id, deleted_at__isnull=True)


def meeting_points_publishable(*, meeting_id: int) -> QuerySet[Point]:
    """The points of the meeting that may be published: approved, not withheld, not deleted, not
    merged into another point; `text` is the moderated (redacted) text and `weight` includes the
    duplicates merged in. With question, session and theme; in agenda then capture order."""
    return (
        meeting_points(meeting_id=meeting_id)
        .filter(moderation=ModerationState.APPROVED, merged_into__isnull=True)
        .select_related("question", "session", "theme")
        .order_by("session__start", "session__order", "question__order", "created_at", "id")
    )


@dataclass(frozen=True)
class ModerationFilters:
    state: str = ""  # "", a ModerationState value, "flagged" or "merged"
    question_text: str = ""
    theme: str = ""  # "", a theme id, or "none" for untagged


FLAGGED = "flagged"
MERGED = "merged"


def moderation_list(*, meeting_id: int, filters: ModerationFilters) -> QuerySet[Point]:
    """The staff moderation list: the meeting's points under the filters, in agenda order, with
    what each row shows loaded in the same query."""
    points = meeting_points(meeting_id=meeting_id)
    if filters.state == FLAGGED:
        points = points.filter(pii_open__gt=0, merged_into__isnull=True)
    elif filters.state == MERGED:
        points = points.filter(merged_into__isnull=False)
    elif filters.state in ModerationState.values:
        points = points.filter(moderation=filters.state, merged_into__isnull=True)
    if filters.question_text:
        points = points.filter(question__text=filters.question_text)
    if filters.theme == "none":
        points = points.filter(theme__isnull=True)
    elif filters.theme.isdigit():
        points = points.filter(theme_id=int(filters.theme))
    # Only the columns a row shows: the database sorts every matching point to find a page, and
    # narrow rows sort several times faster than whole joined ones.
    return (
        points.select_related("question", "session", "theme")
        .only(
            "id",
            "text",
            "verbatim",
            "weight",
            "moderation",
            "withheld_reason",
            "pii_flags",
            "pii_open",
            "pii_checked_at",
            "updated_at",
            "merged_into_id",
            "question__text",
            "session__title",
            "theme__name",
        )
        .order_by("session__start", "session__order", "question__order", "created_at", "id")
    )


def moderation_page(*, meeting_id: int, filters: ModerationFilters, number, size: int) -> Page:
    """One page of the moderation list: the page's ids are found first, sorting only the ids and
    the sort keys of every matching point, then its rows are loaded by id (three queries with the
    count). Sorting the whole rows, text and flags included, cost more than the extra query."""
    points = moderation_list(meeting_id=meeting_id, filters=filters)
    page = Paginator(points.values_list("id", flat=True), size).get_page(number)
    ids = list(page.object_list)
    rows = {p.pk: p for p in points.filter(pk__in=ids).order_by()}
    page.object_list = [rows[pk] for pk in ids if pk in rows]
    return page


def moderation_counts(*, meeting_id: int) -> dict[str, int]:
    """How many points wait, are flagged, approved, withheld or merged, and how many are not yet
    checked for personal data: one query."""
    live = Q(merged_into__isnull=True)
    return meeting_points(meeting_id=meeting_id).aggregate(
        all=Count("id"),
        unchecked=Count(
            "id", filter=Q(pii_checked_at__isnull=True) | Q(pii_checked_at__lt=F("updated_at"))
        ),
        pending=Count("id", filter=live & Q(moderation=ModerationState.PENDING)),
        flagged=Count("id", filter=live & Q(pii_open__gt=0)),
        approved=Count("id", filter=live & Q(moderation=ModerationState.APPROVED)),
        withheld=Count("id", filter=live & Q(moderation=ModerationState.WITHHELD)),
        merged=Count("id", filter=Q(merged_into__isnull=False)),
    )


def meeting_question_texts(*, meeting_id: int) -> list[str]:
    """The distinct texts of the meeting's questions in agenda order: the same question put to
    every breakout is one filter choice."""
    seen: dict[str, None] = {}
    for text in DiscussionQuestion.objects.filter(session__meeting_id=meeting_id).values_list(
        "text", flat=True
    ):
        seen.setdefault(text, None)
    return list(seen)


def point_history(*, point_id: int) -> QuerySet[PointRevision]:
    """Every revision of a point, oldest first, with who made it (shown by name to staff)."""
    return PointRevision.objects.filter(point_id=point_id).select_related("by", "related")


def text_segments(text: str, flags: list[dict]) -> list[tuple[str, dict | None]]:
    """`text` cut into (piece, flag) pairs, a flag (with its `index` in `flags`) for each
    flagged span still open, so a page can mark the spans while escaping every piece."""
    pieces: list[tuple[str, dict | None]] = []
    at = 0
    for index, flag in sorted(enumerate(flags), key=lambda pair: pair[1]["start"]):
        start, end = flag["start"], flag["end"]
        if flag.get("dismissed") or start < at or end > len(text):
            continue
        if start > at:
            pieces.append((text[at:start], None))
        pieces.append((text[start:end], {**flag, "index": index}))
        at = end
    if at < len(text):
        pieces.append((text[at:], None))
    return pieces
