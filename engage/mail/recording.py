"""Recording each ESP call's outcome as it returns: `sent` with the ESP's message id, `failed`,
or `queued` again with backoff for a transient error (engage.mail.sending has the life of a row)."""

import random
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection as db_connection
from django.db import transaction
from django.utils import timezone

from engage import sql
from engage.enums import EmailStatus
from engage.mail.esp import CallResults
from engage.models import OutboundEmail

# What a row the ESP accepted may be found in when the call returns: still `sending`, or withdrawn
# meanwhile (`suppressed`: a newer calendar update superseded it, events.notices.changes). The
# ESP's answer wins: the message went, so the row says sent. A webhook may already have moved a
# row on (delivered, bounced): that is left as it is.
SENT_FROM = (EmailStatus.SENDING, EmailStatus.SUPPRESSED)


@dataclass
class SendOutcome:
    sent: list[int] = field(default_factory=list)
    suppressed: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    retry: list[int] = field(default_factory=list)
    retry_in: float = 0.0
    skipped: int = 0  # not queued (already handled, or claimed by another worker)


def retry_delay(*, attempt: int) -> float:
    """Seconds before retry number `attempt` (1-based): exponential, capped, with jitter so a
    burst of failures does not come back as a burst."""
    base = settings.ENGAGE_MAIL_RETRY_BASE_SECONDS * 2 ** max(0, attempt - 1)
    ceiling = min(settings.ENGAGE_MAIL_RETRY_MAX_SECONDS, base)
    return random.uniform(ceiling / 2, ceiling)


def _record_sent(results: CallResults, by_id: dict[int, OutboundEmail], now) -> None:
    rendered = {row.pk for row in results.rendered}
    if db_connection.vendor == "postgresql":
        ids = list(results.sent)
        bodies = [
            (by_id[pk].subject, by_id[pk].body_text, by_id[pk].body_html)
            if pk in rendered
            else (None, None, None)
            for pk in ids
        ]
        sql.emails_record_sent(
            ids=ids,
            esp_ids=[results.sent[pk] for pk in ids],
            subjects=[subject for subject, _, _ in bodies],
            bodies_text=[text for _, text, _ in bodies],
            bodies_html=[html for _, _, html in bodies],
            now=now,
        )
        return
    sent_ids = list(results.sent)
    for pk, esp_id in results.sent.items():
        by_id[pk].esp_message_id = esp_id
    OutboundEmail.objects.bulk_update(
        [by_id[pk] for pk in sent_ids if by_id[pk].esp_message_id],
        ["esp_message_id"],
        batch_size=500,
    )
    OutboundEmail.objects.bulk_update(
        [by_id[pk] for pk in sent_ids if pk in rendered],
        ["subject", "body_text", "body_html"],
        batch_size=500,
    )
    OutboundEmail.objects.filter(pk__in=sent_ids).update(sent_at=now, error="", updated_at=now)
    OutboundEmail.objects.filter(pk__in=sent_ids, status__in=SENT_FROM).update(
        status=EmailStatus.SENT
    )


def _by_error(errors: dict[int, str]) -> dict[str, list[int]]:
    grouped: dict[str, list[int]] = {}
    for pk, error in errors.items():
        grouped.setdefault(error, []).append(pk)
    return grouped


def results_record(results: CallResults, rows: list[OutboundEmail], outcome: SendOutcome) -> None:
    now = timezone.now()
    by_id = {row.pk: row for row in rows}
    with transaction.atomic():
        if results.sent:
            _record_sent(results, by_id, now)
        max_attempts = settings.ENGAGE_MAIL_MAX_ATTEMPTS
        worn_out, retry = {}, {}
        for pk, error in results.transient.items():
            if by_id[pk].attempts >= max_attempts:
                worn_out[pk] = f"gave up after {by_id[pk].attempts} attempts: {error}"
            else:
                retry[pk] = error
        # One UPDATE per distinct error (a failing ESP call fails its whole batch alike).
        for error, pks in _by_error({**results.failed, **worn_out}).items():
            OutboundEmail.objects.filter(pk__in=pks).update(
                status=EmailStatus.FAILED, error=error, updated_at=now
            )
        for error, pks in _by_error(retry).items():
            OutboundEmail.objects.filter(pk__in=pks).update(
                status=EmailStatus.QUEUED, error=error, claimed_at=None, updated_at=now
            )
        results.failed.update({pk: results.transient[pk] for pk in worn_out})
    outcome.retry.extend(retry)
    outcome.sent.extend(results.sent)
    outcome.failed.extend(results.failed)
    if retry:
        delay = retry_delay(attempt=max(by_id[pk].attempts for pk in retry))
        outcome.retry_in = max(outcome.retry_in, delay)
