"""A meeting's change and cancellation notices, fanned out off the request.

The staff request records the change (`meeting_change_record`, inside the transaction that moves
or cancels the meeting under its lock): one MeetingChange row at the new calendar SEQUENCE, older
changes of the meeting marked superseded, and the fan-out task queued on commit. The request
renders nothing and writes no email rows, so it takes the same time for 20 registrants as for
2,000, and the meeting row is locked only for the change itself.

The task (`meeting_change_fan_out`) writes one email row per registrant and facilitator through
the bulk path the campaigns use (engage.mail.services.emails_queue_bulk), each with that person's
own calendar part, keyed (meeting, SEQUENCE, recipient), in chunks that each commit and start
sending on their own. Exactly once, newest wins:
- A repeated or redelivered task inserts nothing twice: the dedupe keys already have rows, and
  only rows still `queued` are ever sent.
- Each chunk is inserted under a lock on its change row, checked to be still the latest; a newer
  change's request marks it superseded under that same lock, so once the newer change commits no
  row of the older one is written. The newer change's task first withdraws the older rows still
  queued (`meeting_notices_supersede`), so nobody not yet sent the older update gets it after the
  newer, including rows a sender has claimed and not yet handed over. A row being handed to the
  ESP at that moment still goes, and is recorded sent (the ESP's answer wins over the
  withdrawal); it carries a lower SEQUENCE, which calendar clients ignore once they hold the
  newer one (RFC 5546, 2.1.5).

A session's change of time or room goes the same way (`session_change_record` in the request,
the same task and sweep), keyed (session, moment of the change, recipient). It has no calendar
part and raises no SEQUENCE, so nothing supersedes it: each change is told once.
"""

import datetime as dt
import logging

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from engage.enums import EmailStatus
from engage.mail.services import BulkRecipient, emails_queue_bulk
from engage.models import OutboundEmail
from engage.normalise import normalise_email
from events import ical
from events.enums import MeetingChangeKind, MeetingStatus, SessionKind
from events.models import Meeting, MeetingChange, Session
from events.notices.context import (
    facilitator_calendar,
    facilitator_session,
    facilitator_session_context,
    meeting_context,
    meeting_url,
    session_when_text,
)
from events.notices.facilitators import confirmed_registrations, meeting_facilitators

logger = logging.getLogger(__name__)

# Rows per insert, each under the change row's lock (a newer change waits for at most one).
FAN_OUT_CHUNK = 500

# The dedupe-key prefixes of a meeting's change and cancellation notices; the calendar SEQUENCE
# follows the meeting id in the change keys, so an older change's rows can be told apart.
_CHANGE_PREFIXES = ("meeting-changed", "meeting-facilitator-changed")

_TEMPLATES = {
    MeetingChangeKind.CHANGED: ("events/meeting_changed", "events/meeting_changed_facilitator"),
    MeetingChangeKind.CANCELLED: (
        "events/meeting_cancelled",
        "events/meeting_cancelled_facilitator",
    ),
}


def meeting_change_record(
    *,
    meeting: Meeting,
    kind: str,
    changes: dict | None = None,
    tell_registrants: bool,
    tell_facilitators: bool,
) -> MeetingChange:
    """Record that `meeting` changed (or was cancelled) at its current ical_sequence and queue the
    fan-out of its notices after commit. Call it in the transaction that changed the meeting, with
    the meeting row locked and its sequence already raised.

    `changes` maps a field label to its new value (text). Side effects: one MeetingChange row;
    older unsuperseded changes of the meeting are marked superseded (waiting for the fan-out
    chunk being inserted for them, if any); `events.meeting_change_fan_out` queued on commit.
    """
    now = timezone.now()
    MeetingChange.objects.filter(
        meeting=meeting,
        session__isnull=True,
        superseded_at__isnull=True,
        sequence__lt=meeting.ical_sequence,
    ).update(superseded_at=now)
    change = MeetingChange.objects.create(
        meeting=meeting,
        sequence=meeting.ical_sequence,
        kind=kind,
        changes={str(k): str(v) for k, v in (changes or {}).items()},
        tell_registrants=tell_registrants,
        tell_facilitators=tell_facilitators,
        created_at=now,
    )
    _fan_out_on_commit(change)
    logger.info(
        "meeting change recorded",
        extra={"meeting_id": meeting.pk, "sequence": change.sequence, "kind": kind},
    )
    return change


