"""Emails that tell registrants a meeting changed or was cancelled.

Called by the meeting services inside their transaction; each email is a persisted OutboundEmail row
queued through the one mail path, with a dedupe key so a repeated call sends nothing twice.
"""

import datetime as _dt
import logging
from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from engage.enums import EmailStatus
from engage.mail.services import email_queue
from engage.models import OutboundEmail
from events import ical
from events.enums import MeetingFormat, MeetingStatus, RegistrationStatus
from events.models import Document, Meeting, Registration


def _recipients(meeting: Meeting):
    return (
        Registration.objects.filter(meeting=meeting, status=RegistrationStatus.CONFIRMED)
        .select_related("stakeholder", "meeting")
        .order_by("id")
    )


def _meeting_context(meeting: Meeting) -> dict:
    return {
        "meeting_id": meeting.pk,
        "meeting_title": meeting.title,
        "meeting_start": meeting.start.isoformat(),
        "meeting_end": meeting.end.isoformat(),
        "venue": meeting.venue,
        "site_url": getattr(settings, "SITE_URL", ""),
    }


# The dedupe-key prefixes of a meeting's change and cancellation notices; the calendar SEQUENCE
# follows the meeting id in the change keys, so an older change's rows can be told apart.
_CHANGE_PREFIXES = ("meeting-changed", "meeting-facilitator-changed")


