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

import json
import logging
import queue
import random
import smtplib
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from email import headerregistry
from email import policy as email_policy

from anymail.exceptions import AnymailAPIError
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, mailers
from django.db import connection as db_connection
from django.db import connections as db_connections
from django.db import transaction
from django.db.models import F, OuterRef, Subquery
from django.utils import timezone, translation

from engage import sql
from engage.enums import ConsentAction, EmailStatus, SuppressionReason
from engage.mail.backends import EMAIL_ID_HEADER
from engage.mail.rendering import (
    email_render,
    email_render_skeleton,
    footer_context,
    merge_values,
    stakeholder_links,
    unsubscribe_headers,
)
from engage.mail.services import hand_to_broker
from engage.mail.throttle import throttle_wait
from engage.models import ConsentRecord, EmailEvent, OutboundEmail, Suppression
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


_THROTTLED = {"Throttling", "ThrottlingException", "TooManyRequestsException"}


def _status_code(exc: AnymailAPIError) -> int | None:
    if exc.status_code:
        return int(exc.status_code)
    response = getattr(exc, "response", None)
    if isinstance(response, dict):  # boto3 ClientError response (Amazon SES)
        return response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return None


def is_transient(exc: Exception) -> bool:
    """429, 5xx and network trouble are worth retrying; any other refusal is final."""
    if isinstance(exc, AnymailAPIError):
        response = getattr(exc, "response", None)
        if isinstance(response, dict) and response.get("Error", {}).get("Code") in _THROTTLED:
            return True  # SES has answered throttling with a 400 in the past
        code = _status_code(exc)
        return code is None or code == 429 or code >= 500
    if isinstance(exc, smtplib.SMTPResponseException):
        return 400 <= exc.smtp_code < 500
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return False
    return isinstance(exc, (smtplib.SMTPServerDisconnected, OSError))


def _describe(exc: Exception) -> str:
    code = _status_code(exc) if isinstance(exc, AnymailAPIError) else None
    kind = type(exc).__name__
    return f"{kind} (status {code})" if code else kind


def _suppresses(reason: str | None, row: OutboundEmail) -> bool:
    """An unsubscribe holds back engagement mail (a purpose) only: the confirmation of a
    registration just made still goes. A bounce, complaint or staff entry holds back everything
    but account mail, which the person asked for this minute."""
    if reason is None:
        return False
    if reason == SuppressionReason.UNSUBSCRIBE:
        return bool(row.purpose_id)
    return not row.template.startswith(ACCOUNT_TEMPLATE_PREFIX)


# --- 1. Claim ---------------------------------------------------------------------------------
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


# --- 2. Hand-over -----------------------------------------------------------------------------
def _links(row: OutboundEmail) -> dict[str, str]:
    # Kept on the row: rendering and the unsubscribe headers both need them (signing costs).
    links = getattr(row, "_engage_links", None)
    if links is None:
        links = {}
        if row.stakeholder is not None:
            links = stakeholder_links(
                stakeholder=row.stakeholder,
                purpose_slug=row.purpose.slug if row.purpose else "",
                sent_to=row.to_email,
            )
        row._engage_links = links
    return links


def _render_here(row: OutboundEmail) -> bool:
    """Rows queued in bulk carry a template and merge data; render them now, once."""
    if row.body_text:
        return False
    links = _links(row)
    context = {**row.context}
    context["recipient"] = {**context.get("recipient", {}), **links}
    footer = (
        footer_context(purpose_name=row.purpose.name if row.purpose else "", links=links)
        if links
        else None
    )
    row.subject, row.body_text, row.body_html = email_render(
        template=row.template, context=context, footer=footer
    )
    return True


class _HeaderRegistry(headerregistry.HeaderRegistry):
    """The standard registry builds a new class for every header of every message (type() on
    each lookup; about 6% of the CPU of sending a rendered message as raw MIME). The classes hold
    no state, so one per header name does."""

    def __init__(self):
        super().__init__()
        self._classes: dict[str, type] = {}

    def __getitem__(self, name):
        key = name.lower()
        cls = self._classes.get(key)
        if cls is None:
            cls = self._classes[key] = super().__getitem__(name)
        return cls


class _URLListHeader(headerregistry.UnstructuredHeader):
    """List-Unsubscribe is `<https://...>`: ASCII with no spaces to fold at. The default policy
    then RFC 2047-encodes it to keep lines under 78 characters, and mailbox providers do not
    decode that header. Written whole instead (a line may have 998 characters)."""

    def fold(self, *, policy):
        return f"{self.name}: {self}{policy.linesep}"


_REGISTRY = _HeaderRegistry()
_REGISTRY.map_to_type("list-unsubscribe", _URLListHeader)
_POLICY = email_policy.default.clone(header_factory=_REGISTRY)


class _EmailMessage(EmailMultiAlternatives):
    def message(self, *, policy=_POLICY):
        # The SMTP backend asks for email.policy.SMTP (CRLF line ends): keep our headers there too.
        if policy.header_factory is not _REGISTRY:
            policy = policy.clone(header_factory=_REGISTRY)
        return super().message(policy=policy)


