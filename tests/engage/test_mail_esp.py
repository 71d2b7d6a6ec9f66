"""The hand-over (engage.mail.esp): ESP-side batches, the call size, parallel calls each
recorded as it returns, a template error failing only its row."""

import pytest

from engage.enums import EmailStatus, SuppressionReason
from engage.mail import sending
from engage.models import OutboundEmail, Suppression
from tests.engage.mail_support import bulk_invitations, consented, withdraw
from tests.factories import StakeholderFactory


@pytest.mark.django_db
def test_each_esp_call_takes_at_most_the_call_size(ses, settings):
    # What a worker killed mid-call can repeat is this many rows per call in flight.
    settings.ENGAGE_MAIL_ESP_CALL_SIZE = 3
    ids = bulk_invitations([consented() for _ in range(7)], send=False)

    outcome = sending.emails_send_batch(email_ids=ids)

    assert sorted(outcome.sent) == sorted(ids)
    assert ses.calls == 3  # 3 + 3 + 1 destinations


@pytest.mark.django_db
def test_a_template_error_fails_its_row_and_the_rest_go_out(ses, settings):
    settings.ENGAGE_MAIL_ESP_BATCH = False
    good, bad = consented(), consented()
    [good_id, bad_id] = bulk_invitations([good, bad], send=False)
    OutboundEmail.objects.filter(pk=bad_id).update(template="events/no_such_template")

    outcome = sending.emails_send_batch(email_ids=[good_id, bad_id])

    assert (outcome.sent, outcome.failed) == ([good_id], [bad_id])
    assert OutboundEmail.objects.get(pk=bad_id).error == "TemplateDoesNotExist"
    assert ses.recipients() == [good.email]


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
        ids = bulk_invitations([*eligible, *no_consent, withdrawn, suppressed])
    with django_capture_on_commit_callbacks(execute=True):
        again = bulk_invitations([*eligible, *no_consent, withdrawn, suppressed])  # a repeated run

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
    [first_id] = bulk_invitations([person], send=False)
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
def test_a_chunk_handed_over_in_parallel_calls_records_each_calls_outcome(ses, settings):
    settings.ENGAGE_MAIL_ESP_BATCH = True
    settings.ENGAGE_MAIL_SEND_THREADS = 3
    settings.ENGAGE_MAIL_ESP_CALL_SIZE = 50
    people = [consented(first_name=f"Name{i}") for i in range(120)]
    ids = bulk_invitations(people, send=False)
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
    ids = bulk_invitations(people, send=False)

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
