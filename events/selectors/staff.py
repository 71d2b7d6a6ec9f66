"""Reads for meeting management by staff: lists, the meeting page, registrations, breakouts,
panel questions, check-in."""

import datetime as dt

from django.db.models import Count, Prefetch, Q
from django.utils import timezone

from events.enums import MeetingStatus, PanelQuestionStatus, RegistrationStatus, SessionKind
from events.models import DiscussionQuestion, Meeting, PanelQuestion, Registration, Session


def meetings_for_staff(*, status: str = "", series_id: int | None = None):
    """Every meeting, newest first, with its places taken and waiting-list length."""
    qs = (
        Meeting.objects.select_related("series")
        .annotate(
            confirmed_count=Count(
                "registrations", filter=Q(registrations__status=RegistrationStatus.CONFIRMED)
            ),
            waitlist_count=Count(
                "registrations", filter=Q(registrations__status=RegistrationStatus.WAITLISTED)
            ),
            attended_count=Count(
                "registrations", filter=Q(registrations__attended_at__isnull=False)
            ),
        )
        .order_by("-start", "-id")
    )
    if status:
        qs = qs.filter(status=status)
    if series_id:
        qs = qs.filter(series_id=series_id)
    return qs


def series_last_meeting(*, series) -> Meeting | None:
    """The latest meeting of a series that was not cancelled: the model for the next one."""
    return (
        Meeting.objects.filter(series=series)
        .exclude(status=MeetingStatus.CANCELLED)
        .order_by("-start", "-id")
        .first()
    )


def meeting_for_staff(*, pk: int) -> Meeting:
    """One meeting with its agenda, facilitators, questions, documents and reservations loaded."""
    return (
        Meeting.objects.select_related("series")
        .prefetch_related(
            Prefetch(
                "sessions",
                queryset=Session.objects.prefetch_related(
                    "facilitators",
                    Prefetch(
                        "questions", queryset=DiscussionQuestion.objects.order_by("order", "id")
                    ),
                ),
            ),
            "documents",
            "area_reservations__area",
        )
        .get(pk=pk)
    )


def registrations_for_staff(*, meeting: Meeting, status: str = "", q: str = ""):
    """A meeting's registrations with the person, area and breakout loaded; searchable by name/email."""
    qs = (
        Registration.objects.filter(meeting=meeting)
        .select_related("stakeholder", "stakeholder__area", "area", "breakout")
        .order_by(
            "status", "waitlist_position", "stakeholder__last_name", "stakeholder__first_name", "id"
        )
    )
    if status:
        qs = qs.filter(status=status)
    for word in (q or "").split()[:5]:
        qs = qs.filter(
            Q(stakeholder__first_name__icontains=word)
            | Q(stakeholder__last_name__icontains=word)
            | Q(stakeholder__email_normalised__icontains=word.lower())
            | Q(organisation_name__icontains=word)
        )
    return qs


def breakouts_for_meeting(*, meeting: Meeting) -> list:
    """The meeting's breakouts, each with `taken` (places confirmed or offered in it)."""
    return list(
        Session.objects.filter(meeting=meeting, kind=SessionKind.BREAKOUT)
        .annotate(
            taken=Count(
                "registrations",
                filter=Q(
                    registrations__status__in=[
                        RegistrationStatus.CONFIRMED,
                        RegistrationStatus.OFFERED,
                    ]
                ),
            )
        )
        .order_by("start", "order", "id")
    )


def panel_questions_for_staff(*, meeting: Meeting, status: str = ""):
    """Every panel question of a meeting for moderation, grouped, oldest first."""
    qs = PanelQuestion.objects.filter(meeting=meeting).order_by("group", "submitted_at", "id")
    if status:
        qs = qs.filter(status=status)
    return qs


def panel_questions_published(meeting: Meeting):
    """Approved and answered panel questions, once the meeting is over (empty before then).

    For the public meeting record: grouped, oldest first. Who asked is never part of it.
    """
    if meeting.end > timezone.now():
        return PanelQuestion.objects.none()
    return PanelQuestion.objects.filter(
        meeting=meeting,
        status__in=[PanelQuestionStatus.APPROVED, PanelQuestionStatus.ANSWERED],
    ).order_by("group", "submitted_at", "id")


def user_can_check_in(*, user, meeting: Meeting) -> bool:
    """The engagement team may check anyone in; a facilitator only at a meeting where they facilitate."""
    if not user.has_perm("events.checkin_meeting"):
        return False
    if user.has_perm("events.change_registration"):
        return True
    return Session.objects.filter(meeting=meeting, facilitators=user).exists()


def checkin_list(*, meeting: Meeting, q: str = ""):
    """Confirmed registrants for the door list, by last name; searchable by name, email, organisation."""
    return (
        registrations_for_staff(meeting=meeting, q=q)
        .filter(status=RegistrationStatus.CONFIRMED)
        .order_by("stakeholder__last_name", "stakeholder__first_name", "id")
    )


def meetings_for_checkin(*, user):
    """Meetings not long over where `user` may check people in, soonest first."""
    since = timezone.now() - dt.timedelta(days=2)
    qs = Meeting.objects.filter(end__gte=since).exclude(status="cancelled").select_related("series")
    if not user.has_perm("events.change_registration"):
        qs = qs.filter(sessions__facilitators=user).distinct()
    return qs.order_by("start", "id")
