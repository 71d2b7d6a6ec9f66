"""The one outbound path: claim, consent and suppression at send time, retries, stale claims,
headers and batches, against a local stand-in for the Amazon SES API (the network edge)."""

import email
import email.policy
import threading

import pytest
from django.core import mail
from django.db import connection

from engage import links as signed_links
from engage.enums import EmailStatus, SuppressionReason
from engage.mail import recording, sending
from engage.mail.throttle import throttle_reserve
from engage.models import OutboundEmail, Suppression
from tests.engage.mail_support import (
    PURPOSE,
    bulk_invitations,
    consented,
    queue_invitation,
    withdraw,
)


@pytest.mark.django_db
def test_engagement_mail_goes_out_once_with_unsubscribe_headers_and_both_bodies(
    ses, django_capture_on_commit_callbacks
):
    stakeholder = consented(first_name="Amara")

    with django_capture_on_commit_callbacks(execute=True):
        queued = queue_invitation(stakeholder)

    queued.refresh_from_db()
    assert queued.status == EmailStatus.SENT
    assert len(ses.messages) == 1
    sent = ses.messages[0]
    assert sent.to == stakeholder.email
    assert queued.esp_message_id == sent.message_id
    unsubscribe = sent.headers["List-Unsubscribe"]
    assert unsubscribe.startswith("<http://testserver/unsubscribe/")
    assert sent.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    token = unsubscribe.removeprefix("<http://testserver/unsubscribe/").rstrip("/>")
    link = signed_links.link_read(token=token, purpose=signed_links.UNSUBSCRIBE)
    assert (link.stakeholder, link.consent_slug) == (stakeholder, PURPOSE)
    assert "Amara" in sent.text
    assert "http://testserver/preferences/" in sent.text  # the footer


@pytest.mark.django_db
def test_a_redelivered_task_sends_nothing_twice(ses):
    email = queue_invitation(consented(), send=False)

    assert sending.email_send(email_id=email.pk) == EmailStatus.SENT
    assert sending.email_send(email_id=email.pk) == EmailStatus.SENT

    assert len(ses.messages) == 1
    email.refresh_from_db()
    assert email.attempts == 1


@pytest.mark.django_db
def test_consent_withdrawn_after_queueing_suppresses_the_mail(ses):
    stakeholder = consented()
    email = queue_invitation(stakeholder, send=False)
    withdraw(stakeholder)

    status = sending.email_send(email_id=email.pk)

    assert status == EmailStatus.SUPPRESSED
    assert ses.messages == []


@pytest.mark.django_db
def test_a_suppressed_address_gets_no_engagement_mail_but_still_gets_account_mail(ses):
    stakeholder = consented(email="Bounced@Example.org")
    Suppression.objects.create(
        email_normalised="bounced@example.org", reason=SuppressionReason.HARD_BOUNCE
    )
    invitation = queue_invitation(stakeholder, send=False)
    code = OutboundEmail.objects.create(
        to_email=stakeholder.email,
        template="account/email/login_code",
        subject="Your sign-in code",
        body_text="ABCD-EFGH",
    )

    assert sending.email_send(email_id=invitation.pk) == EmailStatus.SUPPRESSED
    assert sending.email_send(email_id=code.pk) == EmailStatus.SENT
    assert ses.recipients() == [stakeholder.email]
    assert ses.messages[0].subject == "Your sign-in code"


def _send_as_celery_would(email_id):
    """Run the send, and its retries, as the worker would; returns the backoffs asked for."""
    backoffs = []
    while True:
        try:
            sending.email_send(email_id=email_id)
            return backoffs
        except sending.EmailTransientError as exc:
            backoffs.append(exc.retry_in)


@pytest.mark.django_db
@pytest.mark.parametrize("status", [429, 500, 503])
def test_throttling_and_server_errors_are_retried_with_growing_backoff(ses, settings, status):
    settings.ENGAGE_MAIL_RETRY_BASE_SECONDS = 10
    ses.fail_next(status, times=2)
    email = queue_invitation(consented(), send=False)

    backoffs = _send_as_celery_would(email.pk)

    email.refresh_from_db()
    assert email.status == EmailStatus.SENT
    assert email.attempts == 3
    assert len(ses.messages) == 1
    assert ses.calls == 3
    assert 5 <= backoffs[0] <= 10 and 10 <= backoffs[1] <= 20


@pytest.mark.django_db
def test_a_throttling_error_code_is_retried_whatever_its_status(ses):
    ses.fail_next(400, code="Throttling")
    email = queue_invitation(consented(), send=False)

    backoffs = _send_as_celery_would(email.pk)

    assert len(backoffs) == 1
    assert len(ses.messages) == 1


@pytest.mark.django_db
def test_the_task_asks_celery_to_retry_after_the_backoff(ses, settings):
    from celery.exceptions import Retry

    from engage.mail.tasks import email_send_task

    settings.ENGAGE_MAIL_RETRY_BASE_SECONDS = 10
    ses.fail_next(429)
    email = queue_invitation(consented(), send=False)

    with pytest.raises(Retry) as retry:
        email_send_task.apply(args=[email.pk], throw=True)

    assert 5 <= retry.value.when <= 10
    email.refresh_from_db()
    assert (email.status, email.attempts) == (EmailStatus.QUEUED, 1)