def meeting_notices_supersede(*, meeting_id: int, sequence: int) -> int:
    """Withdraw the meeting's change notices of a SEQUENCE below `sequence` that have not left.

    A second change (or a cancellation) made before the first change's emails went must not let
    anyone get the older update after the newer one: their rows still `queued` become
    `suppressed` (the senders claim only queued rows). Rows already claimed or sent stay as they
    are. Call it before queueing the newer notices. Returns how many rows were withdrawn.
    """
    stale = OutboundEmail.objects.none()
    for prefix in _CHANGE_PREFIXES:
        stale = stale | OutboundEmail.objects.filter(
            status=EmailStatus.QUEUED, dedupe_key__startswith=f"{prefix}:{meeting_id}:"
        ).exclude(dedupe_key__startswith=f"{prefix}:{meeting_id}:{sequence}:")
    withdrawn = [
        pk
        for pk, key in stale.values_list("pk", "dedupe_key")
        # Only a lower SEQUENCE is withdrawn: a late older run must not withdraw a newer change.
        if int(key.split(":")[2]) < sequence
    ]
    count = OutboundEmail.objects.filter(pk__in=withdrawn, status=EmailStatus.QUEUED).update(
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


def _registrants_notify(
    meeting: Meeting, *, template: str, dedupe_prefix: str, method: str, extra: dict | None = None
) -> int:
    """One email with the calendar entry for `method` to each confirmed registrant."""
    count = 0
    for registration in _recipients(meeting):
        email_queue(
            to_email=registration.stakeholder.email,
            template=template,
            context={
                **_meeting_context(meeting),
                "first_name": registration.stakeholder.first_name,
                **(extra or {}),
            },
            stakeholder=registration.stakeholder,
            dedupe_key=f"{dedupe_prefix}:{registration.pk}",
            calendar=registration_calendar(registration, method=method),
            calendar_method=method,
        )
        count += 1
    return count


def meeting_cancelled_notify(meeting_id: int, *, registrants: bool = True) -> int:
    """Queue a cancellation email to every confirmed registrant (when `registrants`: the meeting
    was published) and to every facilitator of its sessions, draft or published.

    Each carries a CANCEL for the recipient's copy, except a facilitator's when a registrant email
    goes to the same address (see _meeting_facilitators_notify). Nothing for facilitators of a
    meeting already over. Side effects: one OutboundEmail per person, keyed
    "meeting-cancelled:<meeting>:<registration>" or "meeting-facilitator-cancelled:<meeting>:<user>".
    Returns how many people were addressed.
    """
    meeting = Meeting.objects.get(pk=meeting_id)
    count = 0
    # An update still waiting to go would move the entry this CANCEL removes.
    meeting_notices_supersede(meeting_id=meeting.pk, sequence=meeting.ical_sequence)
    # The caller has raised ical_sequence, so calendars drop the entry they hold.
    if registrants:
        count = _registrants_notify(
            meeting,
            template="events/meeting_cancelled",
            dedupe_prefix=f"meeting-cancelled:{meeting.pk}",
            method=ical.METHOD_CANCEL,
        )
    count += _meeting_facilitators_notify(
        meeting,
        template="events/meeting_cancelled_facilitator",
        key_prefix=f"meeting-facilitator-cancelled:{meeting.pk}",
        method=ical.METHOD_CANCEL,
        registrants_told=registrants,
    )
    return count


def meeting_changed_notify(meeting_id: int, changes: dict) -> int:
    """Queue an update email listing what changed, with the meeting's REQUEST at its raised
    SEQUENCE, to every confirmed registrant of a published meeting and to every facilitator of its
    sessions, draft or published.

    `changes` maps a field label to its new value, as text. A facilitator who runs several sessions
    gets one email listing them all; one who gets the registrant email at the same address gets
    theirs without the calendar part. Nothing for facilitators of a meeting already over. Side
    effects: one OutboundEmail per person, deduplicated per calendar sequence
    ("meeting-changed:<meeting>:<sequence>:<registration>",
    "meeting-facilitator-changed:<meeting>:<sequence>:<user>"). Returns how many were addressed.
    """
    meeting = Meeting.objects.get(pk=meeting_id)
    changes = {str(k): str(v) for k, v in changes.items()}
    published = meeting.status == MeetingStatus.PUBLISHED
    count = 0
    meeting_notices_supersede(meeting_id=meeting.pk, sequence=meeting.ical_sequence)
    # Same UID, the raised SEQUENCE: calendars move the entry they already hold.
    if published:
        count = _registrants_notify(
            meeting,
            template="events/meeting_changed",
            dedupe_prefix=f"meeting-changed:{meeting.pk}:{meeting.ical_sequence}",
            method=ical.METHOD_REQUEST,
            extra={"changes": changes},
        )
    if meeting.status in (MeetingStatus.DRAFT, MeetingStatus.PUBLISHED):
        count += _meeting_facilitators_notify(
            meeting,
            template="events/meeting_changed_facilitator",
            key_prefix=f"meeting-facilitator-changed:{meeting.pk}:{meeting.ical_sequence}",
            method=ical.METHOD_REQUEST,
            registrants_told=published,
            extra={"changes": changes},
        )
    return count


def _session_when_text(session) -> str:
    start = timezone.localtime(session.start)
    end = timezone.localtime(session.end)
    if end.date() == start.date():
        return f"{date_format(start, 'l j F Y, H:i T')} to {date_format(end, 'H:i T')}"
    return f"{date_format(start, 'l j F Y, H:i T')} to {date_format(end, 'l j F Y, H:i T')}"


def session_changed_notify(
    *,
    session_id: int,
    fields: list[str],
    changed_at: _dt.datetime,
    skip_facilitator_ids: Iterable[int] = (),
) -> int:
    """Queue a notice of a session's new time, room or online room to the people it affects.

    For a published meeting, a breakout's notice goes to the confirmed registrants placed in it, a
    plenary's to everyone confirmed. Every facilitator of the session with an email address gets
    their own notice (events/session_changed_facilitator), whatever the meeting's status, except
    those in `skip_facilitator_ids` (just added: their assignment notice has the new details).
    `fields` are the changed ones among start, end, room and online_room. No calendar part: the
    registrants' calendar entry is the meeting's (its own start, end and place), which a session
    change leaves as it was (session_update keeps sessions within the meeting's times), so a
    REQUEST would carry nothing new. Side effects: one OutboundEmail per person, keyed
    "session-changed:<session>:<changed_at>:<registration>" or
    "session-facilitator-changed:<session>:<changed_at>:<user>". Returns how many were addressed.
    """
    from events.enums import SessionKind
    from events.models import Session

    session = Session.objects.select_related("meeting").get(pk=session_id)
    recipients = _recipients(session.meeting)
    if session.meeting.status != MeetingStatus.PUBLISHED:
        recipients = recipients.none()
    elif session.kind == SessionKind.BREAKOUT:
        recipients = recipients.filter(breakout=session)
    changes = {}
    if {"start", "end"} & set(fields):
        changes[str(_("Time"))] = _session_when_text(session)
    if "room" in fields:
        changes[str(_("Room"))] = session.room or str(_("to be confirmed"))
    if "online_room" in fields:
        changes[str(_("Online room"))] = session.online_room or str(_("none"))
    stamp = f"{changed_at.timestamp():.6f}"
    count = 0
    for registration in recipients:
        email_queue(
            to_email=registration.stakeholder.email,
            template="events/session_changed",
            context={
                **registrant_context(registration),
                "session_title": session.title,
                "changes": changes,
            },
            stakeholder=registration.stakeholder,
            dedupe_key=f"session-changed:{session.pk}:{stamp}:{registration.pk}",
        )
        count += 1
    for user in session.facilitators.exclude(pk__in=list(skip_facilitator_ids)).order_by("pk"):
        email = _facilitator_email(
            session,
            user,
            template="events/session_changed_facilitator",
            key=f"session-facilitator-changed:{session.pk}:{stamp}:{user.pk}",
            changes=changes,
        )
        count += email is not None
    logger.info("session change notice", extra={"session_id": session_id, "emails": count})
    return count


# --- Facilitators ------------------------------------------------------------------------------
# Operational mail to staff and volunteers, sent as account mail is: no stakeholder and no consent
# purpose, so no preferences footer and no List-Unsubscribe (a facilitator cannot opt out of
# hearing that their session moved). The suppression list still applies at send time.


def _facilitator_context(session, user) -> dict:
    meeting = session.meeting
    return {
        "first_name": user.first_name,
        "session_title": session.title,
        "meeting_title": meeting.title,
        "session_when": _session_when_text(session),
        "room": session.room,
        "online_room": session.online_room,
        "venue": meeting.venue,
        "facilitator_url": _facilitator_session_url(session),
    }


def _facilitator_session_url(session) -> str:
    # The anchor is the session's card on the facilitator page (events/facilitate/home.html).
    return f"{settings.SITE_URL}{reverse('events:facilitator_home')}#session-{session.pk}"


def _facilitator_calendar(session, user, *, method: str) -> str:
    # The meeting's own entry (same UID as the registrants'), with the facilitator as attendee;
    # it links to their facilitator page, since a draft meeting has no public page yet.
    return ical.registrant_calendar(
        meeting=session.meeting,
        attendee_email=user.email,
        attendee_name=user.get_full_name(),
        method=method,
        url=f"{settings.SITE_URL}{reverse('events:facilitator_home')}",
    )


def _facilitator_email(
    session, user, *, template: str, key: str, calendar_method: str = "", **extra
):
    if not user.email:
        logger.info("facilitator without email", extra={"user_id": user.pk, "template": template})
        return None
    return email_queue(
        to_email=user.email,
        template=template,
        context={**_facilitator_context(session, user), **extra},
        dedupe_key=key,
        calendar=(
            _facilitator_calendar(session, user, method=calendar_method) if calendar_method else ""
        ),
        calendar_method=calendar_method,
    )


def _facilitator_session(session_id: int, user_id: int, now: _dt.datetime):
    """(session, user), or None when the meeting is cancelled, completed or over: nobody needs
    to hear who facilitates a session that will not run."""
    from django.contrib.auth import get_user_model

    from events.models import Session

    session = Session.objects.select_related("meeting").get(pk=session_id)
    meeting = session.meeting
    if meeting.status not in (MeetingStatus.DRAFT, MeetingStatus.PUBLISHED) or meeting.end <= now:
        return None
    user = get_user_model().objects.filter(pk=user_id).first()
    return None if user is None else (session, user)


def session_facilitator_added_notify(
    *, session_id: int, user_id: int, at: _dt.datetime, now: _dt.datetime | None = None
):
    """Tell a newly assigned facilitator which session they run, when and where, with a link to
    their facilitator page and the meeting's calendar entry (REQUEST).

    Side effects: one OutboundEmail (events/session_facilitator_added), keyed
    "session-facilitator-added:<session>:<at>:<user>". Nothing for a user without an email address
    or a meeting that is cancelled, completed or over. Returns the email or None.
    """
    found = _facilitator_session(session_id, user_id, now or timezone.now())
    if found is None:
        return None
    session, user = found
    return _facilitator_email(
        session,
        user,
        template="events/session_facilitator_added",
        key=f"session-facilitator-added:{session.pk}:{at.timestamp():.6f}:{user.pk}",
        calendar_method=ical.METHOD_REQUEST,
    )


def session_facilitator_removed_notify(
    *, session_id: int, user_id: int, at: _dt.datetime, now: _dt.datetime | None = None
):
    """Tell someone they no longer facilitate a session.

    The meeting's calendar entry is withdrawn (CANCEL) only when they facilitate no other session
    of the meeting and hold no confirmed place at it under the same address: the entry is shared.
    Side effects: one OutboundEmail (events/session_facilitator_removed), keyed
    "session-facilitator-removed:<session>:<at>:<user>". Nothing for a user without an email
    address or a meeting that is cancelled, completed or over. Returns the email or None.
    """
    from engage.normalise import normalise_email

    found = _facilitator_session(session_id, user_id, now or timezone.now())
    if found is None:
        return None
    session, user = found
    meeting = session.meeting
    still_there = (
        meeting.sessions.filter(facilitators=user).exists()
        or Registration.objects.filter(
            meeting=meeting,
            status=RegistrationStatus.CONFIRMED,
            stakeholder__email_normalised=normalise_email(user.email),
        ).exists()
    )
    return _facilitator_email(
        session,
        user,
        template="events/session_facilitator_removed",
        key=f"session-facilitator-removed:{session.pk}:{at.timestamp():.6f}:{user.pk}",
        calendar_method="" if still_there else ical.METHOD_CANCEL,
    )


def _meeting_facilitators(meeting: Meeting) -> list[tuple]:
    """(user, the sessions of `meeting` they facilitate, by start) for each distinct facilitator."""
    found = {}
    for session in meeting.sessions.prefetch_related("facilitators").order_by("start", "pk"):
        for user in session.facilitators.all():
            found.setdefault(user.pk, (user, []))[1].append(session)
    return [found[pk] for pk in sorted(found)]


def _meeting_facilitators_notify(
    meeting: Meeting,
    *,
    template: str,
    key_prefix: str,
    method: str,
    registrants_told: bool,
    extra: dict | None = None,
) -> int:
    """One email to each facilitator of the meeting's sessions, with their copy of the meeting's
    calendar entry for `method`.

    When `registrants_told`, a facilitator with a confirmed place under the same address has just
    been sent the registrant email, whose calendar part has the same UID and SEQUENCE: theirs goes
    without one, since a second copy would only overwrite the first (and its link) in their
    calendar. They still get the email, which names the sessions they run.
    """
    from engage.normalise import normalise_email

    if meeting.end <= timezone.now():
        return 0
    registered = (
        set(_recipients(meeting).values_list("stakeholder__email_normalised", flat=True))
        if registrants_told
        else set()
    )
    count = 0
    for user, sessions in _meeting_facilitators(meeting):
        if not user.email:
            logger.info(
                "facilitator without email", extra={"user_id": user.pk, "template": template}
            )
            continue
        attach = normalise_email(user.email) not in registered
        email_queue(
            to_email=user.email,
            template=template,
            context={
                "first_name": user.first_name,
                "meeting_title": meeting.title,
                "meeting_when": meeting_when_text(meeting),
                "venue": meeting.venue,
                "sessions": [
                    {
                        "title": session.title,
                        "when": _session_when_text(session),
                        "room": session.room,
                        "online_room": session.online_room,
                        "url": _facilitator_session_url(session),
                    }
                    for session in sessions
                ],
                "calendar_attached": attach,
                **(extra or {}),
            },
            dedupe_key=f"{key_prefix}:{user.pk}",
            calendar=_facilitator_calendar(sessions[0], user, method=method) if attach else "",
            calendar_method=method if attach else "",
        )
        count += 1
    logger.info(
        "meeting facilitator notice",
        extra={"meeting_id": meeting.pk, "template": template, "emails": count},
    )
    return count


# --- Registration emails (public side) ----------------------------------------------------------
# registration_confirmed_notify is the hook the calendar work extends (it attaches the invite);
# every one is keyed so a retried task queues nothing twice.


def _registration_context(registration: Registration) -> dict:
    from django.urls import reverse
    from django.utils import timezone

    meeting = registration.meeting
    site = getattr(settings, "SITE_URL", "")
    return {
        **_meeting_context(meeting),
        "first_name": registration.stakeholder.first_name,
        "meeting_when": timezone.localtime(meeting.start),
        "meeting_ends": timezone.localtime(meeting.end),
        "meeting_format": meeting.get_format_display(),
        "venue_address": meeting.venue_address,
        "access_information": meeting.access_information,
        "online_url": meeting.online_url,
        "meeting_url": site + meeting.get_absolute_url(),
        "status": registration.status,
        "breakout_title": registration.breakout.title if registration.breakout_id else "",
        "waitlist_position": registration.waitlist_position,
        "offer_expires_at": (
            timezone.localtime(registration.offer_expires_at)
            if registration.offer_expires_at
            else None
        ),
        "registration_url": site
        + reverse("events:registration_detail", kwargs={"token": registration.token}),
        "cancel_url": site
        + reverse("events:registration_cancel", kwargs={"token": registration.token}),
        "accept_url": site
        + reverse("events:registration_accept", kwargs={"token": registration.token}),
    }


def _registration(registration_id: int) -> Registration:
    return Registration.objects.select_related("meeting", "stakeholder", "breakout").get(
        pk=registration_id
    )


def _registration_email(
    registration: Registration, *, template: str, key: str, calendar_method: str = "", **extra
):
    # A calendar_method attaches this registrant's copy of the meeting (events.ical).
    return email_queue(
        to_email=registration.stakeholder.email,
        template=template,
        context={**_registration_context(registration), **extra},
        stakeholder=registration.stakeholder,
        dedupe_key=key,
        calendar=(
            registration_calendar(registration, method=calendar_method) if calendar_method else ""
        ),
        calendar_method=calendar_method,
    )


def registration_confirmed_notify(registration_id: int):
    """Queue the confirmation email for a confirmed registration (template
    events/registration_confirmed). Side effect: one OutboundEmail, keyed
    "registration-confirmed:<registration>:<token>". Returns it, or None when not confirmed."""
    registration = _registration(registration_id)
    if registration.status != RegistrationStatus.CONFIRMED:
        return None
    return _registration_email(
        registration,
        template="events/registration_confirmed",
        key=f"registration-confirmed:{registration.pk}:{registration.token}",
        calendar_method="REQUEST",
    )


def waitlist_joined_notify(registration_id: int):
    """Queue "you are on the waiting list" (events/waitlist_joined). Keyed per registration link."""
    registration = _registration(registration_id)
    if registration.status != RegistrationStatus.WAITLISTED:
        return None
    return _registration_email(
        registration,
        template="events/waitlist_joined",
        key=f"waitlist-joined:{registration.pk}:{registration.token}",
    )


def waitlist_offer_notify(registration_id: int):
    """Queue the offer of a place with its accept link and expiry (events/waitlist_offer).
    Keyed per offer, so a later offer to the same person is sent too."""
    registration = _registration(registration_id)
    if registration.status != RegistrationStatus.OFFERED or registration.offered_at is None:
        return None
    return _registration_email(
        registration,
        template="events/waitlist_offer",
        key=f"waitlist-offer:{registration.pk}:{registration.offered_at.timestamp():.0f}",
    )


def registration_cancelled_notify(registration_id: int, *, calendar: bool = True):
    """Queue "your registration is cancelled" (events/registration_cancelled), with a CANCEL for
    the calendar copy unless `calendar` is false."""
    registration = _registration(registration_id)
    if registration.status != RegistrationStatus.CANCELLED:
        return None
    return _registration_email(
        registration,
        template="events/registration_cancelled",
        key=f"registration-cancelled:{registration.pk}:{registration.token}",
        calendar_method="CANCEL" if calendar else "",
    )


def waitlist_left_notify(registration_id: int):
    """The cancellation email for someone who left the waiting list or declined an offer: no
    calendar part, as they never held a place and so never got a REQUEST. Same key as a
    cancellation, so one cancellation email per registration link at most."""
    return registration_cancelled_notify(registration_id, calendar=False)


def waitlist_offer_expired_notify(registration_id: int):
    """Queue "your offer has expired" (events/waitlist_offer_expired), no calendar part.

    Called by registrations_expire_offers inside the transaction that moves the offer from
    offered to cancelled under the meeting lock: that transition is the marker, so only the run
    that made it sends this. Keyed per offer ("waitlist-offer-expired:<registration>:<offered>")
    as a second guard. Returns the email, or None when the registration is not an expired offer
    or the meeting is no longer published and ahead.
    """
    registration = _registration(registration_id)
    meeting = registration.meeting
    if registration.status != RegistrationStatus.CANCELLED or registration.offered_at is None:
        return None
    # "Passed to the next person" is untrue once the meeting is cancelled or under way.
    if meeting.status != MeetingStatus.PUBLISHED or meeting.start <= timezone.now():
        return None
    return _registration_email(
        registration,
        template="events/waitlist_offer_expired",
        key=f"waitlist-offer-expired:{registration.pk}:{registration.offered_at.timestamp():.0f}",
    )


# What Registration.notice_pending may hold, and the email each one queues.
REGISTRATION_NOTICES = {
    "confirmed": registration_confirmed_notify,
    "waitlisted": waitlist_joined_notify,
    "offer": waitlist_offer_notify,
    "cancelled": registration_cancelled_notify,  # a place was held: with a calendar CANCEL
    "waitlist_left": waitlist_left_notify,
}


def registration_notices_send(*, batch_size: int = 200) -> int:
    """Queue the email each registration is owed (Registration.notice_pending) and clear the mark.

    Rows are taken under their lock with SKIP LOCKED, so two senders share the work and a
    registration being changed is left for the next pass; the mark is cleared in the transaction
    that queues the email, whose dedupe key guards a rerun. A notice whose email cannot be built
    is logged and left marked for the next run, without holding up the others. Before it stops,
    the sender drops the wake key (events.services.NOTICES_WAKE_KEY) and looks once more, so a
    registration committed while it ran is not left waiting for the beat. Returns how many
    notices it handled.
    """
    from django.core.cache import cache

    from events.services import NOTICES_WAKE_KEY

    handled = 0
    failed: set[int] = set()
    looked_again = False
    while True:
        with transaction.atomic():
            rows = list(
                Registration.objects.select_for_update(skip_locked=True)
                .exclude(notice_pending="")
                .exclude(pk__in=failed)
                .order_by("pk")
                .values_list("pk", "notice_pending")[:batch_size]
            )
            done = []
            for registration_id, kind in rows:
                try:
                    with transaction.atomic():
                        REGISTRATION_NOTICES[kind](registration_id)
                except Exception:
                    logger.exception(
                        "registration notice failed",
                        extra={"registration_id": registration_id, "notice": kind},
                    )
                    failed.add(registration_id)
                else:
                    done.append(registration_id)
            Registration.objects.filter(pk__in=done).update(notice_pending="")
        handled += len(done)
        if rows:
            continue
        if looked_again:
            return handled
        cache.delete(NOTICES_WAKE_KEY)
        looked_again = True


# --- Calendar files and scheduled sends (invitations and notifications) ------------------------
# Every registrant-facing calendar comes from events.ical; the meeting's stored UID and SEQUENCE
# make each email an update of the same calendar entry. Scheduled sends are idempotent through a
# marker on the business row, read and written under select_for_update, with a dedupe key on the
# email as a second guard.

logger = logging.getLogger(__name__)

# Joining instructions go out this long before an online or hybrid meeting starts.
JOINING_INSTRUCTIONS_LEAD = _dt.timedelta(hours=24)
# The survey goes this long after the meeting ends, and not at all once this window has passed.
SURVEY_DELAY = _dt.timedelta(hours=2)
SURVEY_WINDOW = _dt.timedelta(days=14)


def meeting_url(meeting: Meeting) -> str:
    return f"{settings.SITE_URL}{meeting.get_absolute_url()}"


def registration_calendar_url(registration: Registration) -> str:
    path = reverse("events:registration_calendar", kwargs={"token": registration.token})
    return f"{settings.SITE_URL}{path}"


def meeting_when_text(meeting: Meeting) -> str:
    """The meeting's time as words, e.g. Tuesday 7 July 2026, 18:00 BST to 20:00 BST (London time, as the pages say)."""
    start = timezone.localtime(meeting.start)
    end = timezone.localtime(meeting.end)
    text = date_format(start, "l j F Y, H:i T")
    if end.date() == start.date():
        return f"{text} to {date_format(end, 'H:i T')}"
    return f"{text} to {date_format(end, 'l j F Y, H:i T')}"


def registration_calendar(registration: Registration, *, method: str) -> str:
    """The REQUEST (or CANCEL) for one registrant's copy of the meeting."""
    stakeholder = registration.stakeholder
    return ical.registrant_calendar(
        meeting=registration.meeting,
        attendee_email=stakeholder.email,
        attendee_name=stakeholder.full_name,
        method=method,
        url=meeting_url(registration.meeting),
    )


def registrant_context(registration: Registration) -> dict:
    """Plain, JSON-safe values for every registrant email about a meeting."""
    meeting = registration.meeting
    stakeholder = registration.stakeholder
    return {
        "first_name": stakeholder.first_name,
        "meeting_title": meeting.title,
        "meeting_when": meeting_when_text(meeting),
        "meeting_format": meeting.format,
        "venue": meeting.venue,
        "venue_address": meeting.venue_address,
        "access_information": meeting.access_information,
        "online_url": meeting.online_url if meeting.format != MeetingFormat.IN_PERSON else "",
        "meeting_url": meeting_url(meeting),
        "calendar_url": registration_calendar_url(registration),
    }


def _registration_locked(registration_id: int) -> Registration | None:
    """The registration row locked, with meeting and stakeholder loaded (no lock on those)."""
    return (
        Registration.objects.select_for_update(of=("self",))
        .select_related("meeting", "stakeholder")
        .filter(pk=registration_id)
        .first()
    )


# --- Reminders ---------------------------------------------------------------------------------


def _reminders_due(registration: Registration, now: _dt.datetime) -> tuple[list[int], int | None]:
    """(days to mark as done, the one reminder to send or None) for this registration now."""
    meeting = registration.meeting
    due, send = [], None
    for days in sorted({int(d) for d in meeting.reminder_days or []}, reverse=True):
        if days in registration.reminders_sent:
            continue
        moment = meeting.start - _dt.timedelta(days=days)
        if moment > now:
            continue
        due.append(days)
        # Someone who registered after this reminder's moment has just had their confirmation.
        if registration.created_at < moment:
            send = days
    return due, send


def reminders_rearm(*, meeting_id: int, now: _dt.datetime | None = None) -> int:
    """After a meeting moves, un-mark each sent reminder whose moment is now ahead again.

    A meeting moved a week later after its 7-day reminder went out gets that reminder again, a
    week before the new date. A reminder whose moment has passed under the new date stays marked:
    the change notice has just told people the new time. Call it in the transaction that moves
    the meeting. Returns how many registrations were changed.
    """
    now = now or timezone.now()
    meeting = Meeting.objects.get(pk=meeting_id)
    changed = []
    for registration in Registration.objects.select_for_update().filter(
        meeting_id=meeting_id, status=RegistrationStatus.CONFIRMED
    ):
        kept = [
            days
            for days in registration.reminders_sent
            if meeting.start - _dt.timedelta(days=int(days)) <= now
        ]
        if kept != registration.reminders_sent:
            registration.reminders_sent = kept
            changed.append(registration)
    Registration.objects.bulk_update(changed, ["reminders_sent"])
    return len(changed)


def registration_reminder_send(
    *, registration_id: int, now: _dt.datetime | None = None
) -> int | None:
    """Send the reminder now due for one registration, at most once per reminder day.

    When two reminders are due at once (the job was down), only the nearer one goes out and both
    are marked. Side effects: appends to Registration.reminders_sent under a row lock and queues
    one email (dedupe key "reminder:<registration>:<days>:<start>"). Returns the days sent.
    """
    now = now or timezone.now()
    with transaction.atomic():
        registration = _registration_locked(registration_id)
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


def reminders_send_due(*, now: _dt.datetime | None = None) -> int:
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
        meeting__start__lte=now + _dt.timedelta(days=longest),
    ).values_list("pk", flat=True)
    sent = 0
    for registration_id in list(candidates.order_by("pk")):
        if registration_reminder_send(registration_id=registration_id, now=now) is not None:
            sent += 1
    return sent


