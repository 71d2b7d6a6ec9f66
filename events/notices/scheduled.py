"""Scheduled sends to registrants, run by beat: reminders, pre-reading and joining instructions.

Each is idempotent through a marker on the business row, set under a lock in the transaction that
queues the email (events.notices.markers), with a dedupe key on the email as a second guard.
Reminders keep a list of the days sent rather than one timestamp, so they lock and mark by hand.
"""

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from engage.mail.services import email_queue
from events import ical
from events.enums import MeetingFormat, MeetingStatus, RegistrationStatus
from events.models import Document, Meeting, Registration
from events.notices.context import registrant_context, registration_calendar
from events.notices.facilitators import confirmed_registrations
from events.notices.markers import marker_send

logger = logging.getLogger(__name__)

# Joining instructions go out this long before an online or hybrid meeting starts.
JOINING_INSTRUCTIONS_LEAD = dt.timedelta(hours=24)


def registration_locked(registration_id: int) -> Registration | None:
    """The registration row locked, with meeting and stakeholder loaded (no lock on those)."""
    return (
        Registration.objects.select_for_update(of=("self",))
        .select_related("meeting", "stakeholder")
        .filter(pk=registration_id)
        .first()
    )


# --- Reminders ---------------------------------------------------------------------------------


def _reminders_due(registration: Registration, now: dt.datetime) -> tuple[list[int], int | None]:
    """(days to mark as done, the one reminder to send or None) for this registration now."""
    meeting = registration.meeting
    due, send = [], None
    for days in sorted({int(d) for d in meeting.reminder_days or []}, reverse=True):
        if days in registration.reminders_sent:
            continue
        moment = meeting.start - dt.timedelta(days=days)
        if moment > now:
            continue
        due.append(days)
        # Someone who registered after this reminder's moment has just had their confirmation.
        if registration.created_at < moment:
            send = days
    return due, send


def reminders_rearm(*, meeting_id: int, now: dt.datetime | None = None) -> int:
    """After a meeting moves, un-mark each sent reminder whose moment is now ahead again.

    A meeting moved a week later after its 7-day reminder went out gets that reminder again, a
    week before the new date. A reminder whose moment has passed under the new date stays marked:
    the change notice has just told people the new time. Call it in the transaction that moves
    the meeting; only registrations with a reminder sent are read, so a meeting whose reminders
    have not started costs one query. Returns how many registrations were changed.
    """
    now = now or timezone.now()
    meeting = Meeting.objects.get(pk=meeting_id)
    changed = []
    for registration in (
        Registration.objects.select_for_update()
        .filter(meeting_id=meeting_id, status=RegistrationStatus.CONFIRMED)
        .exclude(reminders_sent=[])
    ):
        kept = [
            days
            for days in registration.reminders_sent
            if meeting.start - dt.timedelta(days=int(days)) <= now
        ]
        if kept != registration.reminders_sent:
            registration.reminders_sent = kept
            changed.append(registration)
    Registration.objects.bulk_update(changed, ["reminders_sent"])
    return len(changed)


def registration_reminder_send(
    *, registration_id: int, now: dt.datetime | None = None
) -> int | None:
    """Send the reminder now due for one registration, at most once per reminder day.

    When two reminders are due at once (the job was down), only the nearer one goes out and both
    are marked. Side effects: appends to Registration.reminders_sent under a row lock and queues
    one email (dedupe key "reminder:<registration>:<days>:<start>"). Returns the days sent.
    """
    now = now or timezone.now()
    with transaction.atomic():
        registration = registration_locked(registration_id)
        if (
            registration is None
            or registration.status != RegistrationStatus.CONFIRMED
            or registration.meeting.status != MeetingStatus.PUBLISHED
            or registration.meeting.start <= now
        ):
            return None
        due, send = _reminders_due(registration, now)
        if not due:
            return None
        registration.reminders_sent = sorted({*registration.reminders_sent, *due}, reverse=True)
        registration.save(update_fields=["reminders_sent"])
        if send is None:
            return None
        # Due reminders are walked largest first, so the last one sendable is the nearest.
        email_queue(
            to_email=registration.stakeholder.email,
            template="events/reminder",
            context={**registrant_context(registration), "days": send},
            stakeholder=registration.stakeholder,
            # The start is in the key: after a move, reminders_rearm lets a reminder go again.
            dedupe_key=f"reminder:{registration.pk}:{send}:{registration.meeting.start:%Y%m%dT%H%M}",
            calendar=registration_calendar(registration, method=ical.METHOD_REQUEST),
            calendar_method=ical.METHOD_REQUEST,
        )
    logger.info("reminder queued", extra={"registration_id": registration_id, "days": send})
    return send


