"""The one outbound path: claim, consent and suppression at send time, retries, stale claims,
headers and batches, against a local stand-in for the Amazon SES API (the network edge)."""

import contextlib
import datetime as dt
import email
import email.policy
import threading

import pytest
from django.core import mail
from django.db import OperationalError, connection
from django.utils import timezone

from engage import links as signed_links
from engage.enums import ConsentAction, ConsentMethod, EmailStatus, SuppressionReason
from engage.mail import sending
from engage.mail.services import BulkRecipient, email_queue, emails_queue_bulk
from engage.mail.throttle import throttle_reserve
from engage.models import EmailEvent, OutboundEmail, Suppression
from tests.factories import ConsentPurposeFactory, ConsentRecordFactory, StakeholderFactory
from tests.standin_ses import StandInSES

PURPOSE = "meeting-invitations"


@pytest.fixture
def ses(settings):
    """The mailer is anymail's Amazon SES backend, pointed at a stand-in SES on 127.0.0.1."""
    with StandInSES() as esp:
        settings.MAILERS = {"default": {"BACKEND": "engage.mail.backends.AmazonSESBackend"}}
        settings.ENGAGE_MAIL_ESP_ENDPOINT_URL = esp.url
        settings.ANYMAIL = {
            "AMAZON_SES_CLIENT_PARAMS": {
                "aws_access_key_id": "stand-in",
                "aws_secret_access_key": "stand-in",
                "region_name": "eu-west-2",
            }
        }
        settings.ENGAGE_MAIL_RATE_PER_SECOND = 0
        yield esp


def consented(**kwargs):
    stakeholder = StakeholderFactory(**kwargs)
    ConsentRecordFactory(stakeholder=stakeholder, purpose=ConsentPurposeFactory(slug=PURPOSE))
    return stakeholder


def withdraw(stakeholder):
    ConsentRecordFactory(
        stakeholder=stakeholder,
        purpose=ConsentPurposeFactory(slug=PURPOSE),
        action=ConsentAction.WITHDRAWN,
        method=ConsentMethod.WEB,
    )


def queue_invitation(stakeholder, **kwargs):
    return email_queue(
        to_email=stakeholder.email,
        template="events/meeting_cancelled",
        context={
            "meeting_title": "Public review meeting",
            "recipient": {"first_name": stakeholder.first_name},
        },
        stakeholder=stakeholder,
        purpose_slug=PURPOSE,
        **kwargs,
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
        attempt: [sending.retry_delay(attempt=attempt) for _ in range(200)]
        for attempt in (1, 2, 3, 10)
    }

    assert (min(delays[1]), max(delays[1])) >= (5, 0) and max(delays[1]) <= 10
    assert min(delays[2]) >= 10 and max(delays[2]) <= 20
    assert min(delays[3]) >= 20 and max(delays[3]) <= 40
    assert min(delays[10]) >= 150 and max(delays[10]) <= 300
    assert len(set(delays[3])) > 100  # jittered, not one fixed value


def _stale(email, minutes=30):
    OutboundEmail.objects.filter(pk=email.pk).update(
        status=EmailStatus.SENDING,
        claimed_at=timezone.now() - dt.timedelta(minutes=minutes),
        attempts=1,
    )


@pytest.mark.django_db
def test_a_stale_claim_without_evidence_is_sent_again_once(ses, django_capture_on_commit_callbacks):
    email = queue_invitation(consented(), send=False)
    _stale(email)

    with django_capture_on_commit_callbacks(execute=True):
        result = sending.emails_reconcile()

    assert result["resent"] == [email.pk]
    email.refresh_from_db()
    assert email.status == EmailStatus.SENT
    assert email.attempts == 2
    assert len(ses.messages) == 1


@pytest.mark.django_db
def test_a_stale_claim_the_esp_reported_is_settled_without_resending(
    ses, django_capture_on_commit_callbacks
):
    email = queue_invitation(consented(), send=False)
    _stale(email)
    EmailEvent.objects.create(email=email, event_id="sns-1:x", event_type="sent")

    with django_capture_on_commit_callbacks(execute=True):
        result = sending.emails_reconcile()

    assert result["settled"] == [email.pk]
    email.refresh_from_db()
    assert email.status == EmailStatus.SENT
    assert ses.messages == []


