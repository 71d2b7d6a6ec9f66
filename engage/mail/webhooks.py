"""anymail's tracking webhook (Amazon SES through SNS, at /anymail/amazon_ses/tracking/) feeds
one service here. The signal is only the interface: every decision lives in `email_event_record`,
which records delivered, bounced, complained and unsubscribed events (the only mail module that
calls engage.services, so nothing imports back into the mail path).

The URL is protected by ANYMAIL["WEBHOOK_SECRET"] ("user:password", HTTP basic auth, set from
ANYMAIL_WEBHOOK_SECRET); anymail refuses a post without it.
"""

import logging

from anymail.signals import tracking
from django.db import IntegrityError, transaction
from django.dispatch import receiver
from django.utils import timezone

from engage.enums import ConsentMethod, EmailStatus, SuppressionReason
from engage.models import EmailEvent, OutboundEmail
from engage.services import consent_unsubscribe, suppression_add

logger = logging.getLogger(__name__)

# --- What the ESP tells us (webhooks) ------------------------------------------------------------
# An email's status only moves forward: a late "delivered" never hides a bounce.
_RANK = {
    EmailStatus.QUEUED: 0,
    EmailStatus.SENDING: 1,
    EmailStatus.SENT: 2,
    EmailStatus.FAILED: 2,
    EmailStatus.DELIVERED: 3,
    EmailStatus.BOUNCED: 4,
    EmailStatus.COMPLAINED: 5,
}
_STATUS_FOR_EVENT = {
    "delivered": EmailStatus.DELIVERED,
    "bounced": EmailStatus.BOUNCED,
    "complained": EmailStatus.COMPLAINED,
    "rejected": EmailStatus.FAILED,
    "failed": EmailStatus.FAILED,
}


def _find_email(*, message_id: str, email_id: str, recipient: str) -> OutboundEmail | None:
    queryset = OutboundEmail.objects.select_related("stakeholder", "purpose")
    if message_id:
        email = queryset.filter(esp_message_id=message_id, to_email__iexact=recipient).first()
        if email is None:
            email = queryset.filter(esp_message_id=message_id).first()
        if email is not None:
            return email
    if email_id and str(email_id).isdigit():
        return queryset.filter(pk=int(email_id)).first()
    return None


def email_event_record(
    *,
    event_id: str,
    event_type: str,
    recipient: str,
    message_id: str = "",
    email_id: str = "",
    hard_bounce: bool = True,
    at=None,
    detail: dict | None = None,
) -> EmailEvent | None:
    """Record one ESP tracking event and act on it, once: a repeated event id does nothing.

    `event_type` is anymail's (delivered, bounced, complained, unsubscribed, sent, ...). The email
    is found by the ESP's message id, else by our email id sent as metadata. Side effects: an
    EmailEvent row; the email's status moves forward (delivered, bounced, complained, failed);
    a hard bounce or a complaint puts the address on the suppression list; an unsubscribe
    withdraws the email's purpose (method "esp"), or every purpose when the email had none.
    Returns the new EmailEvent, or None for a duplicate.
    """
    at = at or timezone.now()
    email = _find_email(message_id=message_id, email_id=email_id, recipient=recipient)
    # One ESP notification can name several recipients, so the recipient is part of the key.
    key = f"{event_id}:{recipient.lower()}"[:200]
    try:
        with transaction.atomic():
            event = EmailEvent.objects.create(
                email=email,
                event_id=key,
                event_type=event_type,
                at=at,
                detail={k: v for k, v in (detail or {}).items() if k != "recipient"},
            )
            new_status = _STATUS_FOR_EVENT.get(event_type)
            if event_type == "bounced" and not hard_bounce:
                new_status = None
            if email is not None and new_status is not None:
                locked = OutboundEmail.objects.select_for_update().get(pk=email.pk)
                if _RANK.get(new_status, 0) > _RANK.get(locked.status, 0):
                    locked.status = new_status
                    locked.save(update_fields=["status", "updated_at"])
            if event_type == "complained" or (event_type == "bounced" and hard_bounce):
                reason = (
                    SuppressionReason.COMPLAINT
                    if event_type == "complained"
                    else SuppressionReason.HARD_BOUNCE
                )
                suppression_add(email=recipient, reason=reason, note=f"ESP event {event_type}")
            if event_type == "unsubscribed" and recipient:
                # Held back from engagement mail even where no stakeholder or purpose is known;
                # the confirmation of a registration still reaches them.
                suppression_add(
                    email=recipient, reason=SuppressionReason.UNSUBSCRIBE, note="ESP unsubscribe"
                )
            if event_type == "unsubscribed" and email is not None and email.stakeholder:
                consent_unsubscribe(
                    stakeholder=email.stakeholder,
                    purpose_slug=email.purpose.slug if email.purpose else "",
                    method=ConsentMethod.ESP,
                )
    except IntegrityError:
        logger.info("email event repeated", extra={"event_id": key})
        return None
    logger.info(
        "email event",
        extra={"event_id": key, "type": event_type, "email_id": email.pk if email else None},
    )
    return event


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