def _fan_out_on_commit(change: MeetingChange) -> None:
    # Import inside: events.tasks imports this module (the task <-> service pair).
    from events.tasks import meeting_change_fan_out_task

    # robust: a broker that is down must not fail the committed change; the beat's sweep
    # (meeting_changes_fan_out_due) finds the change not yet fanned out.
    transaction.on_commit(lambda: meeting_change_fan_out_task.delay(change.pk), robust=True)


def session_change_record(
    *,
    session: Session,
    fields: list[str],
    changed_at: dt.datetime,
    skip_facilitator_ids=(),
) -> MeetingChange:
    """Record that `session`'s time, room or online room changed and queue the fan-out of its
    notices after commit (see `meeting_change_fan_out`). Call it in the transaction that changed
    the session. `fields` are the changed ones among start, end, room and online_room;
    `skip_facilitator_ids` are facilitators just added (their assignment notice has the new
    details). Side effects: one MeetingChange row (kind session_changed, at the meeting's
    current SEQUENCE, which it leaves as it is); `events.meeting_change_fan_out` queued on commit.
    """
    changes = {}
    if {"start", "end"} & set(fields):
        changes[_("Time")] = session_when_text(session)
    if "room" in fields:
        changes[_("Room")] = session.room or _("to be confirmed")
    if "online_room" in fields:
        changes[_("Online room")] = session.online_room or _("none")
    change = MeetingChange.objects.create(
        meeting_id=session.meeting_id,
        session=session,
        sequence=session.meeting.ical_sequence,
        kind=MeetingChangeKind.SESSION_CHANGED,
        changes={str(k): str(v) for k, v in changes.items()},
        # Registrants hear of a published meeting's sessions only; facilitators of a draft too.
        tell_registrants=session.meeting.status == MeetingStatus.PUBLISHED,
        tell_facilitators=True,
        skip_user_ids=sorted(set(skip_facilitator_ids)),
        created_at=changed_at,
    )
    _fan_out_on_commit(change)
    logger.info("session change recorded", extra={"session_id": session.pk, "change_id": change.pk})
    return change


def meeting_notices_supersede(*, meeting_id: int, sequence: int) -> int:
    """Withdraw the meeting's change notices of a SEQUENCE below `sequence` that have not left.

    A second change (or a cancellation) made before the first change's emails went must not let
    anyone get the older update after the newer one: their rows still `queued`, or claimed by a
    sender but not yet handed over, become `suppressed`. Senders claim only queued rows, and look
    at a claimed calendar row once more just before its ESP call (engage.mail.esp), so a
    sender that claimed 500 rows does not go on sending the older update for a minute. A row
    whose ESP call is under way at this moment still goes, and is recorded sent when the call
    returns (engage.mail.recording: the ESP's answer wins); it carries the lower SEQUENCE, which calendars ignore once they hold the newer one. Called by
    the newer change's fan-out before it queues its own notices. Returns how many rows were
    withdrawn.
    """
    owed = (EmailStatus.QUEUED, EmailStatus.SENDING)
    stale = OutboundEmail.objects.none()
    for prefix in _CHANGE_PREFIXES:
        stale = stale | OutboundEmail.objects.filter(
            status__in=owed, dedupe_key__startswith=f"{prefix}:{meeting_id}:"
        ).exclude(dedupe_key__startswith=f"{prefix}:{meeting_id}:{sequence}:")
    withdrawn = [
        pk
        for pk, key in stale.values_list("pk", "dedupe_key")
        # Only a lower SEQUENCE is withdrawn: a late older run must not withdraw a newer change.
        if int(key.split(":")[2]) < sequence
    ]
    count = OutboundEmail.objects.filter(pk__in=withdrawn, status__in=owed).update(
        status=EmailStatus.SUPPRESSED,
        error=f"superseded by calendar sequence {sequence}",
        updated_at=timezone.now(),
    )
    if count:
        logger.info(
            "meeting change notices superseded",
            extra={"meeting_id": meeting_id, "sequence": sequence, "emails": count},
        )
    return count


