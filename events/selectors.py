"""Reads about meetings, sessions and registrations."""

from django.db.models import QuerySet
from django.utils import timezone

from events.enums import MeetingStatus
from events.models import Meeting, Session


def meetings_upcoming(*, limit: int | None = None) -> QuerySet[Meeting]:
    """Published meetings that have not ended, soonest first."""
    qs = Meeting.objects.filter(
        status=MeetingStatus.PUBLISHED, end__gte=timezone.now()
    ).select_related("series")
    return qs[:limit] if limit else qs


def sessions_for_facilitator(*, user) -> QuerySet[Session]:
    """Sessions of meetings not yet over that `user` facilitates."""
    return (
        Session.objects.filter(facilitators=user, meeting__end__gte=timezone.now())
        .select_related("meeting")
        .order_by("start")
    )
