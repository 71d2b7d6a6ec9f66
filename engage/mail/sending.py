"""Sending a persisted email: claim it under a row lock, check consent and suppression, hand it over."""

import logging

from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.utils import timezone

from engage.enums import EmailStatus
from engage.models import OutboundEmail, Suppression
from engage.selectors import consent_is_given

logger = logging.getLogger(__name__)


def email_build_message(email: OutboundEmail) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=email.body_text,
        to=[email.to_email],
        headers=dict(email.headers),
    )
    if email.body_html:
        message.attach_alternative(email.body_html, "text/html")
    if email.calendar:
        method = email.calendar_method or "PUBLISH"
        message.attach_alternative(email.calendar, f"text/calendar; method={method}")
        message.attach("invite.ics", email.calendar, f"application/ics; method={method}")
    return message


def email_send(*, email_id: int) -> str:
    """Send the email unless it was sent already, consent is gone, or the address is suppressed.

    Returns the final status. A second call for the same email sends nothing.
    """
    with transaction.atomic():
        email = OutboundEmail.objects.select_for_update().filter(pk=email_id).first()
        if email is None or email.status != EmailStatus.QUEUED:
            return email.status if email else "missing"
        from engage.normalise import normalise_email

        if Suppression.objects.filter(email_normalised=normalise_email(email.to_email)).exists():
            email.status = EmailStatus.SUPPRESSED
            email.save(update_fields=["status", "updated_at"])
            return email.status
        if email.purpose_id and not (
            email.stakeholder_id
            and consent_is_given(stakeholder_id=email.stakeholder_id, purpose_id=email.purpose_id)
        ):
            email.status = EmailStatus.SUPPRESSED
            email.save(update_fields=["status", "updated_at"])
            return email.status
        email.status = EmailStatus.SENDING
        email.attempts += 1
        email.save(update_fields=["status", "attempts", "updated_at"])
    message = email_build_message(email)
    message.send()
    OutboundEmail.objects.filter(pk=email.pk).update(
        status=EmailStatus.SENT, sent_at=timezone.now()
    )
    logger.info("email sent", extra={"email_id": email.pk})
    return EmailStatus.SENT
