"""Reads for the public pages and registration: meetings listed and shown, places, breakouts,
a stakeholder's registrations, the attendee list."""

from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from engage.enums import PURPOSE_ATTENDEE_LIST
from engage.selectors import stakeholders_consenting
from events.enums import MeetingStatus, RegistrationStatus, SessionKind
from events.models import DiscussionQuestion, Document, Meeting, Registration, Series, Session


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


def meetings_public_upcoming() -> QuerySet[Meeting]:
    """Published and cancelled meetings that have not ended, soonest first (cancelled ones say so)."""
    return (
        Meeting.objects.filter(
            status__in=[MeetingStatus.PUBLISHED, MeetingStatus.CANCELLED],
            end__gte=timezone.now(),
        )
        .select_related("series")
        .order_by("start", "id")
    )


def meetings_public_past(*, series=None) -> QuerySet[Meeting]:
    """Meetings that took place (published or completed, ended), latest first."""
    queryset = Meeting.objects.filter(
        status__in=[MeetingStatus.PUBLISHED, MeetingStatus.COMPLETED], end__lt=timezone.now()
    )
    if series is not None:
        queryset = queryset.filter(series=series)
    return queryset.select_related("series").order_by("-start", "-id")


def meeting_public_get(*, slug: str) -> Meeting:
    """A meeting the public may see (anything but a draft), with its agenda, published questions
    and published documents prefetched. Raises Meeting.DoesNotExist."""
    now = timezone.now()
    published = Q(publish_at__isnull=True) | Q(publish_at__lte=now)
    return (
        Meeting.objects.exclude(status=MeetingStatus.DRAFT)
        .select_related("series")
        .prefetch_related(
            Prefetch(
                "sessions",
                queryset=Session.objects.order_by("start", "order", "id").prefetch_related(
                    Prefetch(
                        "questions",
                        queryset=DiscussionQuestion.objects.filter(published),
                        to_attr="published_questions",
                    )
                ),
            ),
            Prefetch(
                "documents",
                queryset=Document.objects.filter(publish_at__lte=now),
                to_attr="published_documents",
            ),
        )
        .get(slug=slug)
    )


def series_public_get(*, slug: str):
    """A series with its meetings the public may see. Raises Series.DoesNotExist."""
    return Series.objects.get(slug=slug)


def series_public_meetings(*, series) -> QuerySet[Meeting]:
    """The series' non-draft meetings, latest first."""
    return (
        Meeting.objects.filter(series=series)
        .exclude(status=MeetingStatus.DRAFT)
        .order_by("-start", "-id")
    )


def meeting_places(*, meeting: Meeting) -> dict[str, int]:
    """Places taken (confirmed or offered), left, and people waiting, for display only."""
    counts = Registration.objects.filter(meeting=meeting).aggregate(
        taken=Count(
            "id",
            filter=Q(status__in=[RegistrationStatus.CONFIRMED, RegistrationStatus.OFFERED]),
        ),
        waiting=Count("id", filter=Q(status=RegistrationStatus.WAITLISTED)),
    )
    return {
        "taken": counts["taken"],
        "left": max(0, meeting.capacity - counts["taken"]),
        "waiting": counts["waiting"],
    }


def breakouts_with_room(*, meeting: Meeting) -> list[tuple[Session, int | None]]:
    """The meeting's breakouts with places left (None where a breakout has no limit)."""
    sessions = (
        Session.objects.filter(meeting=meeting, kind=SessionKind.BREAKOUT)
        .annotate(
            confirmed=Count(
                "registrations", filter=Q(registrations__status=RegistrationStatus.CONFIRMED)
            )
        )
        .order_by("start", "order", "id")
    )
    return [(s, None if s.capacity is None else max(0, s.capacity - s.confirmed)) for s in sessions]


def breakouts_for_choice(*, meeting: Meeting) -> list[tuple[Session, None]]:
    """The meeting's breakouts as breakouts_with_room gives them, without counting places: what
    checking a submitted choice needs (the count that decides is taken under the meeting lock)."""
    sessions = Session.objects.filter(meeting=meeting, kind=SessionKind.BREAKOUT).order_by(
        "start", "order", "id"
    )
    return [(session, None) for session in sessions.only("id", "title")]


