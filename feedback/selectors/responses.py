"""Reads of responses owed: due dates from the series' calendar, the staff lists, an owner's item,
and the public "you said, we did" pages with their counts."""

import datetime as _dt
from collections import Counter
from typing import NamedTuple

from django.core.paginator import Paginator
from django.db.models import Prefetch, Q, QuerySet
from django.db.models.functions import Lower
from django.utils import timezone

from events.enums import MeetingStatus
from events.models import Meeting, Series
from feedback.enums import RESPONSE_CLOSED, ReplyDecision, ResponseStatus
from feedback.models import Owner, OwnerReply, Response, ResponseEvent, Theme, published_q

# Without a next meeting on the calendar, an answer is owed this long after the meeting.
DUE_WITHOUT_NEXT_MEETING = _dt.timedelta(weeks=4)
DUE_BEFORE_NEXT_MEETING = _dt.timedelta(weeks=1)


def next_meeting(*, meeting: Meeting) -> Meeting | None:
    """The series' next meeting after this one that is not cancelled or a draft, else None."""
    if meeting.series_id is None:
        return None
    return (
        Meeting.objects.filter(series_id=meeting.series_id, start__gt=meeting.start)
        .exclude(status__in=(MeetingStatus.CANCELLED, MeetingStatus.DRAFT))
        .order_by("start", "pk")
        .first()
    )


def previous_meeting(*, meeting: Meeting) -> Meeting | None:
    """The series' meeting before this one (not cancelled or a draft), else None."""
    if meeting.series_id is None:
        return None
    return (
        Meeting.objects.filter(series_id=meeting.series_id, start__lt=meeting.start)
        .exclude(status__in=(MeetingStatus.CANCELLED, MeetingStatus.DRAFT))
        .order_by("-start", "-pk")
        .first()
    )


def response_due_default(*, meeting: Meeting) -> _dt.date:
    """A week before the next meeting in the series; four weeks after this one when there is
    none yet."""
    following = next_meeting(meeting=meeting)
    if following is not None:
        return timezone.localdate(following.start - DUE_BEFORE_NEXT_MEETING)
    return timezone.localdate(meeting.end + DUE_WITHOUT_NEXT_MEETING)


def owners_all() -> QuerySet:
    return Owner.objects.order_by("name", "pk")


def responses_owed_staff(*, status: str = "", owner_id: int | None = None) -> QuerySet:
    """Every response with its owner and meeting, soonest due first, for the staff list."""
    rows = Response.objects.select_related("owner", "meeting", "theme", "owner_email")
    if status:
        rows = rows.filter(status=status)
    if owner_id:
        rows = rows.filter(owner_id=owner_id)
    return rows.order_by("due_on", "meeting__start", "order", "pk")


def response_staff_get(*, pk: int) -> Response:
    """One response with its history and replies. Raises Response.DoesNotExist."""
    return (
        Response.objects.select_related("owner", "meeting", "theme", "owner_email")
        .prefetch_related(
            Prefetch(
                "history",
                queryset=ResponseEvent.objects.select_related("by_user", "by_owner").order_by(
                    "at", "pk"
                ),
            ),
            Prefetch("replies", queryset=OwnerReply.objects.order_by("-submitted_at", "-pk")),
        )
        .get(pk=pk)
    )


def replies_pending() -> QuerySet:
    """Owners' replies waiting for the team, oldest first."""
    return (
        OwnerReply.objects.filter(decision=ReplyDecision.PENDING)
        .select_related("response__meeting", "owner")
        .order_by("submitted_at", "pk")
    )


# --- Public "you said, we did" -------------------------------------------------------------


def _public_rows(now: _dt.datetime) -> QuerySet:
    return (
        Response.objects.filter(published_q(now))
        .select_related("theme", "meeting")
        .order_by("meeting__start", "order", "pk")
    )


def _counts(rows: list[Response], *, next_start: _dt.datetime | None) -> dict:
    by_status = Counter(row.status for row in rows)
    answered = [row for row in rows if row.status in RESPONSE_CLOSED]
    on_time = [
        row
        for row in answered
        if next_start is None or (row.responded_at and row.responded_at < next_start)
    ]
    return {
        "total": len(rows),
        "answered": len(answered),
        "answered_on_time": len(on_time),
        "by_status": [
            {"status": status, "label": label, "count": by_status.get(status, 0)}
            for status, label in ResponseStatus.choices
        ],
    }