# --- Pre-reading -------------------------------------------------------------------------------


def meeting_prereading_notify(*, meeting_id: int, now: _dt.datetime | None = None) -> int:
    """Tell confirmed registrants about pre-reading published since the last notice.

    Documents due and not yet notified are locked and marked (Document.notified_at) in the same
    transaction as the emails are queued, so two runs cannot both announce them. One email per
    registrant lists every newly published document. Returns how many emails were queued.
    """
    now = now or timezone.now()
    with transaction.atomic():
        documents = list(
            Document.objects.select_for_update()
            .filter(meeting_id=meeting_id, notified_at__isnull=True, publish_at__lte=now)
            .order_by("publish_at", "id")
        )
        if not documents:
            return 0
        Document.objects.filter(pk__in=[d.pk for d in documents]).update(notified_at=now)
        meeting = Meeting.objects.get(pk=meeting_id)
        if meeting.status != MeetingStatus.PUBLISHED or meeting.end <= now:
            return 0
        items = [
            {
                "title": d.title,
                "description": d.description,
                "url": d.url or (f"{settings.SITE_URL}{d.file.url}" if d.file else ""),
            }
            for d in documents
        ]
        count = 0
        for registration in _recipients(meeting):
            email_queue(
                to_email=registration.stakeholder.email,
                template="events/prereading",
                context={**registrant_context(registration), "documents": items},
                stakeholder=registration.stakeholder,
                dedupe_key=f"prereading:{registration.pk}:{documents[0].pk}",
            )
            count += 1
    logger.info("pre-reading notice", extra={"meeting_id": meeting_id, "emails": count})
    return count