def _keys(change: MeetingChange) -> tuple[str, str]:
    """Dedupe-key prefixes of the change's registrant and facilitator notices."""
    meeting_id = change.meeting_id
    if change.kind == MeetingChangeKind.CANCELLED:
        # A meeting is cancelled once: no SEQUENCE needed to tell its notices apart.
        return f"meeting-cancelled:{meeting_id}", f"meeting-facilitator-cancelled:{meeting_id}"
    return (
        f"meeting-changed:{meeting_id}:{change.sequence}",
        f"meeting-facilitator-changed:{meeting_id}:{change.sequence}",
    )


def _registrant_recipients(meeting: Meeting, method: str, key: str):
    for registration in confirmed_registrations(meeting):
        stakeholder = registration.stakeholder
        yield BulkRecipient(
            to_email=stakeholder.email,
            stakeholder_id=stakeholder.pk,
            values={"first_name": stakeholder.first_name},
            dedupe_key=f"{key}:{registration.pk}",
            # The meeting as this task read it: the one SEQUENCE the change is about.
            calendar=ical.registrant_calendar(
                meeting=meeting,
                attendee_email=stakeholder.email,
                attendee_name=stakeholder.full_name,
                method=method,
                url=meeting_url(meeting),
            ),
        )


def _facilitator_recipients(meeting: Meeting, method: str, key: str, registered: set[str]):
    """One per facilitator of the meeting's sessions. One who gets the registrant email at the
    same address gets theirs without the calendar part: that email's part has the same UID and
    SEQUENCE, and a second copy would only overwrite the first (and its link) in their calendar.
    They still get the email, which names the sessions they run."""
    for user, sessions in meeting_facilitators(meeting):
        if not user.email:
            logger.info("facilitator without email", extra={"user_id": user.pk})
            continue
        attach = normalise_email(user.email) not in registered
        yield BulkRecipient(
            to_email=user.email,
            stakeholder_id=None,
            values={
                "first_name": user.first_name,
                "sessions": [facilitator_session(session) for session in sessions],
                "calendar_attached": attach,
            },
            dedupe_key=f"{key}:{user.pk}",
            calendar=facilitator_calendar(meeting, user, method=method) if attach else "",
        )


def _insert_while_latest(change_id: int, *, template, context, recipients, method) -> bool:
    """Queue `recipients` in chunks, each under the change row's lock and only while the change
    is still the latest. False when a newer change superseded it part-way."""
    for start in range(0, len(recipients), FAN_OUT_CHUNK):
        with transaction.atomic():
            gate = MeetingChange.objects.select_for_update().get(pk=change_id)
            if gate.superseded_at is not None:
                return False
            emails_queue_bulk(
                template=template,
                context=context,
                recipients=recipients[start : start + FAN_OUT_CHUNK],
                purpose_slug=None,
                calendar_method=method,
            )
    return True


def meeting_change_fan_out(*, change_id: int) -> int:
    """Queue the notices of one recorded meeting change: an update listing what changed (or the
    cancellation), with each person's copy of the meeting's calendar entry (REQUEST at the raised
    SEQUENCE, or CANCEL), to every confirmed registrant when the change says so, and to every
    facilitator of the meeting's sessions unless the meeting is over.

    Safe to repeat and to run beside a redelivered copy of itself (see the module's docstring).
    Does nothing for a change already fanned out or superseded. Side effects: OutboundEmail rows
    keyed "meeting-changed:<meeting>:<sequence>:<registration>" and
    "meeting-facilitator-changed:<meeting>:<sequence>:<user>" (cancellations:
    "meeting-cancelled:<meeting>:<registration>", "meeting-facilitator-cancelled:<meeting>:<user>"),
    batch send tasks on each chunk's commit, older queued notices withdrawn, and
    MeetingChange.fanned_out_at set. A session change (see `session_change_record`) tells the
    registrants it affects and the session's facilitators, keyed
    "session-changed:<session>:<changed_at>:<registration>" and
    "session-facilitator-changed:<session>:<changed_at>:<user>", without a calendar part.
    Returns how many people were addressed (0 if none).
    """
    change = MeetingChange.objects.select_related("meeting", "session").get(pk=change_id)
    if change.superseded_at is not None or change.fanned_out_at is not None:
        return 0
    if change.kind == MeetingChangeKind.SESSION_CHANGED:
        return _session_change_fan_out(change)
    meeting = change.meeting
    if meeting.ical_sequence != change.sequence:
        return 0  # a newer change has committed; its own fan-out tells everyone
    meeting_notices_supersede(meeting_id=meeting.pk, sequence=change.sequence)
    cancelled = change.kind == MeetingChangeKind.CANCELLED
    method = ical.METHOD_CANCEL if cancelled else ical.METHOD_REQUEST
    registrant_template, facilitator_template = _TEMPLATES[change.kind]
    registrant_key, facilitator_key = _keys(change)
    context = {**meeting_context(meeting), "meeting_url": meeting_url(meeting)}
    if not cancelled:
        context["changes"] = change.changes
    sends = []
    registered: set[str] = set()
    if change.tell_registrants:
        recipients = list(_registrant_recipients(meeting, method, registrant_key))
        registered = {normalise_email(r.to_email) for r in recipients}
        sends.append((registrant_template, recipients))
    if change.tell_facilitators and meeting.end > timezone.now():
        sends.append(
            (
                facilitator_template,
                list(_facilitator_recipients(meeting, method, facilitator_key, registered)),
            )
        )
    count = 0
    for template, recipients in sends:
        if not _insert_while_latest(
            change.pk, template=template, context=context, recipients=recipients, method=method
        ):
            logger.info(
                "meeting change superseded during its fan-out",
                extra={"meeting_id": meeting.pk, "sequence": change.sequence},
            )
            return count
        count += len(recipients)
    MeetingChange.objects.filter(pk=change.pk).update(fanned_out_at=timezone.now())
    logger.info(
        "meeting change fanned out",
        extra={"meeting_id": meeting.pk, "sequence": change.sequence, "emails": count},
    )
    return count


