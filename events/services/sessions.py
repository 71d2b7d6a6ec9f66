"""Sessions and facilitators (staff): the agenda, who runs each session, discussion questions, and
placing registrants in breakouts."""

import datetime
import logging

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from engage.enums import AuditAction, Role
from engage.roles import user_roles
from engage.services import audit_log
from events import notices
from events.enums import MeetingStatus, RegistrationStatus, SessionKind
from events.models import DiscussionQuestion, Meeting, Registration, Session
from events.services.actors import actor_id
from events.services.meeting_places import breakout_taken

logger = logging.getLogger(__name__)


SESSION_FIELDS = (
    "kind",
    "title",
    "description",
    "start",
    "end",
    "room",
    "online_room",
    "capacity",
    "order",
)
# A change to these tells the people in the session (events.notices.session_change_record).
SESSION_NOTICE_FIELDS = ("start", "end", "room", "online_room")


def _check_facilitators(facilitators) -> None:
    for user in facilitators:
        if Role.FACILITATOR not in user_roles(user):
            raise ValidationError(
                {"facilitators": _("Facilitators must have the facilitator role.")}
            )


def _check_session(session: Session, *, times_changed: bool = True) -> None:
    if session.end <= session.start:
        raise ValidationError({"end": _("The session must end after it starts.")})
    # The calendar entry registrants hold is the meeting's own start and end; a session outside
    # them would need that entry moved, which only meeting_update does (SEQUENCE + 1, an update to
    # everyone registered). So the meeting's times are changed first, then the session's.
    if times_changed and (
        session.start < session.meeting.start or session.end > session.meeting.end
    ):
        raise ValidationError(
            {
                "start": _(
                    "The session must lie within the meeting's times. To run past them, change "
                    "the meeting's start or end first: registrants then get a calendar update."
                )
            }
        )


@transaction.atomic
def session_create(*, meeting_id: int, data: dict, facilitators, actor) -> Session:
    """Add a plenary or breakout session to a meeting's agenda.

    Side effects: one Session row and its facilitators, each told (session_facilitators_set).
    Raises ValidationError for impossible times (ending before it starts, or outside the meeting's
    start and end) or a facilitator without the facilitator role.
    """
    meeting = Meeting.objects.get(pk=meeting_id)
    session = Session(meeting=meeting, **{f: data[f] for f in SESSION_FIELDS if f in data})
    _check_session(session)
    session.save()
    session_facilitators_set(session_id=session.pk, facilitators=facilitators, actor=actor)
    logger.info("session created", extra={"session_id": session.pk, "actor_id": actor_id(actor)})
    return session


@transaction.atomic
def session_update(*, session_id: int, data: dict, facilitators, actor) -> Session:
    """Change a session. The row is locked so the capacity check cannot race a booking.

    Raises ValidationError when a breakout's capacity would fall below the people already in it,
    or for new times outside the meeting's. Side effects: facilitators added or removed are told
    (session_facilitators_set); a change of time, room or online room is recorded
    (events.notices.session_change_record) and a task after commit tells the people it
    affects: for a published
    meeting a breakout's confirmed registrants placed in it, everyone confirmed for a plenary;
    for a draft or published one the session's facilitators. The meeting's calendar entry is not
    touched: it holds only the meeting's own times and place, which a session cannot move.
    """
    session = (
        Session.objects.select_for_update(of=("self",)).select_related("meeting").get(pk=session_id)
    )
    before = {field: getattr(session, field) for field in SESSION_NOTICE_FIELDS}
    capacity = data.get("capacity", session.capacity)
    if capacity is not None:
        taken = breakout_taken(session)
        if capacity < taken:
            raise ValidationError(
                {
                    "capacity": _(
                        "The capacity cannot be %(capacity)s: %(taken)s people are already in this "
                        "breakout. Move some to another breakout first."
                    )
                    % {"capacity": capacity, "taken": taken}
                }
            )
    for field in SESSION_FIELDS:
        if field in data:
            setattr(session, field, data[field])
    changed = [f for f in SESSION_NOTICE_FIELDS if getattr(session, f) != before[f]]
    _check_session(session, times_changed=bool({"start", "end"} & set(changed)))
    session.save()
    now = timezone.now()
    added, _removed = session_facilitators_set(
        session_id=session.pk, facilitators=facilitators, actor=actor, at=now
    )
    logger.info("session updated", extra={"session_id": session.pk, "actor_id": actor_id(actor)})
    # Facilitators of a draft hear too: they prepare the session before it is published.
    if changed and session.meeting.status in (MeetingStatus.DRAFT, MeetingStatus.PUBLISHED):
        notices.session_change_record(
            session=session, fields=changed, changed_at=now, skip_facilitator_ids=added
        )
    return session


