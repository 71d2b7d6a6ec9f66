"""Registration tasks: the beat jobs and the notification hook, run eagerly."""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from engage.models import OutboundEmail
from events import services
from events.enums import RegistrationStatus
from events.services import RegistrationDetails
from events.tasks import (
    expire_offers_task,
    registration_notify_task,
    wipe_access_requirements_task,
)
from tests.factories import MeetingFactory, RegistrationFactory

pytestmark = pytest.mark.django_db


def test_expire_offers_task_passes_an_expired_offer_on(django_capture_on_commit_callbacks):
    meeting = MeetingFactory(capacity=1)
    offered = RegistrationFactory(
        meeting=meeting,
        status=RegistrationStatus.OFFERED,
        waitlist_position=1,
        offered_at=timezone.now() - dt.timedelta(hours=50),
        offer_expires_at=timezone.now() - dt.timedelta(hours=2),
    )
    waiting = RegistrationFactory(
        meeting=meeting, status=RegistrationStatus.WAITLISTED, waitlist_position=2
    )

    with django_capture_on_commit_callbacks(execute=True):
        expired = expire_offers_task.delay().get()

    offered.refresh_from_db()
    waiting.refresh_from_db()
    assert (expired, offered.status, waiting.status) == (1, "cancelled", "offered")
    assert OutboundEmail.objects.get(template="events/waitlist_offer").to_email == (
        waiting.stakeholder.email
    )


def test_wipe_task_clears_access_requirements_after_retention():
    meeting = MeetingFactory(access_needs_retention_days=7)
    registration = RegistrationFactory(meeting=meeting, access_requirements="Quiet room")

    with time_machine.travel(meeting.end + dt.timedelta(days=8)):
        wiped = wipe_access_requirements_task.delay().get()

    registration.refresh_from_db()
    assert (wiped, registration.access_requirements) == (1, "")


def test_notify_task_run_twice_queues_one_email():
    outcome = services.registration_create(
        meeting_id=MeetingFactory().pk, details=RegistrationDetails(email="once@example.org")
    )

    registration_notify_task.delay(outcome.registration.pk, "confirmed")
    registration_notify_task.delay(outcome.registration.pk, "confirmed")

    assert OutboundEmail.objects.filter(template="events/registration_confirmed").count() == 1


def test_beat_schedule_declares_the_registration_jobs(settings):
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}

    assert {"events.expire_offers", "events.wipe_access_requirements"} <= tasks


def test_every_scheduled_notification_is_in_the_one_beat_schedule(settings):
    from config.celery_app import app

    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    notifications = {
        "events.send_reminders",  # 7 and 1 days before, Meeting.reminder_days
        "events.notify_prereading",
        "events.send_joining_instructions",
        "events.expire_offers",  # expiry notices and the offers that follow
        "events.send_surveys",
        "events.start_due_campaigns",
    }

    assert notifications <= scheduled
    assert notifications <= set(app.tasks)
