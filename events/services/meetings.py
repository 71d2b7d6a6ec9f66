"""Meetings (staff): create, edit, publish, cancel and copy; area reservations; panel questions."""

import datetime
import logging

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from events import notices
from events.enums import MeetingChangeKind, MeetingFormat, MeetingStatus, PanelQuestionStatus
from events.models import AreaReservation, DiscussionQuestion, Meeting, PanelQuestion, Session
from events.services.actors import actor_id
from events.services.meeting_places import places_taken
from events.services.sessions import SESSION_FIELDS

logger = logging.getLogger(__name__)


MEETING_FIELDS = (
    "series",
    "title",
    "summary",
    "start",
    "end",
    "format",
    "venue",
    "venue_address",
    "access_information",
    "online_url",
    "capacity",
    "registration_opens",
    "registration_closes",
    "reminder_days",
    "access_needs_retention_days",
    "waitlist_offer_hours",
)
# Changes that move a registrant's calendar entry or how they get there: they raise the calendar
# SEQUENCE and registrants are told.
SIGNIFICANT_FIELDS = {
    "start": _("Starts"),
    "end": _("Ends"),
    "format": _("Format"),
    "venue": _("Venue"),
    "venue_address": _("Address"),
    "online_url": _("Online joining link"),
}


def _unique_meeting_slug(title: str, start) -> str:
    base = slugify(f"{title} {timezone.localtime(start):%Y-%m-%d}")[:100] or "meeting"
    slug, n = base, 2
    while Meeting.objects.filter(slug=slug).exists():
        slug = f"{base}-{n}"
        n += 1
    return slug


def _display_value(field: str, value) -> str:
    if value in (None, ""):
        return str(_("(none)"))
    if field in ("start", "end"):
        return date_format(timezone.localtime(value), "j F Y, H:i T")
    if field == "format":
        return str(MeetingFormat(value).label)
    return str(value)


def _check_meeting_times(meeting: Meeting) -> None:
    if meeting.end <= meeting.start:
        raise ValidationError({"end": _("The meeting must end after it starts.")})
    if (
        meeting.registration_opens
        and meeting.registration_closes
        and meeting.registration_closes <= meeting.registration_opens
    ):
        raise ValidationError({"registration_closes": _("Registration must close after it opens.")})


@transaction.atomic
def meeting_create(*, data: dict, actor) -> Meeting:
    """Create a draft meeting from `data` (keys from MEETING_FIELDS).

    Side effects: one Meeting row. Raises ValidationError for impossible times.
    """
    meeting = Meeting(status=MeetingStatus.DRAFT)
    for field in MEETING_FIELDS:
        if field in data:
            setattr(meeting, field, data[field])
    _check_meeting_times(meeting)
    meeting.slug = _unique_meeting_slug(meeting.title, meeting.start)
    meeting.save()
    logger.info("meeting created", extra={"meeting_id": meeting.pk, "actor_id": actor_id(actor)})
    return meeting