def prereading_notify_due(*, now: _dt.datetime | None = None) -> int:
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


def registration_joining_instructions_send(
    *, registration_id: int, now: _dt.datetime | None = None
) -> bool:
    """Send the join link for an online or hybrid meeting, once per registration.

    Side effects: sets Registration.joining_instructions_sent_at under a row lock and queues one
    email with the REQUEST calendar (dedupe key "joining:<registration>"). Returns whether it sent.
    """
    now = now or timezone.now()
    with transaction.atomic():
        registration = _registration_locked(registration_id)
        if registration is None or registration.joining_instructions_sent_at is not None:
            return False
        meeting = registration.meeting
        if (
            registration.status != RegistrationStatus.CONFIRMED
            or meeting.status != MeetingStatus.PUBLISHED
            or meeting.format == MeetingFormat.IN_PERSON
            or not meeting.online_url
            or meeting.end <= now
            or meeting.start - JOINING_INSTRUCTIONS_LEAD > now
        ):
            return False
        registration.joining_instructions_sent_at = now
        registration.save(update_fields=["joining_instructions_sent_at"])
        email_queue(
            to_email=registration.stakeholder.email,
            template="events/joining",
            context=registrant_context(registration),
            stakeholder=registration.stakeholder,
            dedupe_key=f"joining:{registration.pk}",
            calendar=registration_calendar(registration, method=ical.METHOD_REQUEST),
            calendar_method=ical.METHOD_REQUEST,
        )
    logger.info("joining instructions queued", extra={"registration_id": registration_id})
    return True