@pytest.mark.django_db
def test_a_stale_claim_found_in_the_outbox_is_settled(settings, tmp_path):
    settings.MAILERS = {"default": {"BACKEND": "engage.mail.backends.OutboxBackend"}}
    email = queue_invitation(consented(), send=False)
    # The worker wrote the file, then died before recording it.
    message = sending.email_build_message(email)
    from engage.mail.backends import OutboxBackend

    OutboxBackend().send_messages([message])
    _stale(email)

    result = sending.emails_reconcile()

    assert result == {
        "settled": [email.pk],
        "resent": [],
        "failed": [],
        "held": [],
        "requeued": [],
        "owed": [],
    }
    assert len(list(settings.EMAIL_OUTBOX_DIR.glob("*.eml"))) == 1


@pytest.mark.django_db
def test_rows_a_dead_task_held_but_never_reached_are_sent_after_the_stale_time(
    ses, settings, django_capture_on_commit_callbacks
):
    settings.ENGAGE_MAIL_STALE_CLAIM_MINUTES = 5
    abandoned = queue_invitation(consented(), send=False)
    in_hand = queue_invitation(consented(), send=False)
    # A task held both (still queued); its worker died 6 minutes ago, the other is held now.
    OutboundEmail.objects.filter(pk=abandoned.pk).update(
        claimed_at=timezone.now() - dt.timedelta(minutes=6)
    )
    OutboundEmail.objects.filter(pk=in_hand.pk).update(claimed_at=timezone.now())

    with django_capture_on_commit_callbacks(execute=True):
        result = sending.emails_reconcile()

    assert result["held"] == [abandoned.pk]
    assert OutboundEmail.objects.get(pk=abandoned.pk).status == EmailStatus.SENT
    assert OutboundEmail.objects.get(pk=in_hand.pk).status == EmailStatus.QUEUED
    assert len(ses.messages) == 1


@pytest.mark.django_db
def test_each_esp_call_takes_at_most_the_call_size(ses, settings):
    # What a worker killed mid-call can repeat is this many rows per call in flight.
    settings.ENGAGE_MAIL_ESP_CALL_SIZE = 3
    ids = _bulk([consented() for _ in range(7)], send=False)

    outcome = sending.emails_send_batch(email_ids=ids)

    assert sorted(outcome.sent) == sorted(ids)
    assert ses.calls == 3  # 3 + 3 + 1 destinations


@pytest.mark.django_db
def test_a_struggling_esp_stops_the_task_claiming_more_and_it_retries_the_rest(ses, settings):
    settings.ENGAGE_MAIL_ESP_CALL_SIZE = 2
    settings.ENGAGE_MAIL_SEND_THREADS = 1
    ids = _bulk([consented() for _ in range(6)], send=False)
    ses.fail_next(503)

    outcome = sending.emails_send_batch(email_ids=ids)

    assert ses.calls == 1  # the later rounds were not tried against a failing ESP
    assert sorted(outcome.retry) == sorted(ids)
    # All queued, none held: the retry task (after its backoff) owns them, not the sweep.
    assert set(OutboundEmail.objects.filter(pk__in=ids).values_list("status", "claimed_at")) == {
        (EmailStatus.QUEUED, None)
    }


@pytest.mark.django_db
def test_a_claim_interrupted_at_every_attempt_ends_failed(ses, settings):
    settings.ENGAGE_MAIL_MAX_ATTEMPTS = 3
    email = queue_invitation(consented(), send=False)
    _stale(email)
    OutboundEmail.objects.filter(pk=email.pk).update(attempts=3)

    result = sending.emails_reconcile()

    assert result["failed"] == [email.pk]
    email.refresh_from_db()
    assert (email.status, email.error) == (
        EmailStatus.FAILED,
        "interrupted during every attempt to send it",
    )
    assert ses.messages == []


@pytest.mark.django_db
def test_a_template_error_fails_its_row_and_the_rest_go_out(ses, settings):
    settings.ENGAGE_MAIL_ESP_BATCH = False
    good, bad = consented(), consented()
    [good_id, bad_id] = _bulk([good, bad], send=False)
    OutboundEmail.objects.filter(pk=bad_id).update(template="events/no_such_template")

    outcome = sending.emails_send_batch(email_ids=[good_id, bad_id])

    assert (outcome.sent, outcome.failed) == ([good_id], [bad_id])
    assert OutboundEmail.objects.get(pk=bad_id).error == "TemplateDoesNotExist"
    assert ses.recipients() == [good.email]


