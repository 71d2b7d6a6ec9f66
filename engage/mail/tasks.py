from celery import shared_task


@shared_task(name="engage.mail.send", acks_late=True)
def email_send_task(email_id: int) -> None:
    """Send one queued OutboundEmail (see engage.mail.sending.email_send)."""
    from engage.mail.sending import email_send

    email_send(email_id=email_id)
