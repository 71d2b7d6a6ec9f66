"""ESP tracking webhooks: real HTTP posts (SES events in SNS notifications) to anymail's URL."""

import base64
import json

import pytest

from engage.enums import ConsentAction, ConsentMethod, EmailStatus, SuppressionReason
from engage.models import ConsentRecord, EmailEvent, OutboundEmail, Suppression
from tests.factories import ConsentPurposeFactory, ConsentRecordFactory, StakeholderFactory
from tests.standin_ses import sns_notification

URL = "/anymail/amazon_ses/tracking/"
SECRET = "engage-webhook:s3cret-for-tests"
PURPOSE = "meeting-invitations"


@pytest.fixture(autouse=True)
def webhook_secret(settings):
    settings.ANYMAIL = {"WEBHOOK_SECRET": SECRET}


@pytest.fixture
def sent_email(db):
    stakeholder = StakeholderFactory()
    purpose = ConsentPurposeFactory(slug=PURPOSE)
    ConsentRecordFactory(stakeholder=stakeholder, purpose=purpose)
    return OutboundEmail.objects.create(
        stakeholder=stakeholder,
        to_email=stakeholder.email,
        purpose=purpose,
        template="events/invitation",
        subject="Invitation",
        body_text="Hello",
        status=EmailStatus.SENT,
        esp_message_id="0100-ses-message-id",
    )


def _post(client, ses_event, *, auth=SECRET, notification=None):
    notification = notification or sns_notification(ses_event)
    headers = {
        "HTTP_X_AMZ_SNS_MESSAGE_TYPE": notification["Type"],
        "HTTP_X_AMZ_SNS_MESSAGE_ID": notification["MessageId"],
    }
    if auth:
        headers["HTTP_AUTHORIZATION"] = "Basic " + base64.b64encode(auth.encode()).decode()
    response = client.post(
        URL, data=json.dumps(notification), content_type="text/plain; charset=UTF-8", **headers
    )
    return response, notification


def _event(email, kind, **detail):
    return {
        "eventType": kind,
        "mail": {
            "messageId": email.esp_message_id,
            "destination": [email.to_email],
            "headers": [{"name": "X-Metadata", "value": json.dumps({"email_id": str(email.pk)})}],
        },
        kind.lower(): detail,
    }


def test_delivery_moves_the_email_on(client, sent_email):
    response, _ = _post(
        client, _event(sent_email, "Delivery", recipients=[sent_email.to_email], smtpResponse="250")
    )

    assert response.status_code == 200
    sent_email.refresh_from_db()
    assert sent_email.status == EmailStatus.DELIVERED
    assert list(EmailEvent.objects.values_list("email_id", "event_type")) == [
        (sent_email.pk, "delivered")
    ]


def test_a_repeated_notification_is_harmless(client, sent_email):
    event = _event(
        sent_email,
        "Bounce",
        bounceType="Permanent",
        bounceSubType="General",
        bouncedRecipients=[{"emailAddress": sent_email.to_email}],
    )
    _, notification = _post(client, event)

    response, _ = _post(client, event, notification=notification)

    assert response.status_code == 200
    assert EmailEvent.objects.count() == 1
    assert Suppression.objects.count() == 1


def test_a_hard_bounce_suppresses_the_address(client, sent_email):
    _post(
        client,
        _event(
            sent_email,
            "Bounce",
            bounceType="Permanent",
            bounceSubType="General",
            bouncedRecipients=[{"emailAddress": sent_email.to_email}],
        ),
    )

    sent_email.refresh_from_db()
    assert sent_email.status == EmailStatus.BOUNCED
    assert list(Suppression.objects.values_list("email_normalised", "reason")) == [
        (sent_email.stakeholder.email_normalised, SuppressionReason.HARD_BOUNCE)
    ]


def test_a_soft_bounce_is_recorded_but_suppresses_nothing(client, sent_email):
    _post(
        client,
        _event(
            sent_email,
            "Bounce",
            bounceType="Transient",
            bounceSubType="MailboxFull",
            bouncedRecipients=[{"emailAddress": sent_email.to_email}],
        ),
    )

    sent_email.refresh_from_db()
    assert sent_email.status == EmailStatus.SENT
    assert Suppression.objects.count() == 0
    assert EmailEvent.objects.get().event_type == "bounced"


def test_a_complaint_suppresses_the_address_and_a_late_delivery_does_not_hide_it(
    client, sent_email
):
    _post(
        client,
        _event(
            sent_email,
            "Complaint",
            complainedRecipients=[{"emailAddress": sent_email.to_email}],
            complaintFeedbackType="abuse",
        ),
    )
    _post(
        client, _event(sent_email, "Delivery", recipients=[sent_email.to_email], smtpResponse="250")
    )

    sent_email.refresh_from_db()
    assert sent_email.status == EmailStatus.COMPLAINED
    assert Suppression.objects.get().reason == SuppressionReason.COMPLAINT


def test_an_unsubscribe_reported_by_the_esp_withdraws_consent(client, sent_email):
    _post(
        client,
        _event(
            sent_email,
            "Subscription",
            contactList="engage",
            newTopicPreferences={"unsubscribeAll": True},
        ),
    )

    latest = ConsentRecord.objects.filter(stakeholder=sent_email.stakeholder).first()
    assert (latest.action, latest.method) == (ConsentAction.WITHDRAWN, ConsentMethod.ESP)


def test_an_event_for_a_row_still_sending_is_found_by_its_metadata(client, sent_email):
    OutboundEmail.objects.filter(pk=sent_email.pk).update(
        status=EmailStatus.SENDING, esp_message_id=""
    )
    event = _event(sent_email, "Send")
    event["mail"]["messageId"] = "unknown-to-us"

    _post(client, event)

    assert EmailEvent.objects.get().email_id == sent_email.pk


@pytest.mark.parametrize("auth", [None, "engage-webhook:wrong"])
def test_a_post_without_the_secret_is_refused_and_changes_nothing(client, sent_email, auth):
    response, _ = _post(
        client,
        _event(
            sent_email,
            "Complaint",
            complainedRecipients=[{"emailAddress": sent_email.to_email}],
        ),
        auth=auth,
    )

    assert response.status_code in (400, 401)
    assert EmailEvent.objects.count() == 0
    assert Suppression.objects.count() == 0
    sent_email.refresh_from_db()
    assert sent_email.status == EmailStatus.SENT