@pytest.mark.django_db
def test_a_fresh_claim_is_left_alone(ses):
    email = queue_invitation(consented(), send=False)
    _stale(email, minutes=1)

    result = sending.emails_reconcile()

    assert result == {
        "settled": [],
        "resent": [],
        "failed": [],
        "held": [],
        "requeued": [],
        "owed": [],
    }
    email.refresh_from_db()
    assert email.status == EmailStatus.SENDING


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


def _bulk(recipients, **kwargs):
    return emails_queue_bulk(
        template="events/invitation",
        context={
            "meeting_title": "Public review meeting",
            "meeting_when": "Thursday 25 February 2027, 6pm",
            "subject": "Invitation: public review meeting",
            "meeting_format": "in_person",
        },
        recipients=[
            BulkRecipient(
                to_email=s.email,
                stakeholder_id=s.pk,
                values={
                    "first_name": s.first_name,
                    "invitation_url": f"http://testserver/register/{s.pk}/",
                    "organisation_line": "",
                },
                dedupe_key=f"test-bulk:{s.pk}",
            )
            for s in recipients
        ],
        purpose_slug=PURPOSE,
        **kwargs,
    )


@pytest.mark.django_db
@pytest.mark.parametrize("esp_batch", [True, False])
def test_a_bulk_send_mails_every_eligible_person_once_in_esp_batches(
    ses, settings, esp_batch, django_capture_on_commit_callbacks
):
    settings.ENGAGE_MAIL_ESP_BATCH = esp_batch
    settings.ENGAGE_MAIL_ESP_CALL_SIZE = 50
    eligible = [consented(first_name=f"Name{i}") for i in range(60)]
    no_consent = [StakeholderFactory() for _ in range(3)]
    withdrawn = consented()
    withdraw(withdrawn)
    suppressed = consented()
    Suppression.objects.create(
        email_normalised=suppressed.email_normalised, reason=SuppressionReason.COMPLAINT
    )

    with django_capture_on_commit_callbacks(execute=True):
        ids = _bulk([*eligible, *no_consent, withdrawn, suppressed])
    with django_capture_on_commit_callbacks(execute=True):
        again = _bulk([*eligible, *no_consent, withdrawn, suppressed])  # a repeated run

    assert again == ids
    assert sorted(ses.recipients()) == sorted(s.email for s in eligible)
    assert ses.calls == (2 if esp_batch else 60)  # SES takes 50 destinations per bulk call
    by_address = {m.to: m for m in ses.messages}
    first = eligible[0]
    assert "Name0" in by_address[first.email].text
    assert by_address[first.email].headers["List-Unsubscribe-Post"] == (
        "List-Unsubscribe=One-Click"
    )
    statuses = dict(OutboundEmail.objects.filter(pk__in=ids).values_list("to_email", "status"))
    assert statuses[first.email] == EmailStatus.SENT
    assert statuses[withdrawn.email] == EmailStatus.SUPPRESSED
    assert statuses[suppressed.email] == EmailStatus.SUPPRESSED
    assert statuses[no_consent[0].email] == EmailStatus.SUPPRESSED


@pytest.mark.django_db
def test_batch_skeleton_and_rendered_here_say_the_same(ses, settings):
    person = consented(first_name="Zoë & <Kofi>")
    [first_id] = _bulk([person], send=False)
    settings.ENGAGE_MAIL_ESP_BATCH = True
    sending.emails_send_batch(email_ids=[first_id])
    OutboundEmail.objects.filter(pk=first_id).update(status=EmailStatus.QUEUED)
    settings.ENGAGE_MAIL_ESP_BATCH = False
    sending.emails_send_batch(email_ids=[first_id])

    by_esp, here = ses.messages
    assert by_esp.bulk and not here.bulk
    assert by_esp.subject == here.subject
    assert "Zoë & <Kofi>" in by_esp.text and "Zoë & <Kofi>" in here.text
    assert "Zoë &amp; &lt;Kofi&gt;" in by_esp.html and "Zoë &amp; &lt;Kofi&gt;" in here.html
    # The unsubscribe links differ only in the signature's timestamp; both name the person.
    assert by_esp.text.split("unsubscribe/")[0] == here.text.split("unsubscribe/")[0]


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