@transaction.atomic
def session_facilitators_set(
    *, session_id: int, facilitators, actor, at: datetime.datetime | None = None
) -> tuple[list[int], list[int]]:
    """Make `facilitators` (users with the facilitator role) the ones who run the session.

    Side effects: the session's facilitators; each person added is emailed that they facilitate
    it (with the meeting's calendar entry) and each removed that they no longer do, through
    events.notices, unless the meeting is cancelled, completed or over. The emails are keyed
    per session, user and `at`, so a call repeated with the same `at` queues nothing twice.
    Raises ValidationError for a user without the facilitator role. Returns (added, removed)
    user ids.
    """
    _check_facilitators(facilitators)
    # Locked, so two edits at once cannot both see the same people as newly added.
    session = Session.objects.select_for_update().get(pk=session_id)
    before = set(session.facilitators.values_list("pk", flat=True))
    after = {user.pk for user in facilitators}
    session.facilitators.set(facilitators)
    added, removed = sorted(after - before), sorted(before - after)
    if added or removed:
        at = at or timezone.now()
        for user_id in added:
            notices.session_facilitator_added_notify(session_id=session_id, user_id=user_id, at=at)
        for user_id in removed:
            notices.session_facilitator_removed_notify(
                session_id=session_id, user_id=user_id, at=at
            )
        logger.info(
            "session facilitators changed",
            extra={
                "session_id": session_id,
                "added": added,
                "removed": removed,
                "actor_id": actor_id(actor),
            },
        )
    return added, removed


@transaction.atomic
def session_delete(*, session_id: int, actor) -> None:
    """Remove a session. Refused (ValidationError) while anyone is placed in it."""
    session = Session.objects.select_for_update().get(pk=session_id)
    if breakout_taken(session):
        raise ValidationError(_("People are placed in this session: move them first."))
    session.delete()
    logger.info("session deleted", extra={"session_id": session_id, "actor_id": actor_id(actor)})


def discussion_question_create(
    *, session_id: int, text: str, publish_at=None, order: int = 0, actor
) -> DiscussionQuestion:
    """Add a discussion question to a session, public from `publish_at` (None: with the agenda)."""
    text = text.strip()
    if not text:
        raise ValidationError({"text": _("Write the question.")})
    return DiscussionQuestion.objects.create(
        session_id=session_id, text=text, publish_at=publish_at, order=order
    )


def discussion_question_delete(*, question_id: int, actor) -> None:
    """Remove a discussion question."""
    DiscussionQuestion.objects.filter(pk=question_id).delete()


@transaction.atomic
def registration_move(*, registration_id: int, breakout_id: int | None, actor) -> Registration:
    """Place a registrant in another breakout (or none), within that breakout's capacity.

    The target session is locked, so two moves cannot both take its last place. Side effects:
    updates the registration and writes an AuditLog row. Raises ValidationError for a breakout of
    another meeting, a plenary, a cancelled registration or a full breakout.
    """
    registration = Registration.objects.select_for_update().get(pk=registration_id)
    if registration.status not in (RegistrationStatus.CONFIRMED, RegistrationStatus.OFFERED):
        raise ValidationError(_("Only people with a place can be moved between breakouts."))
    breakout = None
    if breakout_id is not None:
        breakout = Session.objects.select_for_update().get(pk=breakout_id)
        if breakout.meeting_id != registration.meeting_id or breakout.kind != SessionKind.BREAKOUT:
            raise ValidationError(_("Choose a breakout of this meeting."))
        if breakout.capacity is not None and (
            breakout_taken(breakout, exclude_registration_id=registration.pk) >= breakout.capacity
        ):
            raise ValidationError(
                _("%(title)s is full (%(capacity)s places).")
                % {"title": breakout.title, "capacity": breakout.capacity}
            )
    registration.breakout = breakout
    registration.save(update_fields=["breakout"])
    audit_log(
        actor=actor,
        action=AuditAction.EDIT,
        obj=registration,
        detail={"breakout_id": breakout_id},
    )
    return registration


@transaction.atomic
def meeting_agenda_shift(*, meeting_id: int, minutes: int, actor) -> list[Session]:
    """Move every session of a meeting by `minutes` (after the meeting itself moved), all or none.

    The meeting row is locked, then its sessions, so an edit of one session cannot interleave.
    Raises ValidationError, changing nothing, when a session would then fall outside the meeting's
    times, or for a cancelled meeting. Side effects: each session's start and end; for a draft or
    published meeting, each moved session's notice, recorded through
    events.notices.session_change_record and sent after commit (its facilitators, and for a
    published meeting the registrants it concerns), as a session edit sends it. No calendar
    SEQUENCE changes: a session's times are in no calendar file (the registrants' entry is the
    meeting's own, already updated by the meeting's change). Returns the
    moved sessions.
    """
    meeting = Meeting.objects.select_for_update(of=("self",)).get(pk=meeting_id)
    if meeting.status == MeetingStatus.CANCELLED:
        raise ValidationError(_("A cancelled meeting cannot be changed."))
    if not minutes:
        return []
    delta = datetime.timedelta(minutes=minutes)
    sessions = list(
        Session.objects.select_for_update().filter(meeting=meeting).order_by("start", "order", "id")
    )
    outside = []
    for session in sessions:
        session.start += delta
        session.end += delta
        if session.start < meeting.start or session.end > meeting.end:
            outside.append(session.title)
    if outside:
        raise ValidationError(
            _(
                "Moving the agenda by %(minutes)s minutes would put these sessions outside the "
                "meeting's times: %(sessions)s. Change the meeting's end first, or edit the "
                "sessions one by one."
            )
            % {"minutes": minutes, "sessions": "; ".join(outside)}
        )
    Session.objects.bulk_update(sessions, ["start", "end"])
    now = timezone.now()
    if meeting.status in (MeetingStatus.DRAFT, MeetingStatus.PUBLISHED):
        for session in sessions:
            session.meeting = meeting
            notices.session_change_record(session=session, fields=["start", "end"], changed_at=now)
    logger.info(
        "agenda shifted",
        extra={"meeting_id": meeting_id, "minutes": minutes, "actor_id": actor_id(actor)},
    )
    return sessions