def email_build_message(email: OutboundEmail) -> EmailMultiAlternatives:
    """The message for one row: text and HTML bodies, calendar parts, the unsubscribe headers."""
    headers = {**email.headers, EMAIL_ID_HEADER: str(email.pk)}
    if email.purpose_id and email.stakeholder_id:
        headers.update(unsubscribe_headers(_links(email).get("unsubscribe_url", "")))
    message = _EmailMessage(
        subject=email.subject, body=email.body_text, to=[email.to_email], headers=headers
    )
    # anymail: travels as a header at SES and comes back in webhook events (reconciliation).
    message.metadata = {"email_id": str(email.pk)}
    # Without calendar parts SES can assemble the MIME itself (engage.mail.backends).
    message.engage_simple_content = not email.calendar
    if email.body_html:
        message.attach_alternative(email.body_html, "text/html")
    if email.calendar:
        method = email.calendar_method or "PUBLISH"
        message.attach_alternative(email.calendar, f"text/calendar; method={method}")
        message.attach("invite.ics", email.calendar, f"application/ics; method={method}")
    return message


def _esp_message_id(message) -> str:
    status = getattr(message, "anymail_status", None)
    return (status.message_id or "") if status is not None else ""


@dataclass
class _Results:
    sent: dict[int, str] = field(default_factory=dict)  # email id -> ESP message id
    rendered: list[OutboundEmail] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)  # email id -> error
    transient: dict[int, str] = field(default_factory=dict)

    def merge(self, other: "_Results") -> None:
        self.sent.update(other.sent)
        self.rendered += other.rendered
        self.failed.update(other.failed)
        self.transient.update(other.transient)


def _withdrawn(row: OutboundEmail) -> bool:
    """A calendar update claimed with its batch may be withdrawn before its turn comes (a newer
    SEQUENCE of the same entry supersedes it: events.notices.changes); it is looked at again just
    before its ESP call. Only rows with a calendar part, so a campaign pays nothing for it."""
    if not row.calendar:
        return False
    return not OutboundEmail.objects.filter(pk=row.pk, status=EmailStatus.SENDING).exists()


def _send_one_by_one(connection, rows: list[OutboundEmail], emit) -> None:
    """One ESP call per row; each outcome goes to `emit` as soon as the call returns."""
    throttle_wait(len(rows))
    for index, row in enumerate(rows):
        results = _Results()
        if _withdrawn(row):
            logger.info("email withdrawn before sending", extra={"email_id": row.pk})
            continue
        try:
            # Rendering sits inside the try: a template error fails this row, never the batch.
            if _render_here(row):
                results.rendered.append(row)
            message = email_build_message(row)
            connection.send_messages([message])
        except Exception as exc:
            if not is_transient(exc):
                logger.warning("email failed", extra={"email_id": row.pk, "error": _describe(exc)})
                results.failed[row.pk] = _describe(exc)
                emit(results)
                continue
            # The ESP is struggling: stop here and put this row and the rest back in the queue.
            for later in rows[index:]:
                results.transient[later.pk] = _describe(exc)
            emit(results)
            return
        results.sent[row.pk] = _esp_message_id(message)
        emit(results)


def _batch_key(row: OutboundEmail) -> str:
    shared = {k: v for k, v in row.context.items() if k != "recipient"}
    return json.dumps([row.template, row.purpose_id, shared], sort_keys=True, default=str)


def _send_esp_batch(connection, rows: list[OutboundEmail], emit) -> None:
    """One SendBulkEmail call: the skeleton once, each recipient's values as merge data; its
    outcome goes to `emit` as soon as the call returns."""
    results = _Results()
    try:
        _send_esp_batch_call(connection, rows, results)
    finally:
        emit(results)


def _send_esp_batch_call(connection, rows: list[OutboundEmail], results: _Results) -> None:
    first = rows[0]
    merge_fields = sorted({key for row in rows for key in row.context.get("recipient", {})})
    try:
        subject, text, html = email_render_skeleton(
            template=first.template,
            context={k: v for k, v in first.context.items() if k != "recipient"},
            merge_fields=merge_fields,
            purpose_name=first.purpose.name,
        )
    except Exception as exc:  # a template error: these rows can never be sent as they are
        logger.warning("email batch unrenderable", extra={"email_id": first.pk})
        for row in rows:
            results.failed[row.pk] = _describe(exc)
        return
    message = EmailMultiAlternatives(subject="", body="", to=[row.to_email for row in rows])
    message.engage_template_content = {"subject": subject, "text": text, "html": html}
    message.merge_data = {}
    message.merge_headers = {}
    message.merge_metadata = {}
    for row in rows:
        links = _links(row)
        values = {field_: "" for field_ in merge_fields}
        values.update(row.context.get("recipient", {}))
        values.update(links)
        message.merge_data[row.to_email] = merge_values(values)
        message.merge_headers[row.to_email] = {
            **row.headers,
            **unsubscribe_headers(links["unsubscribe_url"]),
            EMAIL_ID_HEADER: str(row.pk),
        }
        message.merge_metadata[row.to_email] = {"email_id": str(row.pk)}
    throttle_wait(len(rows))
    try:
        connection.send_messages([message])
    except Exception as exc:
        target = results.transient if is_transient(exc) else results.failed
        for row in rows:
            target[row.pk] = _describe(exc)
        return
    statuses = message.anymail_status.recipients
    for row in rows:
        status = statuses.get(row.to_email)
        if status is not None and status.status in {"queued", "sent"}:
            results.sent[row.pk] = status.message_id or ""
        else:
            results.failed[row.pk] = (
                f"refused by the ESP ({status.status if status else 'no status'})"
            )