@pytest.mark.django_db
def test_a_chunk_handed_over_in_parallel_calls_records_each_calls_outcome(ses, settings):
    settings.ENGAGE_MAIL_ESP_BATCH = True
    settings.ENGAGE_MAIL_SEND_THREADS = 3
    settings.ENGAGE_MAIL_ESP_CALL_SIZE = 50
    people = [consented(first_name=f"Name{i}") for i in range(120)]
    ids = _bulk(people, send=False)
    ses.fail_next(503)  # one of the three SES calls (50, 50 and 20 people) fails

    outcome = sending.emails_send_batch(email_ids=ids)

    assert ses.calls == 3
    assert len(outcome.retry) in {20, 50}
    assert sorted(outcome.sent + outcome.retry) == ids
    assert sorted(m.email_id for m in ses.messages) == sorted(str(pk) for pk in outcome.sent)
    rows = OutboundEmail.objects.filter(pk__in=ids)
    assert {(r.status, bool(r.esp_message_id)) for r in rows if r.pk in outcome.sent} == {
        (EmailStatus.SENT, True)
    }
    assert {(r.status, r.attempts, r.claimed_at) for r in rows if r.pk in outcome.retry} == {
        (EmailStatus.QUEUED, 1, None)
    }


@pytest.mark.django_db
def test_mail_rendered_here_keeps_its_words_and_the_esps_message_id(ses, settings):
    settings.ENGAGE_MAIL_ESP_BATCH = False
    people = [consented(first_name=f"Name{i}") for i in range(3)]
    ids = _bulk(people, send=False)

    sending.emails_send_batch(email_ids=ids)

    by_id = {m.email_id: m for m in ses.messages}
    rows = list(OutboundEmail.objects.filter(pk__in=ids).select_related("stakeholder"))
    # Three messages, one per row: the checks below cannot pass by looping over nothing.
    assert sorted(by_id) == sorted(str(pk) for pk in ids) and len(rows) == 3
    for row in rows:
        assert row.status == EmailStatus.SENT
        assert row.esp_message_id == by_id[str(row.pk)].message_id
        assert row.subject == by_id[str(row.pk)].subject
        assert row.stakeholder.first_name in row.body_text
        assert row.stakeholder.first_name in row.body_html


@pytest.mark.django_db
def test_bulk_queueing_stores_shared_and_personal_values_and_only_adds_the_missing(ses, settings):
    settings.ENGAGE_MAIL_BULK_STATEMENT_ROWS = 1  # one INSERT per recipient
    first, second, third = (consented(first_name=name) for name in ("Ama", "Kofi", "Zoë"))

    ids = _bulk([first, second], send=False)
    later = _bulk([second, third], send=False)

    row = OutboundEmail.objects.get(to_email=first.email)
    assert row.context == {
        "meeting_title": "Public review meeting",
        "meeting_when": "Thursday 25 February 2027, 6pm",
        "subject": "Invitation: public review meeting",
        "meeting_format": "in_person",
        "recipient": {
            "first_name": "Ama",
            "invitation_url": f"http://testserver/register/{first.pk}/",
            "organisation_line": "",
        },
    }
    assert (row.status, row.purpose.slug, row.template, row.stakeholder) == (
        EmailStatus.QUEUED,
        PURPOSE,
        "events/invitation",
        first,
    )
    assert OutboundEmail.objects.count() == 3
    assert later[0] == ids[1]
    assert later[1] == OutboundEmail.objects.get(to_email=third.email).pk


@pytest.mark.django_db
def test_links_in_mail_are_the_urls_reverse_gives_and_name_the_person():
    from django.urls import reverse, set_script_prefix

    from engage.mail.rendering import stakeholder_links

    person = StakeholderFactory()
    for prefix in ("/", "/engage/"):
        set_script_prefix(prefix)
        try:
            links = stakeholder_links(stakeholder=person, purpose_slug=PURPOSE)
        finally:
            set_script_prefix("/")
        for name in ("preferences", "unsubscribe"):
            url = links[f"{name}_url"]
            token = url.rstrip("/").rsplit("/", 1)[1]
            set_script_prefix(prefix)
            try:
                expected = reverse(f"engage:{name}", kwargs={"token": token})
            finally:
                set_script_prefix("/")
            assert url.endswith(expected)
            assert expected.startswith(prefix)
        link = signed_links.link_read(
            token=links["unsubscribe_url"].rstrip("/").rsplit("/", 1)[1],
            purpose=signed_links.UNSUBSCRIBE,
        )
        assert (link.stakeholder, link.consent_slug) == (person, PURPOSE)


