"""Reads of the meeting record (summary report and responses), for staff, the public and mail."""

import datetime as _dt

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from engage.models import Stakeholder
from events.enums import MeetingStatus, RegistrationStatus
from events.models import Meeting, Registration
from feedback.models.record import MeetingReport, Response, published_q


def meeting_record_public_get(*, slug: str) -> Meeting:
    """A meeting the public may see (anything but a draft). Raises Meeting.DoesNotExist."""
    return Meeting.objects.exclude(status=MeetingStatus.DRAFT).get(slug=slug)


def meeting_report_published(*, meeting_id: int, now: _dt.datetime | None = None):
    """The meeting's summary report if it is published now, else None."""
    return MeetingReport.objects.filter(published_q(now), meeting_id=meeting_id).first()


def responses_published(*, meeting_id: int, now: _dt.datetime | None = None) -> QuerySet:
    """The meeting's published responses, in their order."""
    return Response.objects.filter(published_q(now), meeting_id=meeting_id).order_by("order", "id")


def meeting_record_summary(*, meeting_id: int, now: _dt.datetime | None = None) -> dict:
    """What the public meeting page says about the record, in one query: the published report's
    title ("" when none) and how many responses are published."""
    now = now or timezone.now()
    report_title = MeetingReport.objects.filter(published_q(now), meeting_id=OuterRef("pk")).values(
        "title"
    )[:1]
    responses = (
        Response.objects.filter(published_q(now), meeting_id=OuterRef("pk"))
        .order_by()
        .values("meeting_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    row = (
        Meeting.objects.filter(pk=meeting_id)
        .annotate(record_title=Subquery(report_title), record_responses=Subquery(responses))
        .values("record_title", "record_responses")
        .first()
    ) or {}
    return {
        "report_title": row.get("record_title") or "",
        "responses": row.get("record_responses") or 0,
    }


def meeting_place_holders(*, meeting_id: int) -> QuerySet:
    """Registrations of the people who held a place at the meeting: confirmed, or checked in
    (someone checked in who cancelled afterwards still came). Live stakeholders with an address."""
    return (
        Registration.objects.filter(meeting_id=meeting_id)
        .filter(Q(status=RegistrationStatus.CONFIRMED) | Q(attended_at__isnull=False))
        .filter(stakeholder__anonymised_at__isnull=True)
        .exclude(stakeholder__email="")
        .select_related("stakeholder")
        .order_by("pk")
    )


def series_place_holders(*, series_id: int) -> QuerySet:
    """The stakeholders who held a place at any meeting of the series (as meeting_place_holders:
    confirmed or checked in; live, with an address), each once."""
    held = Registration.objects.filter(meeting__series_id=series_id).filter(
        Q(status=RegistrationStatus.CONFIRMED) | Q(attended_at__isnull=False)
    )
    return (
        Stakeholder.objects.filter(pk__in=held.values("stakeholder_id"), anonymised_at__isnull=True)
        .exclude(email="")
        .order_by("pk")
    )
