"""Sending persisted emails: claim under a row lock, check consent and suppression, hand over, record.

Life of a row: queued -> sending -> sent | failed | suppressed, then delivered | bounced |
complained from the ESP's webhooks (engage.mail.webhooks).

Exactly-once, as far as it can be had without the ESP's help:
1. Claim: in one short transaction the rows still `queued` are locked (SELECT ... FOR UPDATE SKIP
   LOCKED), consent and the suppression list are checked, and the rows become `sending` with a
   `claimed_at` time. Committed before the ESP is called, so a redelivered or duplicated task finds
   nothing `queued` and sends nothing.
2. Hand-over: the ESP call, outside any transaction (a slow ESP never holds a lock).
3. Record: `sent` with the ESP's message id, `failed` (4xx: never retried), or back to `queued`
   for a transient error (429, 5xx, network) with exponential backoff and jitter, until
   ENGAGE_MAIL_MAX_ATTEMPTS.

Each ESP call's outcome is recorded as soon as it returns, so a worker that dies between 1 and 3
leaves in `sending` only the rows of the calls in flight. After ENGAGE_MAIL_STALE_CLAIM_MINUTES
`emails_reconcile` (beat, every minute) settles each one on evidence: if the ESP reported it (a
webhook event naming the email, whose id travels in every message as metadata and a header) or
the last hop shows it (the outbox folder), it is `sent`; otherwise it is sent again. We resend
rather than park the row for review because a missing sign-in code or invitation costs more than
the rare duplicate left when the ESP accepted a message but its event never arrived.
"""

import logging
import time

from django.conf import settings
from django.core.mail import mailers
from django.db import transaction
from django.db.models import F, OuterRef, Subquery
from django.utils import timezone

from engage.enums import ConsentAction, EmailStatus, SuppressionReason
from engage.mail.esp import call_size, hand_over, is_transient
from engage.mail.message import email_build_message
from engage.mail.reconcile import emails_reconcile, stale_claim_after
from engage.mail.recording import SendOutcome, results_record, retry_delay
from engage.models import ConsentRecord, OutboundEmail, Suppression
from engage.normalise import normalise_email

logger = logging.getLogger(__name__)

# Account mail (sign-in codes, address verification) is asked for by the person, now; it goes out
# even to a suppressed address, or they could never sign in again.
ACCOUNT_TEMPLATE_PREFIX = "account/"


class EmailTransientError(Exception):
    """The hand-over failed in a way worth retrying; the rows named are `queued` again."""

    def __init__(self, message: str, *, email_ids: list[int], retry_in: float):
        super().__init__(message)
        self.email_ids = email_ids
        self.retry_in = retry_in


def _suppresses(reason: str | None, row: OutboundEmail) -> bool:
    """An unsubscribe holds back engagement mail (a purpose) only: the confirmation of a
    registration just made still goes. A bounce, complaint or staff entry holds back everything
    but account mail, which the person asked for this minute."""
    if reason is None:
        return False
    if reason == SuppressionReason.UNSUBSCRIBE:
        return bool(row.purpose_id)
    return not row.template.startswith(ACCOUNT_TEMPLATE_PREFIX)


def _claim(email_ids: list[int], outcome: SendOutcome) -> list[OutboundEmail]:
    now = timezone.now()
    latest_consent = (
        ConsentRecord.objects.filter(
            stakeholder_id=OuterRef("stakeholder_id"), purpose_id=OuterRef("purpose_id")
        )
        .order_by("-at", "-id")
        .values("action")[:1]
    )
    with transaction.atomic():
        rows = list(
            OutboundEmail.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(pk__in=email_ids, status=EmailStatus.QUEUED)
            .annotate(consent_action=Subquery(latest_consent))
            .select_related("stakeholder", "purpose")
            .order_by("pk")
        )
        outcome.skipped = len(set(email_ids)) - len(rows)
        suppressed_addresses = dict(
            Suppression.objects.filter(
                email_normalised__in={normalise_email(row.to_email) for row in rows}
            ).values_list("email_normalised", "reason")
        )
        claimed = []
        for row in rows:
            no_consent = row.purpose_id and not (
                row.stakeholder_id and row.consent_action == ConsentAction.GIVEN
            )
            reason = suppressed_addresses.get(normalise_email(row.to_email))
            if no_consent or _suppresses(reason, row):
                outcome.suppressed.append(row.pk)
            else:
                claimed.append(row)
        if outcome.suppressed:
            OutboundEmail.objects.filter(pk__in=outcome.suppressed).update(
                status=EmailStatus.SUPPRESSED, updated_at=now
            )
        if claimed:
            OutboundEmail.objects.filter(pk__in=[row.pk for row in claimed]).update(
                status=EmailStatus.SENDING,
                claimed_at=now,
                attempts=F("attempts") + 1,
                updated_at=now,
            )
    for row in claimed:
        row.attempts += 1
    return claimed


