"""anymail's tracking webhook (Amazon SES through SNS, at /anymail/amazon_ses/tracking/) feeds
one service. The signal is only the interface: every decision lives in `email_event_record`.

The URL is protected by ANYMAIL["WEBHOOK_SECRET"] ("user:password", HTTP basic auth, set from
ANYMAIL_WEBHOOK_SECRET); anymail refuses a post without it.
"""

from anymail.signals import tracking
from django.dispatch import receiver

from engage.mail.services import email_event_record


def _event_type(event) -> str:
    # SES reports list-management unsubscribes as a "Subscription" event anymail does not map.
    esp_event = event.esp_event if isinstance(event.esp_event, dict) else {}
    if event.event_type == "unknown" and esp_event.get("eventType") == "Subscription":
        return "unsubscribed"
    return event.event_type


def _hard_bounce(event) -> bool:
    # SES: bounceType Permanent is hard, Transient (mailbox full, ...) is soft.
    esp_event = event.esp_event if isinstance(event.esp_event, dict) else {}
    bounce = esp_event.get("bounce") or {}
    return bounce.get("bounceType", "Permanent") != "Transient"


@receiver(tracking, dispatch_uid="engage.mail.webhooks.tracking")
def tracking_received(sender, event, esp_name, **kwargs) -> None:
    email_event_record(
        event_id=event.event_id or "",
        event_type=_event_type(event),
        recipient=event.recipient or "",
        message_id=event.message_id or "",
        email_id=str((event.metadata or {}).get("email_id", "")),
        hard_bounce=_hard_bounce(event),
        at=event.timestamp,
        detail={"esp": esp_name, "description": event.description or ""},
    )