@pytest.mark.django_db
def test_mail_without_calendar_goes_as_simple_content_and_with_one_as_raw_mime(
    ses, django_capture_on_commit_callbacks
):
    person = consented(first_name="Zoë")
    calendar = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n"

    with django_capture_on_commit_callbacks(execute=True):
        plain = queue_invitation(person)
        with_calendar = queue_invitation(
            person, calendar=calendar, calendar_method="REQUEST", dedupe_key="with-calendar"
        )

    simple, raw = sorted(ses.messages, key=lambda m: int(m.email_id))
    assert (simple.email_id, raw.email_id) == (str(plain.pk), str(with_calendar.pk))
    assert simple.raw == b""  # SES assembles it from the parts
    assert simple.subject == plain.subject
    assert "Zoë" in simple.text
    assert (simple.text, simple.html) == (plain.body_text, plain.body_html)
    assert simple.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert simple.headers["X-Metadata"] == f'{{"email_id": "{plain.pk}"}}'
    assert simple.headers["From"] == "Engage <engage@localhost>"
    parsed = email.message_from_bytes(raw.raw, policy=email.policy.default)
    assert "text/calendar" in {part.get_content_type() for part in parsed.walk()}
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


@contextlib.contextmanager
def _database_lost_at_email_insert(number: int):
    """The database connection fails at the `number`th INSERT of email rows (the fault at the
    database edge: the statement never reaches it), as when a worker dies mid-call."""
    table = OutboundEmail._meta.db_table
    inserts = []

    def execute(run, sql, params, many, context):
        if sql.lstrip().upper().startswith("INSERT") and table in sql:
            inserts.append(sql)
            if len(inserts) == number:
                raise OperationalError("server closed the connection unexpectedly")
        return run(sql, params, many, context)

    with connection.execute_wrapper(execute):
        yield inserts


@pytest.mark.django_db(transaction=True)
def test_a_bulk_queue_commits_block_by_block_and_a_repeat_after_an_interruption_adds_nothing(
    ses, settings
):
    settings.ENGAGE_MAIL_BULK_STATEMENT_ROWS = 2
    people = [consented(first_name=f"Name{i}") for i in range(5)]

    with _database_lost_at_email_insert(2), pytest.raises(OperationalError):
        _bulk(people)
    first_block = list(OutboundEmail.objects.order_by("pk"))
    # The first block committed before the interruption, and its commit handed it to the
    # sender (tasks run eagerly in tests): those two were sent, nobody else was.
    assert len(first_block) == 2
    assert {row.status for row in first_block} == {EmailStatus.SENT}
    assert sorted(m.to for m in ses.messages) == sorted(row.to_email for row in first_block)

    ids = _bulk(people)

    assert OutboundEmail.objects.count() == 5
    assert sorted(ids) == sorted(OutboundEmail.objects.values_list("pk", flat=True))
    # Everyone got exactly one message: the repeat queued only the three the first call missed.
    assert sorted(m.to for m in ses.messages) == sorted(p.email for p in people)
    assert set(OutboundEmail.objects.values_list("status", flat=True)) == {EmailStatus.SENT}


@pytest.mark.django_db(transaction=True)
def test_a_bulk_queue_without_dedupe_keys_is_all_or_nothing(ses, settings):
    settings.ENGAGE_MAIL_BULK_STATEMENT_ROWS = 2
    people = [consented(first_name=f"Name{i}") for i in range(3)]

    with _database_lost_at_email_insert(2) as inserts, pytest.raises(OperationalError):
        emails_queue_bulk(
            template="events/invitation",
            context={"meeting_title": "Public review meeting"},
            recipients=[BulkRecipient(to_email=p.email, stakeholder_id=p.pk) for p in people],
            purpose_slug=PURPOSE,
        )

    assert len(inserts) == 2  # the first block was written, then rolled back with the second
    assert not OutboundEmail.objects.exists()
    assert ses.messages == []
