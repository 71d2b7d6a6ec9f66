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
    registration_notices_send_task,
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


def test_registration_owes_its_email_in_its_row_until_the_sender_queues_it():
    outcome = services.registration_create(
        meeting_id=MeetingFactory().pk, details=RegistrationDetails(email="once@example.org")
    )
    registration = outcome.registration
    registration.refresh_from_db()
    owed_before = registration.notice_pending

    registration_notices_send_task.delay()
    registration_notices_send_task.delay()

    registration.refresh_from_db()
    assert (owed_before, registration.notice_pending) == ("confirmed", "")
    assert OutboundEmail.objects.filter(template="events/registration_confirmed").count() == 1


def test_sender_sends_each_registration_its_latest_notice_once():
    meeting = MeetingFactory(capacity=1)
    first = services.registration_create(
        meeting_id=meeting.pk, details=RegistrationDetails(email="first@example.org")
    ).registration
    services.registration_create(
        meeting_id=meeting.pk, details=RegistrationDetails(email="second@example.org")
    )
    # The first cancels before any email went: they are owed the cancellation only, and the
    # second, offered the freed place, is owed the offer rather than "you are waiting".
    services.registration_cancel(token=first.token)

    sent = registration_notices_send_task.delay().get()

    templates = dict(OutboundEmail.objects.values_list("to_email", "template"))
    assert sent == 2
    assert templates == {
        "first@example.org": "events/registration_cancelled",
        "second@example.org": "events/waitlist_offer",
    }


def test_a_notice_that_cannot_be_sent_is_kept_and_does_not_hold_up_the_others(caplog):
    from events.models import Registration

    meeting = MeetingFactory()
    stuck, fine = (
        services.registration_create(
            meeting_id=meeting.pk, details=RegistrationDetails(email=f"{name}@example.org")
        ).registration
        for name in ("stuck", "fine")
    )
    # A mark no sender knows (say, left by an older release) cannot be sent.
    Registration.objects.filter(pk=stuck.pk).update(notice_pending="retired-kind")

    handled = registration_notices_send_task.delay().get()

    stuck.refresh_from_db()
    assert handled == 1
    assert list(OutboundEmail.objects.values_list("to_email", flat=True)) == ["fine@example.org"]
    assert stuck.notice_pending == "retired-kind"
    assert [r.registration_id for r in caplog.records if r.msg == "registration notice failed"] == [
        stuck.pk
    ]


def test_beat_schedule_declares_the_registration_jobs(settings):
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}

    assert {
        "events.expire_offers",
        "events.wipe_access_requirements",
        "events.registration_notices_send",
    } <= tasks


def test_every_scheduled_notification_is_in_the_one_beat_schedule(settings):
    from config.celery_app import app

    app.loader.import_default_modules()  # what a worker does at start: autodiscovers every app
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    notifications = {
        "events.send_reminders",  # 7 and 1 days before, Meeting.reminder_days
        "events.notify_prereading",
        "events.send_joining_instructions",
        "events.expire_offers",  # expiry notices and the offers that follow
        "feedback.send_surveys",
        "events.meeting_changes_fan_out_due",  # a change whose fan-out task was lost
        "events.start_due_campaigns",
    }

    assert notifications <= scheduled
    assert notifications <= set(app.tasks)


def test_the_sender_clears_its_wake_key_so_the_next_registration_wakes_it(
    django_capture_on_commit_callbacks,
):
    from django.core.cache import cache

    cache.set(services.NOTICES_WAKE_KEY, 1, timeout=30)  # as if a sender were running
    meeting = MeetingFactory()
    with django_capture_on_commit_callbacks(execute=True):
        first = services.registration_create(
            meeting_id=meeting.pk, details=RegistrationDetails(email="first@example.org")
        ).registration
    emails_while_key_held = OutboundEmail.objects.count()

    registration_notices_send_task.delay()  # the running sender finishes: it takes `first`
    with django_capture_on_commit_callbacks(execute=True):
        services.registration_create(
            meeting_id=meeting.pk, details=RegistrationDetails(email="second@example.org")
        )

    first.refresh_from_db()
    assert emails_while_key_held == 0
    assert first.notice_pending == ""
    # The second registration found no key and woke a sender of its own (run eagerly here).
    assert sorted(OutboundEmail.objects.values_list("to_email", flat=True)) == [
        "first@example.org",
        "second@example.org",
    ]