def you_said_we_did_meeting(
    *, meeting: Meeting, theme_id: int | None = None, now: _dt.datetime | None = None
) -> dict:
    """A meeting's published responses (optionally one theme's), their counts, the themes to
    filter by and the next meeting the answers were owed before. Fixed number of queries."""
    now = now or timezone.now()
    rows = list(_public_rows(now).filter(meeting=meeting))
    following = next_meeting(meeting=meeting)
    return _page(rows, theme_id=theme_id, next_start=following.start if following else None) | {
        "next_meeting": following
    }


class _Summary(NamedTuple):
    """What the series page's counts and filter read of every response."""

    pk: int
    status: str
    responded_at: _dt.datetime | None
    meeting_id: int
    theme_id: int | None


# Responses per page of the series page: the counts cover every response, the list one page.
SERIES_PAGE_SIZE = 50


def you_said_we_did_series(
    *,
    series: Series,
    theme_id: int | None = None,
    page: int | str | None = 1,
    now: _dt.datetime | None = None,
) -> dict:
    """The published responses of the series' meetings, one page of them grouped by meeting,
    with counts over them all. The "before the next meeting" count takes each meeting's own
    next one. Fixed number of queries; an out-of-range page gives the last."""
    now = now or timezone.now()
    meetings = list(
        Meeting.objects.filter(series=series)
        .exclude(status__in=(MeetingStatus.CANCELLED, MeetingStatus.DRAFT))
        .order_by("start", "pk")
    )
    next_start = {
        m.pk: (meetings[i + 1].start if i + 1 < len(meetings) else None)
        for i, m in enumerate(meetings)
    }
    # Every row is counted but only a page is shown: the counts read a few columns of each,
    # the page reads its 50 whole (texts and all).
    rows = [
        _Summary(*values)
        for values in _public_rows(now)
        .filter(meeting__in=[m.pk for m in meetings])
        .select_related(None)
        .values_list("pk", "status", "responded_at", "meeting_id", "theme_id")
    ]
    themes = list(
        Theme.objects.filter(pk__in={row.theme_id for row in rows if row.theme_id}).order_by(
            Lower("name"), "pk"
        )
    )
    shown = [row for row in rows if theme_id is None or row.theme_id == theme_id]
    on_time = sum(
        1
        for row in shown
        if row.status in RESPONSE_CLOSED
        and (
            next_start.get(row.meeting_id) is None
            or (row.responded_at and row.responded_at < next_start[row.meeting_id])
        )
    )
    counts = _counts(shown, next_start=None)
    counts["answered_on_time"] = on_time
    # Rendering hundreds of cards was the page's cost, not the query: one page is drawn.
    page_obj = Paginator(shown, SERIES_PAGE_SIZE).get_page(page)
    whole = {
        row.pk: row
        for row in _public_rows(now).filter(pk__in=[row.pk for row in page_obj.object_list])
    }
    page_obj.object_list = [whole[row.pk] for row in page_obj.object_list if row.pk in whole]
    groups = []
    for meeting in meetings:
        items = [row for row in page_obj.object_list if row.meeting_id == meeting.pk]
        if items:
            groups.append({"meeting": meeting, "responses": items})
    return {
        "groups": groups,
        "counts": counts,
        "themes": themes,
        "theme_id": theme_id,
        "page": page_obj,
        "page_range": list(
            page_obj.paginator.get_elided_page_range(page_obj.number, on_each_side=1, on_ends=1)
        ),
    }


def _themes(rows: list[Response]) -> list:
    seen = {}
    for row in rows:
        if row.theme_id and row.theme_id not in seen:
            seen[row.theme_id] = row.theme
    return sorted(seen.values(), key=lambda theme: theme.name.lower())


def _page(rows: list[Response], *, theme_id: int | None, next_start) -> dict:
    themes = _themes(rows)
    shown = [row for row in rows if theme_id is None or row.theme_id == theme_id]
    return {
        "responses": shown,
        "counts": _counts(shown, next_start=next_start),
        "themes": themes,
        "theme_id": theme_id,
    }


def responses_owner_overdue_q(today: _dt.date) -> Q:
    """Still owed by an owner and past its due date."""
    return Q(owner__isnull=False, due_on__lt=today) & ~Q(status__in=RESPONSE_CLOSED)