def _session_change_recipients(change: MeetingChange) -> list[tuple[str, dict, list]]:
    """(template, shared context, recipients) of a session change: the confirmed registrants it
    affects (placed in the breakout, or everyone for a plenary) and its facilitators."""
    session, meeting = change.session, change.meeting
    stamp = f"{change.created_at.timestamp():.6f}"
    sends = []
    if change.tell_registrants:
        registrations = confirmed_registrations(meeting)
        if session.kind == SessionKind.BREAKOUT:
            registrations = registrations.filter(breakout=session)
        recipients = [
            BulkRecipient(
                to_email=registration.stakeholder.email,
                stakeholder_id=registration.stakeholder_id,
                values={"first_name": registration.stakeholder.first_name},
                dedupe_key=f"session-changed:{session.pk}:{stamp}:{registration.pk}",
            )
            for registration in registrations
        ]
        context = {
            **meeting_context(meeting),
            "meeting_url": meeting_url(meeting),
            "session_title": session.title,
            "changes": change.changes,
        }
        sends.append(("events/session_changed", context, recipients))
    if change.tell_facilitators:
        recipients = []
        for user in session.facilitators.exclude(pk__in=change.skip_user_ids).order_by("pk"):
            if not user.email:
                logger.info("facilitator without email", extra={"user_id": user.pk})
                continue
            recipients.append(
                BulkRecipient(
                    to_email=user.email,
                    stakeholder_id=None,
                    values={"first_name": user.first_name},
                    dedupe_key=f"session-facilitator-changed:{session.pk}:{stamp}:{user.pk}",
                )
            )
        context = {**facilitator_session_context(session), "changes": change.changes}
        sends.append(("events/session_changed_facilitator", context, recipients))
    return sends


def _session_change_fan_out(change: MeetingChange) -> int:
    count = 0
    for template, context, recipients in _session_change_recipients(change):
        _insert_while_latest(
            change.pk, template=template, context=context, recipients=recipients, method=""
        )
        count += len(recipients)
    MeetingChange.objects.filter(pk=change.pk).update(fanned_out_at=timezone.now())
    logger.info(
        "session change fanned out",
        extra={"session_id": change.session_id, "change_id": change.pk, "emails": count},
    )
    return count


def meeting_changes_fan_out_due() -> int:
    """Fan out every recorded change whose task was lost (a broker down at commit), oldest first;
    beat runs it every minute. Returns how many people were addressed."""
    pending = MeetingChange.objects.filter(
        superseded_at__isnull=True,
        fanned_out_at__isnull=True,
        created_at__lte=timezone.now() - dt.timedelta(minutes=1),
    ).order_by("pk")
    return sum(
        meeting_change_fan_out(change_id=pk) for pk in list(pending.values_list("pk", flat=True))
    )
