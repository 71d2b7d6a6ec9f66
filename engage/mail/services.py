"""The one outbound-mail path. Every email the system sends is queued here and sent by a task.

- `email_queue`: one email, rendered now (with its calendar part, if any).
- `email_queue_rendered`: one email rendered elsewhere (allauth's account mail).
- `emails_queue_bulk`: many emails from one template with per-recipient merge data; rendered at
  send time, here or by the ESP in batches (engage.mail.sending).
- `engage.sql.emails_insert_sql`: the same rows from SQL, for a caller that writes its own rows in
  the same statement (a campaign's invitations on PostgreSQL).
What the ESP's webhooks report is recorded in engage.mail.webhooks.
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from kombu.exceptions import OperationalError as KombuOperationalError

from engage import sql
from engage.enums import EmailStatus
from engage.mail.rendering import email_render as _email_render
from engage.mail.rendering import footer_context, stakeholder_links
from engage.models import ConsentPurpose, OutboundEmail

logger = logging.getLogger(__name__)


def email_render(*, template: str, context: dict) -> tuple[str, str, str]:
    """Subject, text and HTML bodies from templates/emails/<template>_{subject.txt,message.txt,
    message.html} (no footer; see engage.mail.rendering)."""
    return _email_render(template=template, context=context)


def _owe(email_ids: list[int], exc: Exception) -> None:
    """The broker did not take the send task: the row stays `queued` and is marked owed, so the
    reconcile sweep (beat, every minute) queues it once the broker answers again. A page that
    committed a row must not fail because the broker is away."""
    OutboundEmail.objects.filter(pk__in=email_ids, status=EmailStatus.QUEUED).update(
        owed_at=timezone.now()
    )
    logger.warning(
        "email owed: broker unavailable",
        extra={"email_ids": email_ids[:50], "count": len(email_ids), "error": type(exc).__name__},
    )


def hand_to_broker(task, email_ids: list[int], *args) -> bool:
    """`task.delay(*args)`, or mark `email_ids` owed when the broker cannot be reached."""
    try:
        task.delay(*args)
    except (KombuOperationalError, OSError) as exc:
        _owe(email_ids, exc)
        return False
    return True


def _queue_send(email_id: int) -> None:
    # Import inside: engage.mail.tasks imports engage.mail.sending, which the task <-> service
    # pair keeps one-way at import time (Celery's task registry loads the tasks module).
    from engage.mail.tasks import email_send_task

    transaction.on_commit(lambda: hand_to_broker(email_send_task, [email_id], email_id))


def _create_once(fields: dict) -> OutboundEmail:
    """Create the row, or return the one that already has its dedupe key (also when another
    transaction created it a moment ago: the unique constraint decides)."""
    dedupe_key = fields.get("dedupe_key")
    if dedupe_key:
        existing = OutboundEmail.objects.filter(dedupe_key=dedupe_key).first()
        if existing is not None:
            return existing
        try:
            with transaction.atomic():
                return OutboundEmail.objects.create(**fields)
        except IntegrityError:
            return OutboundEmail.objects.get(dedupe_key=dedupe_key)
    return OutboundEmail.objects.create(**fields)


def email_queue(
    *,
    to_email: str,
    template: str,
    context: dict,
    stakeholder=None,
    purpose_slug: str | None = None,
    dedupe_key: str | None = None,
    calendar: str = "",
    calendar_method: str = "",
    headers: dict | None = None,
    send: bool = True,
) -> OutboundEmail:
    """Persist one email and send it after commit.

    Renders subject, text and HTML now; mail to a stakeholder gets the footer with their
    preferences link (and, with a purpose, the one-click unsubscribe link; the List-Unsubscribe
    headers are added at send time). Side effects: creates an OutboundEmail row (or returns the
    existing one for `dedupe_key`) and, unless `send=False` (the caller then hands the ids to
    `emails_send_batch`), queues `engage.mail.send` on commit. Mail with a purpose is sent only
    if the stakeholder's consent for it still stands at send time. Raises
    ConsentPurpose.DoesNotExist for an unknown purpose.
    """
    if dedupe_key:
        existing = OutboundEmail.objects.filter(dedupe_key=dedupe_key).first()
        if existing is not None:
            return existing
    purpose = ConsentPurpose.objects.get(slug=purpose_slug) if purpose_slug else None
    footer = None
    if stakeholder is not None:
        footer = footer_context(
            purpose_name=purpose.name if purpose else "",
            links=stakeholder_links(
                stakeholder=stakeholder, purpose_slug=purpose_slug or "", sent_to=to_email
            ),
        )
    subject, text, html = _email_render(template=template, context=context, footer=footer)
    email = _create_once(
        {
            "stakeholder": stakeholder,
            "to_email": to_email,
            "purpose": purpose,
            "template": template,
            "subject": subject,
            "body_text": text,
            "body_html": html,
            "calendar": calendar,
            "calendar_method": calendar_method,
            "headers": headers or {},
            "dedupe_key": dedupe_key,
        }
    )
    if send and email.status == EmailStatus.QUEUED:
        _queue_send(email.pk)
    logger.info("email queued", extra={"email_id": email.pk, "template": template})
    return email


def email_queue_rendered(
    *, to_email: str, template: str, subject: str, text: str, html: str = "", headers=None
) -> OutboundEmail:
    """Persist one transactional email rendered by the caller (allauth's account mail) and send
    it after commit. No purpose, so consent never holds it back. Side effects: one OutboundEmail
    row, `engage.mail.send` queued on commit."""
    email = OutboundEmail.objects.create(
        to_email=to_email,
        template=template,
        subject=subject,
        body_text=text,
        body_html=html,
        headers=headers or {},
    )
    _queue_send(email.pk)
    logger.info("email queued", extra={"email_id": email.pk, "template": template})
    return email


@dataclass(frozen=True)
class BulkRecipient:
    """One recipient of a bulk send. `values` are theirs alone (`{{ recipient.<key> }}` in the
    template); keep them plain text, since the ESP may substitute them into a batch skeleton."""

    to_email: str
    stakeholder_id: int | None
    values: dict = field(default_factory=dict)
    dedupe_key: str | None = None
    # This recipient's own iCalendar part (their copy of a meeting), sent with the send's
    # `calendar_method`; a row with one is rendered here, never in an ESP-side batch.
    calendar: str = ""


def emails_queue_bulk(
    *,
    template: str,
    context: dict,
    recipients: Iterable[BulkRecipient],
    purpose_slug: str | None,
    calendar_method: str = "",
    send: bool = True,
) -> list[int]:
    """Persist one email per recipient and queue batch send tasks after commit.

    `context` is shared by every recipient and must be JSON (ids, titles, ISO dates). Nothing is
    rendered now: the sender renders each message, or has the ESP render a batch from merge data,
    so queueing 10,000 is one bulk insert. A recipient whose dedupe key already has a row gets no
    second one (its existing row id is returned). Side effects: OutboundEmail rows; unless
    `send=False`, one `engage.mail.send_batch` task per ENGAGE_MAIL_BATCH_SIZE ids, on commit.
    When every recipient has a dedupe key, each block of 10,000 commits (and starts sending) on
    its own, outside a caller's transaction; otherwise the rows are created all or nothing.
    Without a purpose (a notice about the person's own place, or operational mail to staff) no
    consent is asked at send time; a recipient without a stakeholder gets no preferences footer.
    With `calendar_method`, each recipient's `calendar` goes with their email as that METHOD.
    Returns the ids. Raises ConsentPurpose.DoesNotExist for an unknown purpose.
    """
    purpose = ConsentPurpose.objects.get(slug=purpose_slug) if purpose_slug else None
    recipients = list(recipients)
    insert = sql.emails_insert_rows if connection.vendor == "postgresql" else _insert_bulk
    # Statements of a bounded size: the SQL for 100,000 rows at once held hundreds of megabytes.
    chunks = [
        recipients[start : start + settings.ENGAGE_MAIL_BULK_STATEMENT_ROWS]
        for start in range(0, len(recipients), settings.ENGAGE_MAIL_BULK_STATEMENT_ROWS)
    ]
    ids = []
    if all(recipient.dedupe_key for recipient in recipients):
        # Each statement commits on its own and its send tasks go out on that commit, so the
        # first mails leave while the rest is still being queued (100,000 took 5 s to queue).
        # An interrupted call repeated with the same keys creates no second row. Inside a
        # caller's transaction these are savepoints and everything waits for its commit.
        for chunk in chunks:
            with transaction.atomic():
                chunk_ids = insert(
                    template=template,
                    context=context,
                    recipients=chunk,
                    purpose=purpose,
                    calendar_method=calendar_method,
                )
                if send:
                    emails_send_batch_queue(email_ids=sorted(chunk_ids))
            ids += chunk_ids
    else:
        # Without keys a repeated call could not tell what was already queued: all or nothing.
        with transaction.atomic():
            for chunk in chunks:
                ids += insert(
                    template=template,
                    context=context,
                    recipients=chunk,
                    purpose=purpose,
                    calendar_method=calendar_method,
                )
        if send:
            emails_send_batch_queue(email_ids=sorted(ids))
    ids.sort()
    logger.info("emails queued", extra={"count": len(ids), "template": template})
    return ids


def _insert_bulk(*, template, context, recipients, purpose, calendar_method) -> list[int]:
    now = timezone.now()
    rows = [
        OutboundEmail(
            stakeholder_id=recipient.stakeholder_id,
            to_email=recipient.to_email,
            purpose=purpose,
            template=template,
            context={**context, "recipient": recipient.values},
            dedupe_key=recipient.dedupe_key,
            calendar=recipient.calendar if calendar_method else "",
            calendar_method=calendar_method,
            queued_at=now,
        )
        for recipient in recipients
    ]
    keys = [row.dedupe_key for row in rows if row.dedupe_key]
    if not keys:
        return [row.pk for row in OutboundEmail.objects.bulk_create(rows, batch_size=2000)]
    OutboundEmail.objects.bulk_create(rows, batch_size=2000, ignore_conflicts=True)
    ids = []
    for start in range(0, len(keys), 5000):
        ids += OutboundEmail.objects.filter(dedupe_key__in=keys[start : start + 5000]).values_list(
            "pk", flat=True
        )
    return ids


def emails_send_batch_queue(*, email_ids: list[int]) -> None:
    """Queue `engage.mail.send_batch` for these emails, ENGAGE_MAIL_BATCH_SIZE ids per task, on
    commit. Safe to repeat: only rows still `queued` are sent."""
    # Import inside: the task <-> service pair (see _queue_send).
    from engage.mail.tasks import emails_send_batch_task

    size = max(1, settings.ENGAGE_MAIL_BATCH_SIZE)
    chunks = [email_ids[start : start + size] for start in range(0, len(email_ids), size)]

    def _queue():
        for at, chunk in enumerate(chunks):
            if not hand_to_broker(emails_send_batch_task, chunk, chunk):
                # One refusal is enough: the rest would each wait out the publish retries.
                rest = [pk for later in chunks[at + 1 :] for pk in later]
                if rest:
                    _owe(rest, ConnectionError("broker unavailable"))
                return

    transaction.on_commit(_queue)
