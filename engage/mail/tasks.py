"""Celery entry points for mail (queue `mail`). Thin: ids in, one service call, transient retries.

acks_late: the broker keeps a task until it has finished, so a worker killed mid-send has its task
redelivered; the row claim (engage.mail.sending) makes that redelivery send nothing twice.
"""

from celery import shared_task

from engage.mail.reconcile import emails_reconcile
from engage.mail.sending import EmailTransientError, email_send, emails_send_batch


@shared_task(name="engage.mail.send", bind=True, acks_late=True, max_retries=None)
def email_send_task(self, email_id: int) -> None:
    """Send one queued OutboundEmail (see engage.mail.sending.email_send)."""
    try:
        email_send(email_id=email_id)
    except EmailTransientError as exc:
        # The row is `queued` again and counts its attempts; the service gives up, not Celery.
        raise self.retry(countdown=exc.retry_in, exc=exc) from exc


@shared_task(name="engage.mail.send_batch", bind=True, acks_late=True, max_retries=None)
def emails_send_batch_task(self, email_ids: list[int]) -> None:
    """Send queued OutboundEmails in chunks (see engage.mail.sending.emails_send_batch)."""
    outcome = emails_send_batch(email_ids=email_ids)
    if outcome.retry:
        exc = EmailTransientError(
            "transient ESP error", email_ids=outcome.retry, retry_in=outcome.retry_in
        )
        raise self.retry(args=[outcome.retry], countdown=outcome.retry_in, exc=exc)


@shared_task(name="engage.mail.reconcile", acks_late=True)
def emails_reconcile_task() -> None:
    """Settle mail left `sending` by a dead worker and queue mail owed while the broker was away
    (beat, every minute)."""
    emails_reconcile()