@transaction.atomic
def meeting_update(*, meeting_id: int, data: dict, actor) -> tuple[Meeting, dict]:
    """Change a meeting. Returns the meeting and {field: (old, new)} of what changed.

    The meeting row is locked, so a capacity check cannot race a registration; the lock is held
    for the change only. Raises ValidationError when the capacity would fall below the places
    already taken (confirmed or offered), for impossible times, or for a cancelled meeting. A
    change of time, place, format or joining link raises Meeting.ical_sequence and records the
    change (events.notices.meeting_change_record): after commit a task sends an update email to
    every confirmed registrant of a published meeting and to the facilitators of its sessions,
    draft or published. Nothing is rendered here, however many people are registered.
    """
    meeting = Meeting.objects.select_for_update().get(pk=meeting_id)
    if meeting.status == MeetingStatus.CANCELLED:
        raise ValidationError(_("A cancelled meeting cannot be changed."))
    if "capacity" in data and data["capacity"] is not None:
        taken = places_taken(meeting)
        if data["capacity"] < taken:
            raise ValidationError(
                {
                    "capacity": _(
                        "The capacity cannot be %(capacity)s: %(taken)s places are already taken "
                        "(confirmed or offered). Move or cancel registrations first."
                    )
                    % {"capacity": data["capacity"], "taken": taken}
                }
            )
    changes = {}
    for field in MEETING_FIELDS:
        if field in data and getattr(meeting, field) != data[field]:
            changes[field] = (getattr(meeting, field), data[field])
            setattr(meeting, field, data[field])
    if not changes:
        return meeting, {}
    _check_meeting_times(meeting)
    significant = [f for f in changes if f in SIGNIFICANT_FIELDS]
    if significant:
        meeting.ical_sequence += 1
    meeting.save()
    logger.info(
        "meeting updated",
        extra={"meeting_id": meeting.pk, "actor_id": actor_id(actor), "fields": sorted(changes)},
    )

    if "start" in changes:
        notices.reminders_rearm(meeting_id=meeting.pk)
    if significant:
        notices.meeting_change_record(
            meeting=meeting,
            kind=MeetingChangeKind.CHANGED,
            changes={
                str(SIGNIFICANT_FIELDS[f]): _display_value(f, changes[f][1])
                for f in SIGNIFICANT_FIELDS
                if f in changes
            },
            tell_registrants=meeting.status == MeetingStatus.PUBLISHED,
            tell_facilitators=meeting.status in (MeetingStatus.DRAFT, MeetingStatus.PUBLISHED),
        )
    return meeting, changes


@transaction.atomic
def meeting_publish(*, meeting_id: int, actor) -> Meeting:
    """Publish a draft meeting so it appears on the public pages and feed.

    Side effects: sets status to published. Raises ValidationError unless the meeting is a draft.
    """
    meeting = Meeting.objects.select_for_update().get(pk=meeting_id)
    if meeting.status != MeetingStatus.DRAFT:
        raise ValidationError(_("Only a draft meeting can be published."))
    meeting.status = MeetingStatus.PUBLISHED
    meeting.save(update_fields=["status", "updated_at"])
    logger.info("meeting published", extra={"meeting_id": meeting.pk, "actor_id": actor_id(actor)})
    return meeting


@transaction.atomic
def meeting_cancel(*, meeting_id: int, actor) -> Meeting:
    """Cancel a meeting (draft or published).

    Side effects: sets status to cancelled and raises ical_sequence (so calendars drop the entry);
    records the cancellation (events.notices.meeting_change_record), so that after commit a task
    sends a cancellation email to the facilitators of its sessions and, if it was published, to
    every confirmed registrant. Raises ValidationError if already cancelled or completed.
    """
    meeting = Meeting.objects.select_for_update().get(pk=meeting_id)
    if meeting.status in (MeetingStatus.CANCELLED, MeetingStatus.COMPLETED):
        raise ValidationError(
            _("This meeting is already %(status)s.")
            % {"status": meeting.get_status_display().lower()}
        )
    was_published = meeting.status == MeetingStatus.PUBLISHED
    meeting.status = MeetingStatus.CANCELLED
    meeting.ical_sequence += 1
    meeting.save(update_fields=["status", "ical_sequence", "updated_at"])
    logger.info("meeting cancelled", extra={"meeting_id": meeting.pk, "actor_id": actor_id(actor)})

    notices.meeting_change_record(
        meeting=meeting,
        kind=MeetingChangeKind.CANCELLED,
        tell_registrants=was_published,
        tell_facilitators=True,
    )
    return meeting


def _shift_wall_clock(value, delta: datetime.timedelta):
    """`value` moved by `delta` of London wall-clock time, so 18:00 stays 18:00 across a clock change."""
    if value is None:
        return None
    local = timezone.localtime(value).replace(tzinfo=None)
    return timezone.make_aware(local + delta)


