"""Reads about meetings, sessions and registrations."""

from dataclasses import dataclass

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


# --- Public pages and registration ---------------------------------------------------------------


def meetings_public_upcoming() -> QuerySet[Meeting]:
    """Published and cancelled meetings that have not ended, soonest first (cancelled ones say so)."""
    from events.enums import MeetingStatus

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
    from events.enums import MeetingStatus

    queryset = Meeting.objects.filter(
        status__in=[MeetingStatus.PUBLISHED, MeetingStatus.COMPLETED], end__lt=timezone.now()
    )
    if series is not None:
        queryset = queryset.filter(series=series)
    return queryset.select_related("series").order_by("-start", "-id")


def meeting_public_get(*, slug: str) -> Meeting:
    """A meeting the public may see (anything but a draft), with its agenda, published questions
    and published documents prefetched. Raises Meeting.DoesNotExist."""
    from django.db.models import Prefetch, Q

    from events.enums import MeetingStatus
    from events.models import DiscussionQuestion, Document

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
    from events.models import Series

    return Series.objects.get(slug=slug)


def series_public_meetings(*, series) -> QuerySet[Meeting]:
    """The series' non-draft meetings, latest first."""
    from events.enums import MeetingStatus

    return (
        Meeting.objects.filter(series=series)
        .exclude(status=MeetingStatus.DRAFT)
        .order_by("-start", "-id")
    )


def meeting_places(*, meeting: Meeting) -> dict[str, int]:
    """Places taken (confirmed or offered), left, and people waiting, for display only."""
    from django.db.models import Count, Q

    from events.enums import RegistrationStatus
    from events.models import Registration

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
    from django.db.models import Count, Q

    from events.enums import RegistrationStatus, SessionKind

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
    from events.enums import SessionKind

    sessions = Session.objects.filter(meeting=meeting, kind=SessionKind.BREAKOUT).order_by(
        "start", "order", "id"
    )
    return [(session, None) for session in sessions.only("id", "title")]


def registration_for_stakeholder(*, meeting: Meeting, stakeholder):
    """The stakeholder's registration for the meeting (any status), or None."""
    from events.models import Registration

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
    from engage.enums import PURPOSE_ATTENDEE_LIST
    from engage.selectors import stakeholders_consenting
    from events.models import Registration

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
    from events.models import Registration

    return Registration.objects.select_related("meeting", "stakeholder", "breakout").get(
        token=token
    )


def registration_previous_attended(*, meeting: Meeting, stakeholder):
    """The stakeholder's registration at the series' previous meeting, if they attended it."""
    from events.enums import MeetingStatus
    from events.models import Registration

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
    from events.enums import RegistrationStatus
    from events.models import Registration

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
    from django.db.models import Q

    return list(
        meeting.sessions.filter(Q(start__lt=meeting.start) | Q(end__gt=meeting.end)).order_by(
            "start", "order", "id"
        )
    )


# --- Meeting management (staff) -------------------------------------------------------------------


def meetings_for_staff(*, status: str = "", series_id: int | None = None):
    """Every meeting, newest first, with its places taken and waiting-list length."""
    from django.db.models import Count, Q

    from events.enums import RegistrationStatus

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
    from events.enums import MeetingStatus as Status

    return (
        Meeting.objects.filter(series=series)
        .exclude(status=Status.CANCELLED)
        .order_by("-start", "-id")
        .first()
    )


def meeting_for_staff(*, pk: int) -> Meeting:
    """One meeting with its agenda, facilitators, questions, documents and reservations loaded."""
    from django.db.models import Prefetch

    from events.models import DiscussionQuestion

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
    from django.db.models import Q

    from events.models import Registration

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
    from django.db.models import Count, Q

    from events.enums import RegistrationStatus, SessionKind

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
    from events.models import PanelQuestion

    qs = PanelQuestion.objects.filter(meeting=meeting).order_by("group", "submitted_at", "id")
    if status:
        qs = qs.filter(status=status)
    return qs


def panel_questions_published(meeting: Meeting):
    """Approved and answered panel questions, once the meeting is over (empty before then).

    For the public meeting record: grouped, oldest first. Who asked is never part of it.
    """
    from events.enums import PanelQuestionStatus
    from events.models import PanelQuestion

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
    from events.enums import RegistrationStatus

    return (
        registrations_for_staff(meeting=meeting, q=q)
        .filter(status=RegistrationStatus.CONFIRMED)
        .order_by("stakeholder__last_name", "stakeholder__first_name", "id")
    )


def meetings_for_checkin(*, user):
    """Meetings not long over where `user` may check people in, soonest first."""
    import datetime as dt

    since = timezone.now() - dt.timedelta(days=2)
    qs = Meeting.objects.filter(end__gte=since).exclude(status="cancelled").select_related("series")
    if not user.has_perm("events.change_registration"):
        qs = qs.filter(sessions__facilitators=user).distinct()
    return qs.order_by("start", "id")


# --- End of meeting management (staff) ---------------------------------------------------------


# --- Invitation campaigns --------------------------------------------------------------------


