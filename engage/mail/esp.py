"""The hand-over: the ESP calls a claimed chunk needs, one SendBulkEmail call per batch of
merge-data rows where the ESP supports it, else one message per row, several calls at a time.
Each call's outcome goes back to the caller as soon as it returns (engage.mail.recording).
Which ESP errors are worth retrying is decided here (`is_transient`)."""

import json
import logging
import queue
import smtplib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from anymail.exceptions import AnymailAPIError
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import connections as db_connections
from django.utils import translation

from engage.enums import EmailStatus
from engage.mail.backends import EMAIL_ID_HEADER
from engage.mail.message import email_build_message, esp_message_id, row_links, row_render
from engage.mail.rendering import (
    email_render_skeleton,
    merge_values,
    unsubscribe_headers,
)
from engage.mail.throttle import throttle_wait
from engage.models import OutboundEmail

logger = logging.getLogger(__name__)


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


@dataclass
class CallResults:
    sent: dict[int, str] = field(default_factory=dict)  # email id -> ESP message id
    rendered: list[OutboundEmail] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)  # email id -> error
    transient: dict[int, str] = field(default_factory=dict)

    def merge(self, other: "CallResults") -> None:
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
        results = CallResults()
        if _withdrawn(row):
            logger.info("email withdrawn before sending", extra={"email_id": row.pk})
            continue
        try:
            # Rendering sits inside the try: a template error fails this row, never the batch.
            if row_render(row):
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
        results.sent[row.pk] = esp_message_id(message)
        emit(results)


def _batch_key(row: OutboundEmail) -> str:
    shared = {k: v for k, v in row.context.items() if k != "recipient"}
    return json.dumps([row.template, row.purpose_id, shared], sort_keys=True, default=str)


def _send_esp_batch(connection, rows: list[OutboundEmail], emit) -> None:
    """One SendBulkEmail call: the skeleton once, each recipient's values as merge data; its
    outcome goes to `emit` as soon as the call returns."""
    results = CallResults()
    try:
        _send_esp_batch_call(connection, rows, results)
    finally:
        emit(results)


def _send_esp_batch_call(connection, rows: list[OutboundEmail], results: CallResults) -> None:
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
        links = row_links(row)
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
    limit = call_size(connection)
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


def hand_over(connection, rows: list[OutboundEmail], record) -> None:
    """Every ESP call a claimed chunk needs, ENGAGE_MAIL_SEND_THREADS at a time (the calls wait
    on the network, so a slow ESP costs latency once per round, not once per call). `record` gets
    each call's outcome as soon as it returns, in this thread (it writes to the database), so a
    worker killed here repeats at most the calls in flight."""
    batches, single = _esp_batches(connection, rows)
    size = call_size(connection)
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

    def drain(first: CallResults | None) -> None:
        merged = first or CallResults()
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


def call_size(connection) -> int:
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