def _esp_batches(connection, rows: list[OutboundEmail]) -> tuple[list[list], list]:
    """Split rows into ESP-side batches (same template and shared context, one address at most
    once per call, within the ESP's per-call limit) and rows to render here."""
    if not (settings.ENGAGE_MAIL_ESP_BATCH and getattr(connection, "supports_inline_batch", False)):
        return [], rows
    limit = _call_size(connection)
    groups: dict[str, list[list[OutboundEmail]]] = {}
    single = []
    for row in rows:
        if row.body_text or row.calendar or not (row.purpose_id and row.stakeholder_id):
            single.append(row)
            continue
        batches = groups.setdefault(_batch_key(row), [])
        for batch in batches:
            if len(batch) < limit and all(other.to_email != row.to_email for other in batch):
                batch.append(row)
                break
        else:
            batches.append([row])
    return [batch for batches in groups.values() for batch in batches], single


def _hand_over(connection, rows: list[OutboundEmail], record) -> None:
    """Every ESP call a claimed chunk needs, ENGAGE_MAIL_SEND_THREADS at a time (the calls wait
    on the network, so a slow ESP costs latency once per round, not once per call). `record` gets
    each call's outcome as soon as it returns, in this thread (it writes to the database), so a
    worker killed here repeats at most the calls in flight."""
    batches, single = _esp_batches(connection, rows)
    size = _call_size(connection)
    calls = [(_send_esp_batch, batch) for batch in batches]
    calls += [(_send_one_by_one, single[at : at + size]) for at in range(0, len(single), size)]
    threads = min(max(1, settings.ENGAGE_MAIL_SEND_THREADS), len(calls))
    if threads <= 1:
        for send, part in calls:
            send(connection, part, record)
        return

    language = translation.get_language()  # active per thread: the calls render in this one's
    done: queue.SimpleQueue = queue.SimpleQueue()

    def run(call) -> None:
        send, part = call
        try:
            with translation.override(language):
                send(connection, part, done.put)
        finally:
            db_connections.close_all()  # a thread's own database connection, if it opened one

    def drain(first: _Results | None) -> None:
        merged = first or _Results()
        while True:  # whatever else has arrived meanwhile goes in the same UPDATE
            try:
                merged.merge(done.get_nowait())
            except queue.Empty:
                break
        if merged.sent or merged.failed or merged.transient:
            record(merged)

    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="engage-mail") as pool:
        futures = [pool.submit(run, call) for call in calls]
        while not all(future.done() for future in futures):
            try:
                drain(done.get(timeout=0.05))
            except queue.Empty:
                continue
        drain(None)
        for future in futures:
            future.result()  # an unexpected error in a thread is not swallowed


# --- 3. Record --------------------------------------------------------------------------------
def _record_sent(results: _Results, by_id: dict[int, OutboundEmail], now) -> None:
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
    # A webhook may already have moved a row on (delivered); only `sending` becomes sent.
    OutboundEmail.objects.filter(pk__in=sent_ids, status=EmailStatus.SENDING).update(
        status=EmailStatus.SENT
    )


def _by_error(errors: dict[int, str]) -> dict[str, list[int]]:
    grouped: dict[str, list[int]] = {}
    for pk, error in errors.items():
        grouped.setdefault(error, []).append(pk)
    return grouped


def _record(results: _Results, rows: list[OutboundEmail], outcome: SendOutcome) -> None:
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


def _call_size(connection) -> int:
    """Rows one ESP call (or one thread's run of single sends) takes: ENGAGE_MAIL_ESP_CALL_SIZE,
    within the ESP's own limit. What a kill can repeat is at most this times the threads."""
    return max(
        1,
        min(
            settings.ENGAGE_MAIL_ESP_CALL_SIZE,
            settings.ENGAGE_MAIL_BATCH_SIZE,
            getattr(connection, "max_batch_size", 50),
        ),
    )


def _claim_size(connection) -> int:
    """Rows claimed at once: one round of ESP calls (ENGAGE_MAIL_SEND_THREADS calls of
    ENGAGE_MAIL_ESP_CALL_SIZE), so rows are `sending` only while their call is about to go or in
    flight; and never more than the throttle lets go in a quarter of the stale-claim time, so a
    live claim never looks like a dead worker's."""
    size = max(1, settings.ENGAGE_MAIL_SEND_THREADS) * _call_size(connection)
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
            _hand_over(connection, rows, lambda results, rows=rows: _record(results, rows, outcome))
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


# --- Settling what a dead worker left -----------------------------------------------------------
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
