"""Settling what a dead worker left: rows stuck in `sending`, rows a task held but never reached,
rows whose task was lost or never reached the broker (beat, every minute; see engage.mail.sending)."""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import mailers
from django.db import transaction
from django.utils import timezone

from engage.enums import EmailStatus
from engage.mail.services import hand_to_broker
from engage.models import EmailEvent, OutboundEmail

logger = logging.getLogger(__name__)


def _accepted_by_last_hop(email_ids: set[int]) -> set[int]:
    if not email_ids:
        return set()
    with mailers.default as connection:
        check = getattr(connection, "accepted_email_ids", None)
        return check(email_ids) if check else set()


def emails_reconcile(*, stale_after: timedelta | None = None) -> dict[str, list[int]]:
    """Settle rows left `sending` by a worker that died, and re-queue rows whose task was lost.

    A row marked owed (the broker was away when it was queued) gets its task queued now.
    A row `sending` for longer than `stale_after` (default ENGAGE_MAIL_STALE_CLAIM_MINUTES) becomes
    `sent` when there is evidence the ESP took it (a webhook event naming it, or the outbox file),
    else `queued` again and is sent once more (`failed` once it has used ENGAGE_MAIL_MAX_ATTEMPTS).
    A row still `queued` but held by a task (`claimed_at` set, see _Lease) for longer than
    `stale_after` gets its task queued again: its worker died before reaching it. A row `queued` and untouched for longer than the
    stale time plus the longest retry backoff gets its task queued again (the claim makes a
    duplicate task harmless). Side effects: those status changes, and send tasks queued on commit.
    """
    # Import inside: the task <-> service pair (engage.mail.tasks imports this module).
    from engage.mail.tasks import emails_send_batch_task

    if stale_after is None:
        stale_after = stale_claim_after()
    now = timezone.now()
    with transaction.atomic():
        stale = list(
            OutboundEmail.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(status=EmailStatus.SENDING, claimed_at__lt=now - stale_after)
            .values_list("pk", "esp_message_id")
        )
        stale_ids = {pk for pk, _ in stale}
        evidence = {pk for pk, esp_id in stale if esp_id}
        evidence |= set(
            EmailEvent.objects.filter(email_id__in=stale_ids).values_list("email_id", flat=True)
        )
        evidence |= _accepted_by_last_hop(stale_ids - evidence)
        # A row that keeps killing its worker (or keeps being interrupted) stops being retried.
        worn_out = set(
            OutboundEmail.objects.filter(
                pk__in=stale_ids - evidence, attempts__gte=settings.ENGAGE_MAIL_MAX_ATTEMPTS
            ).values_list("pk", flat=True)
        )
        OutboundEmail.objects.filter(pk__in=worn_out).update(
            status=EmailStatus.FAILED,
            error="interrupted during every attempt to send it",
            updated_at=now,
        )
        resend = sorted(stale_ids - evidence - worn_out)
        OutboundEmail.objects.filter(pk__in=evidence).update(
            status=EmailStatus.SENT,
            sent_at=now,
            error="settled after an interrupted hand-over: the ESP had it",
            updated_at=now,
        )
        OutboundEmail.objects.filter(pk__in=resend).update(
            status=EmailStatus.QUEUED,
            claimed_at=None,
            error="sent again after an interrupted hand-over",
            updated_at=now,
        )
        # Rows a task held but never reached: its worker died before claiming them.
        held = list(
            OutboundEmail.objects.filter(
                status=EmailStatus.QUEUED, claimed_at__lt=now - stale_after
            ).values_list("pk", flat=True)[:10000]
        )
        OutboundEmail.objects.filter(pk__in=held).update(claimed_at=None)
        lost_cutoff = now - stale_after - timedelta(seconds=settings.ENGAGE_MAIL_RETRY_MAX_SECONDS)
        lost = list(
            OutboundEmail.objects.filter(status=EmailStatus.QUEUED, updated_at__lt=lost_cutoff)
            .exclude(pk__in=held)
            .values_list("pk", flat=True)[:10000]
        )
        # Owed rows: the broker refused their task at commit. Cleared before queueing; a
        # refusal now marks them owed again (hand_to_broker), for the next sweep.
        owed = list(
            OutboundEmail.objects.filter(status=EmailStatus.QUEUED, owed_at__isnull=False)
            .exclude(pk__in=lost + held)
            .values_list("pk", flat=True)[:10000]
        )
        OutboundEmail.objects.filter(pk__in=owed).update(owed_at=None)
        to_queue = resend + held + lost + owed
        size = max(1, settings.ENGAGE_MAIL_BATCH_SIZE)
        for start in range(0, len(to_queue), size):
            chunk = to_queue[start : start + size]
            transaction.on_commit(
                lambda chunk=chunk: hand_to_broker(emails_send_batch_task, chunk, chunk)
            )
    if stale_ids or held or lost or owed:
        logger.warning(
            "mail reconciled",
            extra={
                "settled": sorted(evidence),
                "resent": resend,
                "held": len(held),
                "requeued": len(lost),
                "owed": len(owed),
            },
        )
    return {
        "settled": sorted(evidence),
        "resent": resend,
        "failed": sorted(worn_out),
        "held": held,
        "requeued": lost,
        "owed": owed,
    }


def stale_claim_after() -> timedelta:
    """How long a claim may stay `sending` before the sweep takes its worker for dead."""
    return timedelta(minutes=settings.ENGAGE_MAIL_STALE_CLAIM_MINUTES)