@transaction.atomic
def meeting_copy(*, source_id: int, start, actor) -> Meeting:
    """A new draft meeting copied from `source_id`, moved so that it starts at `start`.

    Copies the details, capacities, reminder settings, agenda (sessions with their facilitators and
    discussion questions) and area reservations. Every date moves by the same London wall-clock
    shift, so times of day survive a clock change. Registrations, documents and panel questions are
    not copied. Side effects: creates the meeting and its rows.
    """
    source = Meeting.objects.prefetch_related(
        "sessions__facilitators", "sessions__questions", "area_reservations"
    ).get(pk=source_id)
    delta = timezone.localtime(start).replace(tzinfo=None) - timezone.localtime(
        source.start
    ).replace(tzinfo=None)
    meeting = Meeting(status=MeetingStatus.DRAFT)
    for field in MEETING_FIELDS:
        setattr(meeting, field, getattr(source, field))
    meeting.reminder_days = list(source.reminder_days)
    for field in ("start", "end", "registration_opens", "registration_closes"):
        setattr(meeting, field, _shift_wall_clock(getattr(source, field), delta))
    meeting.slug = _unique_meeting_slug(meeting.title, meeting.start)
    meeting.save()
    for session in source.sessions.all():
        copy = Session.objects.create(
            meeting=meeting,
            **{f: getattr(session, f) for f in SESSION_FIELDS if f not in ("start", "end")},
            start=_shift_wall_clock(session.start, delta),
            end=_shift_wall_clock(session.end, delta),
        )
        copy.facilitators.set(session.facilitators.all())
        DiscussionQuestion.objects.bulk_create(
            DiscussionQuestion(
                session=copy,
                text=q.text,
                order=q.order,
                answer_sources=list(q.answer_sources),
                publish_at=_shift_wall_clock(q.publish_at, delta),
            )
            for q in session.questions.all()
        )
    AreaReservation.objects.bulk_create(
        AreaReservation(
            meeting=meeting,
            area_id=r.area_id,
            places=r.places,
            release_at=_shift_wall_clock(r.release_at, delta),
        )
        for r in source.area_reservations.all()
    )
    logger.info(
        "meeting copied",
        extra={"meeting_id": meeting.pk, "source_id": source.pk, "actor_id": actor_id(actor)},
    )
    return meeting


@transaction.atomic
def area_reservation_set(
    *, meeting_id: int, area_id: int, places: int, release_at, actor
) -> AreaReservation:
    """Hold `places` for people from one area until `release_at` (creates or replaces the hold).

    Raises ValidationError when all holds together would exceed the meeting's capacity.
    """
    meeting = Meeting.objects.select_for_update().get(pk=meeting_id)
    others = (
        AreaReservation.objects.filter(meeting=meeting)
        .exclude(area_id=area_id)
        .aggregate(total=Sum("places"))["total"]
        or 0
    )
    if others + places > meeting.capacity:
        raise ValidationError(
            {
                "places": _(
                    "Reserved places would total %(total)s, more than the meeting's capacity of %(capacity)s."
                )
                % {"total": others + places, "capacity": meeting.capacity}
            }
        )
    reservation, _created = AreaReservation.objects.update_or_create(
        meeting=meeting, area_id=area_id, defaults={"places": places, "release_at": release_at}
    )
    return reservation


def area_reservation_delete(*, reservation_id: int, actor) -> None:
    """Release an area's held places to everyone now."""
    AreaReservation.objects.filter(pk=reservation_id).delete()


@transaction.atomic
def panel_question_moderate(
    *, question_id: int, status: str, group: str = "", answer: str = "", actor
) -> PanelQuestion:
    """Approve, reject or answer a panel question, and file it under a group.

    Raises ValidationError for an unknown status or "answered" without an answer. Approved and
    answered questions are published with the meeting record after the meeting.
    """
    if status not in PanelQuestionStatus.values:
        raise ValidationError(_("Choose what to do with the question."))
    answer = answer.strip()
    if status == PanelQuestionStatus.ANSWERED and not answer:
        raise ValidationError(
            {"answer": _("Write the answer before marking the question answered.")}
        )
    question = PanelQuestion.objects.select_for_update().get(pk=question_id)
    question.status = status
    question.group = group.strip()
    question.answer = answer
    question.save(update_fields=["status", "group", "answer"])
    logger.info(
        "panel question moderated",
        extra={"question_id": question.pk, "status": status, "actor_id": actor_id(actor)},
    )
    return question