def reminders_send_due(*, now: dt.datetime | None = None) -> int:
    """Send every reminder that is due (beat runs this every few minutes). Returns how many went."""
    now = now or timezone.now()
    longest = max(
        [
            int(d)
            for days in Meeting.objects.filter(
                status=MeetingStatus.PUBLISHED, start__gt=now
            ).values_list("reminder_days", flat=True)
            for d in (days or [])
        ],
        default=0,
    )
    if not longest:
        return 0
    candidates = Registration.objects.filter(
        status=RegistrationStatus.CONFIRMED,
        meeting__status=MeetingStatus.PUBLISHED,
        meeting__start__gt=now,
        meeting__start__lte=now + dt.timedelta(days=longest),
    ).values_list("pk", flat=True)
    sent = 0
    for registration_id in list(candidates.order_by("pk")):
        if registration_reminder_send(registration_id=registration_id, now=now) is not None:
            sent += 1
    return sent


# --- Pre-reading -------------------------------------------------------------------------------


def meeting_prereading_notify(*, meeting_id: int, now: dt.datetime | None = None) -> int:
    """Tell confirmed registrants about pre-reading published since the last notice.

    Documents due and not yet notified are locked and marked (Document.notified_at) in the same
    transaction as the emails are queued, so two runs cannot both announce them. One email per
    registrant lists every newly published document. Returns how many emails were queued.
    """
    now = now or timezone.now()

    def send(documents: list[Document]) -> int:
        meeting = Meeting.objects.get(pk=meeting_id)
        if meeting.status != MeetingStatus.PUBLISHED or meeting.end <= now:
            return 0
        documents.sort(key=lambda d: (d.publish_at, d.pk))
        items = [
            {
                "title": d.title,
                "description": d.description,
                "url": d.url or (f"{settings.SITE_URL}{d.file.url}" if d.file else ""),
            }
            for d in documents
        ]
        count = 0
        for registration in confirmed_registrations(meeting):
            email_queue(
                to_email=registration.stakeholder.email,
                template="events/prereading",
                context={**registrant_context(registration), "documents": items},
                stakeholder=registration.stakeholder,
                dedupe_key=f"prereading:{registration.pk}:{documents[0].pk}",
            )
            count += 1
        return count

    count = marker_send(
        rows=Document.objects.filter(meeting_id=meeting_id, publish_at__lte=now),
        marker="notified_at",
        now=now,
        send=send,
    )
    logger.info("pre-reading notice", extra={"meeting_id": meeting_id, "emails": count})
    return count


def prereading_notify_due(*, now: dt.datetime | None = None) -> int:
    """Announce pre-reading that has reached its publish time, meeting by meeting."""
    now = now or timezone.now()
    meeting_ids = (
        Document.objects.filter(notified_at__isnull=True, publish_at__lte=now)
        .values_list("meeting_id", flat=True)
        .distinct()
    )
    return sum(
        meeting_prereading_notify(meeting_id=meeting_id, now=now)
        for meeting_id in sorted(set(meeting_ids))
    )


# --- Joining instructions ----------------------------------------------------------------------


def _joining_due(registration: Registration, now: dt.datetime) -> bool:
    meeting = registration.meeting
    return (
        registration.status == RegistrationStatus.CONFIRMED
        and meeting.status == MeetingStatus.PUBLISHED
        and meeting.format != MeetingFormat.IN_PERSON
        and bool(meeting.online_url)
        and meeting.end > now
        and meeting.start - JOINING_INSTRUCTIONS_LEAD <= now
    )


def registration_joining_instructions_send(
    *, registration_id: int, now: dt.datetime | None = None
) -> bool:
    """Send the join link for an online or hybrid meeting, once per registration.

    Side effects: sets Registration.joining_instructions_sent_at under a row lock and queues one
    email with the REQUEST calendar (dedupe key "joining:<registration>"). Returns whether it sent.
    """
    now = now or timezone.now()

    def send(registrations: list[Registration]) -> bool:
        (registration,) = registrations
        email_queue(
            to_email=registration.stakeholder.email,
            template="events/joining",
            context=registrant_context(registration),
            stakeholder=registration.stakeholder,
            dedupe_key=f"joining:{registration.pk}",
            calendar=registration_calendar(registration, method=ical.METHOD_REQUEST),
            calendar_method=ical.METHOD_REQUEST,
        )
        return True

    sent = bool(
        marker_send(
            rows=Registration.objects.filter(pk=registration_id),
            marker="joining_instructions_sent_at",
            now=now,
            related=("meeting", "stakeholder"),
            due=lambda registration: _joining_due(registration, now),
            send=send,
        )
    )
    if sent:
        logger.info("joining instructions queued", extra={"registration_id": registration_id})
    return sent


def joining_instructions_send_due(*, now: dt.datetime | None = None) -> int:
    """Send joining instructions to everyone due them. Returns how many went."""
    now = now or timezone.now()
    candidates = Registration.objects.filter(
        status=RegistrationStatus.CONFIRMED,
        joining_instructions_sent_at__isnull=True,
        meeting__status=MeetingStatus.PUBLISHED,
        meeting__format__in=[MeetingFormat.ONLINE, MeetingFormat.HYBRID],
        meeting__start__lte=now + JOINING_INSTRUCTIONS_LEAD,
        meeting__end__gt=now,
    ).exclude(meeting__online_url="")
    return sum(
        registration_joining_instructions_send(registration_id=pk, now=now)
        for pk in list(candidates.order_by("pk").values_list("pk", flat=True))
    )
