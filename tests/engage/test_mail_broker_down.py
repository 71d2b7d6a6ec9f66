"""The broker away: pages that queue mail still answer, the mail is owed in its row, and the
reconcile sweep (what beat queues every minute) sends it through a real worker once the broker
is back. The fault is at the edge: the project's Celery app points at a port nothing listens on."""

import re

import pytest
from django.urls import reverse

from config.celery_app import app
from engage.enums import EmailStatus
from engage.mail.tasks import emails_reconcile_task
from engage.models import OutboundEmail
from tests.factories import MeetingFactory
from tests.worker import _reset_producers

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

NOWHERE = "redis://127.0.0.1:9/0"  # the discard port: connection refused


def _point_broker_at(url: str) -> None:
    app.conf.update(broker_url=url)
    _reset_producers(app)


def test_registration_and_sign_in_codes_are_owed_while_the_broker_is_away(
    worker, client, representative
):
    meeting = MeetingFactory()
    _point_broker_at(NOWHERE)
    try:
        registering = client.post(
            reverse("events:register_email", kwargs={"slug": meeting.slug}),
            {"email": "guest@example.org"},
        )
        signing_in = client.post(
            reverse("account_login"), {"login": representative.email, "password": ""}
        )
    finally:
        _point_broker_at(worker.broker_url)

    assert registering.status_code == 302
    assert signing_in.status_code == 302
    assert signing_in["Location"] == reverse("account_confirm_login_code")
    owed = OutboundEmail.objects.filter(owed_at__isnull=False)
    assert sorted(owed.values_list("to_email", "status")) == sorted(
        [("guest@example.org", EmailStatus.QUEUED), (representative.email, EmailStatus.QUEUED)]
    )
    assert worker.outbox() == []

    emails_reconcile_task.delay()  # beat's next tick once the broker answers

    worker.wait_until(lambda: len(worker.outbox()) == 2, timeout=60)
    by_address = {str(message["To"]): message for message in worker.outbox()}
    assert set(by_address) == {"guest@example.org", representative.email}
    assert not OutboundEmail.objects.filter(owed_at__isnull=False).exists()
    sign_in_code = re.search(
        r"\b([A-Z0-9]{4}-[A-Z0-9]{4})\b",
        by_address[representative.email].get_body(("plain",)).get_content(),
    ).group(1)
    confirmed = client.post(reverse("account_confirm_login_code"), {"code": sign_in_code})
    assert confirmed.status_code == 302
    assert client.get(reverse("engage:dashboard")).status_code == 200
    registration_code = re.search(
        r"\b(\d{6})\b", by_address["guest@example.org"].get_body(("plain",)).get_content()
    ).group(1)
    verified = client.post(
        reverse("events:register_code", kwargs={"slug": meeting.slug}),
        {"code": registration_code},
    )
    assert verified.status_code == 302
