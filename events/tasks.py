"""Celery entry points for events. Thin: they take ids, load rows and call one service or hook.

events.notices queues these tasks from inside functions (the task <-> service pair), so it is
imported here at the top; events.services is imported inside each task for the same reason the
other way round (it queues the registration wake and the campaign fan-out).
"""

from celery import shared_task
from django.db import OperationalError

from events import notices

# --- Registration (public side) -----------------------------------------------------------------


@shared_task(
    name="events.registration_notices_send",
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def registration_notices_send_task() -> int:
    """Queue the email each registration is owed (confirmed, waiting list, offer, cancelled).
    Woken after a registration changes, and run by beat as a sweep."""
    return notices.registration_notices_send()


@shared_task(name="events.expire_offers", acks_late=True)
def expire_offers_task() -> int:
    """Beat job: expired waiting-list offers pass to the next person; free places are offered."""
    # Import inside: the task <-> service pair (see the module's docstring).
    from events.services import registrations_expire_offers

    return registrations_expire_offers()


@shared_task(name="events.wipe_access_requirements", acks_late=True)
def wipe_access_requirements_task() -> int:
    """Beat job: delete access requirements once each meeting's retention period is over."""
    # Import inside: the task <-> service pair (see the module's docstring).
    from events.services import registrations_wipe_access_requirements

    return registrations_wipe_access_requirements()


# --- Invitations and scheduled notifications ---------------------------------------------------
# Each beat job calls one service that walks what is due; every send inside it is guarded by a
# marker on the business row, so overlapping or repeated runs send nothing twice.


@shared_task(
    name="events.campaign_fanout",
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def campaign_fanout_task(campaign_id: int) -> int:
    """Create a campaign's invitations and emails in chunks and hand them to the mail sender."""
    # Import inside: the task <-> service pair (see the module's docstring).
    from events.services import campaign_fanout

    return campaign_fanout(campaign_id=campaign_id)


@shared_task(name="events.start_due_campaigns", acks_late=True)
def start_due_campaigns_task() -> list[int]:
    """Beat job: start scheduled campaigns whose time has come."""
    # Import inside: the task <-> service pair (see the module's docstring).
    from events.services import campaigns_start_due

    return campaigns_start_due()


@shared_task(name="events.send_reminders", acks_late=True)
def send_reminders_task() -> int:
    """Beat job: reminders before each meeting (Meeting.reminder_days, 7 and 1 by default)."""
    return notices.reminders_send_due()


@shared_task(name="events.notify_prereading", acks_late=True)
def notify_prereading_task() -> int:
    """Beat job: tell registrants about pre-reading that has reached its publish time."""
    return notices.prereading_notify_due()


@shared_task(name="events.send_joining_instructions", acks_late=True)
def send_joining_instructions_task() -> int:
    """Beat job: the join link for online and hybrid meetings, a day ahead."""
    return notices.joining_instructions_send_due()


# --- Meeting change and cancellation notices ---------------------------------------------------


@shared_task(
    name="events.meeting_change_fan_out",
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def meeting_change_fan_out_task(change_id: int) -> int:
    """Queue one recorded meeting change's notices to its registrants and facilitators. Safe to
    redeliver: every email is keyed (meeting, SEQUENCE, recipient)."""
    return notices.meeting_change_fan_out(change_id=change_id)


@shared_task(name="events.meeting_changes_fan_out_due", acks_late=True)
def meeting_changes_fan_out_due_task() -> int:
    """Beat job: fan out any recorded meeting change whose task was lost."""
    return notices.meeting_changes_fan_out_due()