@pytest.mark.django_db
def test_a_client_error_fails_without_retry(ses, django_capture_on_commit_callbacks):
    ses.fail_next(400)

    with django_capture_on_commit_callbacks(execute=True):
        email = queue_invitation(consented())

    email.refresh_from_db()
    assert email.status == EmailStatus.FAILED
    assert email.attempts == 1
    assert "status 400" in email.error
    assert ses.calls == 1
    assert ses.messages == []


@pytest.mark.django_db
def test_retries_stop_at_the_attempt_limit(ses, settings):
    settings.ENGAGE_MAIL_MAX_ATTEMPTS = 3
    ses.fail_next(503, times=10)
    email = queue_invitation(consented(), send=False)

    _send_as_celery_would(email.pk)

    email.refresh_from_db()
    assert email.status == EmailStatus.FAILED
    assert email.error.startswith("gave up after 3 attempts")
    assert ses.calls == 3


def test_retry_delay_grows_exponentially_with_jitter(settings):
    settings.ENGAGE_MAIL_RETRY_BASE_SECONDS = 10
    settings.ENGAGE_MAIL_RETRY_MAX_SECONDS = 300

    delays = {
        attempt: [recording.retry_delay(attempt=attempt) for _ in range(200)]
        for attempt in (1, 2, 3, 10)
    }

    assert (min(delays[1]), max(delays[1])) >= (5, 0) and max(delays[1]) <= 10
    assert min(delays[2]) >= 10 and max(delays[2]) <= 20
    assert min(delays[3]) >= 20 and max(delays[3]) <= 40
    assert min(delays[10]) >= 150 and max(delays[10]) <= 300
    assert len(set(delays[3])) > 100  # jittered, not one fixed value


@pytest.mark.django_db
def test_a_struggling_esp_stops_the_task_claiming_more_and_it_retries_the_rest(ses, settings):
    settings.ENGAGE_MAIL_ESP_CALL_SIZE = 2
    settings.ENGAGE_MAIL_SEND_THREADS = 1
    ids = bulk_invitations([consented() for _ in range(6)], send=False)
    ses.fail_next(503)

    outcome = sending.emails_send_batch(email_ids=ids)

    assert ses.calls == 1  # the later rounds were not tried against a failing ESP
    assert sorted(outcome.retry) == sorted(ids)
    # All queued, none held: the retry task (after its backoff) owns them, not the sweep.
    assert set(OutboundEmail.objects.filter(pk__in=ids).values_list("status", "claimed_at")) == {
        (EmailStatus.QUEUED, None)
    }


@pytest.mark.django_db(transaction=True)
def test_concurrent_sends_of_one_email_hand_it_over_once(ses):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    ses.latency = 0.2  # both workers are inside the send at the same time
    email = queue_invitation(consented(), send=False)
    statuses = []

    def worker():
        try:
            statuses.append(sending.email_send(email_id=email.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(ses.messages) == 1
    email.refresh_from_db()
    assert email.status == EmailStatus.SENT
    assert email.attempts == 1


@pytest.mark.django_db
def test_locmem_mailer_in_tests_gets_the_same_message(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        queue_invitation(consented())

    [message] = mail.outbox
    parsed = email.message_from_bytes(message.message().as_bytes(), policy=email.policy.default)
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert parsed["X-Engage-Email-Id"].isdigit()


def test_the_local_throttle_spreads_sends_over_time(settings, monkeypatch):
    from engage.mail import throttle

    monkeypatch.setattr(throttle, "_local", throttle._LocalBucket())  # a full bucket
    settings.ENGAGE_MAIL_RATE_PER_SECOND = 100
    settings.REDIS_URL = ""

    waits = [throttle_reserve(50) for _ in range(4)]

    # A burst of one second's worth is free; after that each 50 costs half a second.
    assert waits[0] == 0
    assert waits[2] == pytest.approx(0.5, abs=0.1)
    assert waits[3] == pytest.approx(1.0, abs=0.1)


def test_the_redis_throttle_is_shared_by_every_worker(settings):
    import redis

    settings.ENGAGE_MAIL_RATE_PER_SECOND = 100
    settings.ENGAGE_MAIL_THROTTLE_URL = settings.ENGAGE_TEST_REDIS_URL
    redis.Redis.from_url(settings.ENGAGE_TEST_REDIS_URL).delete("engage:mail:throttle")
    results = []

    def reserve():
        results.append(throttle_reserve(50))

    threads = [threading.Thread(target=reserve) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # 300 sends at 100/s with a 100 burst: the last must wait about 2 s, whoever asked first
    # (a little less for the time the six threads took to ask).
    assert [
        w == pytest.approx(e, abs=0.25)
        for w, e in zip(sorted(results), [0, 0, 0.5, 1, 1.5, 2], strict=True)
    ] == [True] * 6


@pytest.mark.django_db
def test_account_mail_goes_through_the_one_path_even_to_a_suppressed_address(
    client, representative, django_capture_on_commit_callbacks
):
    from django.urls import reverse

    from engage.normalise import normalise_email

    Suppression.objects.create(
        email_normalised=normalise_email(representative.email),
        reason=SuppressionReason.HARD_BOUNCE,
    )

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("account_request_login_code"), {"email": representative.email})

    row = OutboundEmail.objects.get()
    assert (row.template, row.purpose, row.status) == (
        "account/email/login_code",
        None,
        EmailStatus.SENT,
    )
    [message] = mail.outbox
    assert message.to == [representative.email]
    assert message.subject == row.subject
    assert "List-Unsubscribe" not in message.extra_headers