def joining_instructions_send_due(*, now: _dt.datetime | None = None) -> int:
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


# --- Post-meeting survey -----------------------------------------------------------------------


def _survey_audience(meeting_id: int):
    """Confirmed registrants who were checked in; everyone confirmed if nobody was checked in."""
    confirmed = Registration.objects.filter(
        meeting_id=meeting_id, status=RegistrationStatus.CONFIRMED
    )
    attended = confirmed.filter(attended_at__isnull=False)
    return attended if attended.exists() else confirmed


def registration_survey_send(*, registration_id: int, now: _dt.datetime | None = None) -> bool:
    """Send the post-meeting feedback request, once per registration.

    The survey itself belongs to the feedback app (a later issue): the email links to the meeting
    page's feedback section. Side effects: sets Registration.survey_sent_at under a row lock and
    queues one email (dedupe key "survey:<registration>"). Returns whether it sent.
    """
    now = now or timezone.now()
    with transaction.atomic():
        registration = _registration_locked(registration_id)
        if registration is None or registration.survey_sent_at is not None:
            return False
        meeting = registration.meeting
        if (
            registration.status != RegistrationStatus.CONFIRMED
            or meeting.status not in (MeetingStatus.PUBLISHED, MeetingStatus.COMPLETED)
            or meeting.end + SURVEY_DELAY > now
            or meeting.end + SURVEY_WINDOW < now
        ):
            return False
        registration.survey_sent_at = now
        registration.save(update_fields=["survey_sent_at"])
        email_queue(
            to_email=registration.stakeholder.email,
            template="events/survey",
            context={
                **registrant_context(registration),
                "feedback_url": f"{meeting_url(meeting)}#feedback",
            },
            stakeholder=registration.stakeholder,
            dedupe_key=f"survey:{registration.pk}",
        )
    logger.info("survey request queued", extra={"registration_id": registration_id})
    return True


def surveys_send_due(*, now: _dt.datetime | None = None) -> int:
    """Send the post-meeting survey email for meetings that ended recently. Returns how many."""
    now = now or timezone.now()
    meeting_ids = Meeting.objects.filter(
        status__in=[MeetingStatus.PUBLISHED, MeetingStatus.COMPLETED],
        end__lte=now - SURVEY_DELAY,
        end__gte=now - SURVEY_WINDOW,
    ).values_list("pk", flat=True)
    sent = 0
    for meeting_id in list(meeting_ids):
        ids = _survey_audience(meeting_id).filter(survey_sent_at__isnull=True)
        for pk in list(ids.order_by("pk").values_list("pk", flat=True)):
            sent += registration_survey_send(registration_id=pk, now=now)
    return sent
