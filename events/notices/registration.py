"""Registration notices: the email each registration is owed, and both ends of the sender's wake.

A registration owed an email says so in its own row (Registration.notice_pending, written in the
same transaction as the change), so a notice survives a broker that is down at commit: the beat's
sweep sends it. After commit the sender is woken at most once per NOTICES_WAKE_SECONDS rather than
once per registration: in a rush, queueing a Celery message for every registrant cost more than
the rest of the registration's Python. The sender clears the key and looks again before it stops,
so nothing committed while it ran waits for the sweep. Both ends of that key live here.
"""

import logging

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from engage.mail.services import email_queue
from events import ical
from events.enums import MeetingStatus, RegistrationStatus
from events.models import Registration
from events.notices.context import registration_calendar, registration_context

logger = logging.getLogger(__name__)

NOTICES_WAKE_KEY = "events:registration-notices-wake"
NOTICES_WAKE_SECONDS = 30


def _notices_wake() -> None:
    # Import inside: events.tasks imports this module for the sender (the task <-> service pair).
    from events.tasks import registration_notices_send_task

    if cache.add(NOTICES_WAKE_KEY, 1, timeout=NOTICES_WAKE_SECONDS):
        try:
            registration_notices_send_task.delay()
        except Exception:
            cache.delete(NOTICES_WAKE_KEY)  # the next registration tries again
            raise


def registration_notices_wake_on_commit() -> None:
    """Wake the notice sender after the caller's transaction commits, at most once per
    NOTICES_WAKE_SECONDS. A broker that is down does not turn the committed change into an error
    (robust): the notice waits in its row for the beat's sweep."""
    transaction.on_commit(_notices_wake, robust=True)


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
        context={**registration_context(registration), **extra},
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
        calendar_method=ical.METHOD_REQUEST,
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
        calendar_method=ical.METHOD_CANCEL if calendar else "",
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
    the sender drops the wake key (NOTICES_WAKE_KEY) and looks once more, so a registration
    committed while it ran is not left waiting for the beat. Returns how many notices it handled.
    """
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