def registration_for_stakeholder(*, meeting: Meeting, stakeholder):
    """The stakeholder's registration for the meeting (any status), or None."""
    if stakeholder is None:
        return None
    return Registration.objects.filter(meeting=meeting, stakeholder=stakeholder).first()


@dataclass(frozen=True)
class ListedAttendee:
    name: str
    organisation: str


def meeting_attendee_list(*, meeting: Meeting) -> list[ListedAttendee]:
    """The published attendee list: names and organisations only, of people who attended, ticked
    the box when registering, and still give the attendee-list consent (withdrawing it, or its
    lapse, takes them off at once). Empty until the meeting has ended."""
    if meeting.end > timezone.now():
        return []
    rows = (
        Registration.objects.filter(
            meeting=meeting,
            attended_at__isnull=False,
            attendee_list_ok=True,
            stakeholder__in=stakeholders_consenting(PURPOSE_ATTENDEE_LIST),
        )
        .select_related("stakeholder")
        .order_by("stakeholder__last_name", "stakeholder__first_name", "pk")
    )
    return [
        ListedAttendee(
            name=f"{r.stakeholder.first_name} {r.stakeholder.last_name}".strip(),
            organisation=r.organisation_name,
        )
        for r in rows
    ]


def registration_by_token(*, token):
    """The registration a signed link names, with meeting, stakeholder and breakout. Raises
    Registration.DoesNotExist."""
    return Registration.objects.select_related("meeting", "stakeholder", "breakout").get(
        token=token
    )


def registration_previous_attended(*, meeting: Meeting, stakeholder):
    """The stakeholder's registration at the series' previous meeting, if they attended it."""
    if meeting.series_id is None or stakeholder is None:
        return None
    previous = (
        Meeting.objects.filter(series_id=meeting.series_id, start__lt=meeting.start)
        .exclude(status__in=[MeetingStatus.DRAFT, MeetingStatus.CANCELLED])
        .order_by("-start", "-id")
        .values_list("pk", flat=True)
        .first()
    )
    if previous is None:
        return None
    return (
        Registration.objects.filter(
            meeting_id=previous, stakeholder=stakeholder, attended_at__isnull=False
        )
        .select_related("area")
        .first()
    )


def registrations_of_stakeholder(*, stakeholder) -> tuple[list, list]:
    """One person's registrations for their account page: (upcoming, past), upcoming soonest
    first and past latest first. Cancelled upcoming ones are left out; past ones show whether
    the person came."""
    if stakeholder is None:
        return [], []
    now = timezone.now()
    rows = list(
        Registration.objects.filter(stakeholder=stakeholder)
        .exclude(meeting__status=MeetingStatus.DRAFT)
        .select_related("meeting", "breakout")
        .order_by("meeting__start", "id")
    )
    upcoming = [
        r for r in rows if r.meeting.end >= now and r.status != RegistrationStatus.CANCELLED
    ]
    past = [r for r in reversed(rows) if r.meeting.end < now]
    return upcoming, past


def meetings_to_register_again(*, stakeholder, registered_meeting_ids: set[int]) -> list:
    """Upcoming published meetings this person may join in one click: not registered yet, and
    they came to the series' previous meeting (what registration_repeat accepts)."""
    if stakeholder is None:
        return []
    now = timezone.now()
    meetings = Meeting.objects.filter(
        status=MeetingStatus.PUBLISHED, start__gt=now, series__isnull=False
    ).order_by("start", "id")
    return [
        meeting
        for meeting in meetings.exclude(pk__in=registered_meeting_ids)[:5]
        if registration_previous_attended(meeting=meeting, stakeholder=stakeholder) is not None
    ]


def sessions_outside_meeting(*, meeting: Meeting) -> list[Session]:
    """Sessions of the agenda that start before the meeting starts or end after it ends (as
    after the meeting is moved), in agenda order."""
    return list(
        meeting.sessions.filter(Q(start__lt=meeting.start) | Q(end__gt=meeting.end)).order_by(
            "start", "order", "id"
        )
    )
