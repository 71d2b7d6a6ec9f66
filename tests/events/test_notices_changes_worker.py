"""A meeting change's notices through a real Celery worker on Redis: the fan-out task delivered
twice, and the worker killed with -9 once the first notices are out, still give each person
exactly one update, with the new SEQUENCE."""

import collections
import datetime as dt
import re

import pytest
from django.utils import timezone

from engage.enums import EmailStatus
from engage.mail.reconcile import emails_reconcile
from engage.models import OutboundEmail
from events import services
from events.models import MeetingChange
from events.tasks import meeting_change_fan_out_task
from tests.factories import MeetingFactory, RegistrationFactory

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

_SEQUENCE = re.compile(r"^SEQUENCE:(\d+)", re.MULTILINE)


def _updates(worker) -> dict[str, list[int]]:
    found = collections.defaultdict(list)
    for message in worker.outbox():
        for part in message.walk():
            if part.get_content_type() == "text/calendar":
                found[str(message["To"])].append(int(_SEQUENCE.search(part.get_content())[1]))
    return found


def _settled(meeting):
    def check():
        change = MeetingChange.objects.filter(meeting=meeting).latest("sequence")
        return (
            change.fanned_out_at is not None
            and not OutboundEmail.objects.filter(
                status__in=[EmailStatus.QUEUED, EmailStatus.SENDING]
            ).exists()
        )

    return check


def test_a_redelivered_fan_out_and_a_killed_worker_send_each_update_once(worker, settings):
    settings.MAILERS = {"default": {"BACKEND": "engage.mail.backends.OutboxBackend"}}
    settings.EMAIL_OUTBOX_DIR = worker.outbox_dir  # reconciliation looks where the worker wrote
    meeting = MeetingFactory()
    people = [RegistrationFactory(meeting=meeting).stakeholder.email for _ in range(60)]
    start = meeting.start + dt.timedelta(hours=1)

    services.meeting_update(
        meeting_id=meeting.pk,
        data={"start": start, "end": start + dt.timedelta(hours=2)},
        actor=None,
    )
    change = MeetingChange.objects.get(meeting=meeting)
    meeting_change_fan_out_task.delay(change.pk)  # the same task a second time, at once
    worker.wait_until(lambda: worker.outbox(), timeout=60)
    worker.kill()
    killed_at = timezone.now()
    worker.start(visibility_timeout=2)
    # What the beat task does every minute, limited to claims made before the kill.
    emails_reconcile(stale_after=timezone.now() - killed_at + dt.timedelta(milliseconds=1))
    worker.wait_until(_settled(meeting), timeout=120)

    assert _updates(worker) == {email: [1] for email in people}