def _claim_size(connection) -> int:
    """Rows claimed at once: one round of ESP calls (ENGAGE_MAIL_SEND_THREADS calls of
    ENGAGE_MAIL_ESP_CALL_SIZE), so rows are `sending` only while their call is about to go or in
    flight; and never more than the throttle lets go in a quarter of the stale-claim time, so a
    live claim never looks like a dead worker's."""
    size = max(1, settings.ENGAGE_MAIL_SEND_THREADS) * call_size(connection)
    rate = settings.ENGAGE_MAIL_RATE_PER_SECOND
    if rate <= 0:  # no throttle: a chunk goes as fast as the ESP answers
        return size
    return max(1, min(size, int(rate * stale_claim_after().total_seconds() / 4)))


class _Lease:
    """A running task's hold on the rows it has yet to claim: `claimed_at` set while they are
    still `queued`, renewed as the task works through them. If the worker dies, its broker
    message waits out the visibility timeout (an hour), but the reconcile sweep sees the hold
    go stale after ENGAGE_MAIL_STALE_CLAIM_MINUTES and hands the rows to another task."""

    def __init__(self, ids: list[int]):
        self.ids = ids
        self.renew_every = stale_claim_after().total_seconds() / 4
        self.renewed = None

    def keep(self, start: int) -> None:
        now = time.monotonic()
        if self.renewed is not None and now - self.renewed < self.renew_every:
            return
        self.renewed = now
        OutboundEmail.objects.filter(pk__in=self.ids[start:], status=EmailStatus.QUEUED).update(
            claimed_at=timezone.now()
        )


def emails_send_batch(*, email_ids: list[int]) -> SendOutcome:
    """Send these queued emails, claiming one round of ESP calls at a time (ENGAGE_MAIL_SEND_THREADS
    x ENGAGE_MAIL_ESP_CALL_SIZE rows) and holding the rest (see _Lease), at the throttled rate.
    After a transient ESP error no more rounds are claimed: the rest go in `outcome.retry`.

    Side effects: every row named that is still `queued` ends `sent`, `failed`, `suppressed`
    (consent withdrawn or address suppressed), or `queued` again for a retry (listed in
    `outcome.retry`, with `outcome.retry_in` seconds of backoff). Mail goes out through the
    configured mailer: one SES SendBulkEmail call per batch of merge-data rows where the ESP
    supports it, else one message per row. Rows not `queued` are left alone.
    """
    outcome = SendOutcome()
    ids = list(dict.fromkeys(email_ids))
    lease = _Lease(ids)
    with mailers.default as connection:
        size = _claim_size(connection)
        for start in range(0, len(ids), size):
            lease.keep(start)
            rows = _claim(ids[start : start + size], outcome)
            if not rows:
                continue
            hand_over(
                connection, rows, lambda results, rows=rows: results_record(results, rows, outcome)
            )
            if outcome.retry:
                # The ESP is struggling: claim no more; the retry task takes the rest after its
                # backoff, so they are released from this task's hold.
                rest = ids[start + size :]
                OutboundEmail.objects.filter(pk__in=rest, status=EmailStatus.QUEUED).update(
                    claimed_at=None
                )
                outcome.retry.extend(rest)
                break
    logger.info(
        "email batch done",
        extra={
            "sent": len(outcome.sent),
            "failed": len(outcome.failed),
            "suppressed": len(outcome.suppressed),
            "retry": len(outcome.retry),
        },
    )
    return outcome


def email_send(*, email_id: int) -> str:
    """Send one queued email (see `emails_send_batch`); returns the row's status afterwards.

    Raises EmailTransientError when the ESP should be tried again later (the row is `queued`).
    A second call for the same email sends nothing.
    """
    outcome = emails_send_batch(email_ids=[email_id])
    if outcome.retry:
        raise EmailTransientError(
            "transient ESP error", email_ids=outcome.retry, retry_in=outcome.retry_in
        )
    status = OutboundEmail.objects.filter(pk=email_id).values_list("status", flat=True).first()
    return status or "missing"


# The path's public names, importable from here as before the hand-over, the recording and the
# sweep became modules of their own.
__all__ = [
    "ACCOUNT_TEMPLATE_PREFIX",
    "EmailTransientError",
    "SendOutcome",
    "email_build_message",
    "email_send",
    "emails_reconcile",
    "emails_send_batch",
    "is_transient",
    "retry_delay",
    "stale_claim_after",
]