class CampaignAudience:
    """Who a campaign would reach and who it leaves out, as lazy querysets.

    Left out: no consent for meeting invitations, a suppressed address, or already holding a
    place (or a waiting-list place) at the meeting. One person can be left out for several reasons.
    """

    def __init__(self, *, meeting, segment=None, filters=None):
        from engage.enums import PURPOSE_MEETING_INVITATIONS
        from engage.models import Stakeholder, Suppression
        from engage.selectors import segment_members, stakeholders_filter_consent
        from events.enums import RegistrationStatus
        from events.models import Registration

        self.members = segment_members(segment if segment is not None else (filters or {}))
        consenting = stakeholders_filter_consent(
            Stakeholder.objects.all(), purpose_slug=PURPOSE_MEETING_INVITATIONS, state="given"
        ).values("pk")
        suppressed = Suppression.objects.values("email_normalised")
        registered = (
            Registration.objects.filter(meeting=meeting)
            .exclude(status=RegistrationStatus.CANCELLED)
            .values("stakeholder_id")
        )
        self.no_consent = self.members.exclude(pk__in=consenting)
        self.suppressed = self.members.filter(email_normalised__in=suppressed)
        self.registered = self.members.filter(pk__in=registered)
        self.eligible = (
            self.members.filter(pk__in=consenting)
            .exclude(email_normalised__in=suppressed)
            .exclude(pk__in=registered)
        )

    def counts(self) -> dict[str, int]:
        return {
            "members": self.members.count(),
            "eligible": self.eligible.count(),
            "no_consent": self.no_consent.count(),
            "suppressed": self.suppressed.count(),
            "registered": self.registered.count(),
        }

    def left_out(self, *, limit: int = 100) -> list[tuple[object, list[str]]]:
        """Up to `limit` people left out, each with the reasons, in name order (four queries)."""
        from django.utils.translation import gettext

        people = list(
            self.members.exclude(pk__in=self.eligible.values("pk"))
            .order_by("last_name", "first_name", "pk")
            .only("pk", "first_name", "last_name", "email")[:limit]
        )
        ids = [p.pk for p in people]
        no_consent = set(self.no_consent.filter(pk__in=ids).values_list("pk", flat=True))
        suppressed = set(self.suppressed.filter(pk__in=ids).values_list("pk", flat=True))
        registered = set(self.registered.filter(pk__in=ids).values_list("pk", flat=True))
        result = []
        for person in people:
            reasons = []
            if person.pk in no_consent:
                reasons.append(gettext("No consent to meeting invitations"))
            if person.pk in suppressed:
                reasons.append(gettext("Address suppressed"))
            if person.pk in registered:
                reasons.append(gettext("Already registered"))
            result.append((person, reasons))
        return result


def campaign_audience(*, meeting, segment=None, filters=None) -> CampaignAudience:
    """The audience of a campaign for `meeting`: a saved segment, else the ad hoc filters."""
    return CampaignAudience(meeting=meeting, segment=segment, filters=filters)


def campaigns_list():
    """Campaigns, newest first, with meeting, segment and author, and their invitation count."""
    from django.db.models import Count

    from events.models import Campaign

    return (
        Campaign.objects.select_related("meeting", "segment", "created_by")
        .annotate(invitation_count=Count("invitations"))
        .order_by("-created_at", "-pk")
    )


CAMPAIGN_RECIPIENT_STATUSES = (
    "queued",
    "sending",
    "sent",
    "delivered",
    "bounced",
    "complained",
    "failed",
    "suppressed",
)


def campaign_status_counts(*, campaign) -> dict[str, int]:
    """How many of the campaign's invitations are in each email status (one query)."""
    from django.db.models import Count

    rows = (
        campaign.invitations.values("email__status")
        .annotate(n=Count("pk"))
        .values_list("email__status", "n")
    )
    counts = dict.fromkeys(CAMPAIGN_RECIPIENT_STATUSES, 0)
    for status, n in rows:
        # An invitation without its email yet is waiting to be queued.
        counts[status or "queued"] = counts.get(status or "queued", 0) + n
    return counts


def campaign_recipients(*, campaign, status: str = ""):
    """The campaign's invitations with stakeholder and email, in name order, optionally by status."""
    queryset = campaign.invitations.select_related("stakeholder", "email").order_by(
        "stakeholder__last_name", "stakeholder__first_name", "pk"
    )
    if status == "queued":
        from django.db.models import Q

        queryset = queryset.filter(Q(email__isnull=True) | Q(email__status="queued"))
    elif status:
        queryset = queryset.filter(email__status=status)
    return queryset


def invitation_stakeholder(*, token: str, meeting):
    """The live stakeholder a campaign invitation to `meeting` was for, or None for a bad token."""
    import uuid

    from events.models import Invitation

    try:
        token_uuid = uuid.UUID(str(token))
    except ValueError:
        return None
    invitation = (
        Invitation.objects.select_related("stakeholder")
        .filter(
            token=token_uuid,
            campaign__meeting=meeting,
            stakeholder__anonymised_at__isnull=True,
        )
        .first()
    )
    return invitation.stakeholder if invitation else None
