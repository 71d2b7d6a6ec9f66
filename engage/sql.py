"""Every raw SQL statement of engage's mail path, in one place, each with why it is not the ORM.

Only table and column names (from the models' meta) are put into the text; every value is a named
parameter. All of it is PostgreSQL's: on SQLite the callers take the ORM's row-by-row path (see
ARCHITECTURE.md). The importers' COPY and typed-array lookups stay beside the writer they serve
(engage/importers/writing.py); the health check's `SELECT 1` beside the check.
"""

import json

from django.db import connection
from django.utils import timezone

from engage.enums import EmailStatus
from engage.models import OutboundEmail

# The columns that differ per recipient; every other column gets one value for the whole insert.
_BULK_VARYING = ("stakeholder_id", "to_email", "context", "dedupe_key")


def emails_insert_sql(
    *, template: str, context: dict, purpose, source: str, calendar_method: str = ""
) -> tuple[str, dict]:
    """PostgreSQL: the INSERT that queues one email per row of the relation `source`, and its
    named parameters (all starting `email_`), for a caller that writes rows of its own in the
    same statement (a campaign's invitations, in a data-modifying WITH). `source` has the columns
    stakeholder_id, to_email, recipient (jsonb: the `recipient` values of `emails_queue_bulk`)
    and dedupe_key (and calendar, text, when `calendar_method` is given: each row's own calendar
    part). A row whose dedupe key already has an email is skipped. The statement returns
    (id, stakeholder_id, dedupe_key) of each email it created; the caller hands the ids to
    `emails_send_batch_queue`. Nothing is rendered now.
    """
    shape = OutboundEmail(
        purpose=purpose,
        template=template,
        queued_at=timezone.now(),
        calendar_method=calendar_method,
    )
    varying = (*_BULK_VARYING, "calendar") if calendar_method else _BULK_VARYING
    columns, select, params = [], [], {}
    for model_field in OutboundEmail._meta.concrete_fields:
        if model_field.primary_key:
            continue
        column = connection.ops.quote_name(model_field.column)
        columns.append(column)
        name = f"email_{model_field.attname}"
        if model_field.attname == "context":
            # The shared part is serialised once; each row adds its recipient's values.
            select.append(
                f"jsonb_build_object('recipient', src.recipient) || CAST(%({name})s AS jsonb)"
            )
            params[name] = json.dumps({k: v for k, v in context.items() if k != "recipient"})
        elif model_field.attname in varying:
            select.append(f"src.{column}")
        else:
            value = model_field.get_db_prep_save(model_field.pre_save(shape, add=True), connection)
            select.append(f"CAST(%({name})s AS {model_field.cast_db_type(connection)})")
            params[name] = value
    # Identifiers come from the model's meta and the caller; every value travels as a parameter.
    sql = "INSERT INTO {} ({}) SELECT {} FROM {} AS src {}".format(  # noqa: S608
        connection.ops.quote_name(OutboundEmail._meta.db_table),
        ", ".join(columns),
        ", ".join(select),
        source,
        "ON CONFLICT DO NOTHING RETURNING id, stakeholder_id, dedupe_key",
    )
    return sql, params


def emails_insert_rows(
    *, template: str, context: dict, recipients, purpose, calendar_method: str = ""
) -> list[int]:
    """PostgreSQL: queue one email per BulkRecipient (engage.mail.services.emails_queue_bulk's
    path there); the ids, those of rows already holding a recipient's dedupe key included.

    One INSERT ... SELECT from one JSON document holding every recipient. bulk_create built a
    model instance and prepared twenty values per row, and per-column arrays were quoted element
    by element (client-side binding); either cost more than the insert itself."""
    insert, params = emails_insert_sql(
        template=template,
        context=context,
        purpose=purpose,
        source="(SELECT * FROM jsonb_to_recordset(CAST(%(recipients)s AS jsonb)) "
        "AS v(stakeholder_id bigint, to_email text, recipient jsonb, dedupe_key text, "
        "calendar text))",
        calendar_method=calendar_method,
    )
    params["recipients"] = json.dumps(
        [
            {
                "stakeholder_id": recipient.stakeholder_id,
                "to_email": recipient.to_email,
                "recipient": recipient.values,
                "dedupe_key": recipient.dedupe_key,
                "calendar": recipient.calendar,
            }
            for recipient in recipients
        ]
    )
    keys = [recipient.dedupe_key for recipient in recipients]
    table = connection.ops.quote_name(OutboundEmail._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(insert, params)
        inserted = cursor.fetchall()
        ids = [pk for pk, _, _ in inserted]
        # Keys that already had a row (a repeated fan-out): their existing ids.
        missing = set(filter(None, keys)) - {key for _, _, key in inserted}
        if missing:
            cursor.execute(
                f"SELECT id FROM {table} WHERE dedupe_key = ANY(%(keys)s::text[])",  # noqa: S608
                {"keys": sorted(missing)},
            )
            ids += [pk for (pk,) in cursor.fetchall()]
    return ids


# Every sent row of a chunk in one UPDATE joined to unnest()ed arrays. The ORM's bulk_update
# builds a CASE per column and row, which cost more than the ESP call it records.
_RECORD_SENT_SQL = """
UPDATE {table} AS e SET
    esp_message_id = COALESCE(NULLIF(v.esp_id, ''), e.esp_message_id),
    subject = COALESCE(v.subject, e.subject),
    body_text = COALESCE(v.body_text, e.body_text),
    body_html = COALESCE(v.body_html, e.body_html),
    sent_at = %(now)s, error = '', updated_at = %(now)s,
    status = CASE WHEN e.status IN (%(sending)s, %(withdrawn)s) THEN %(sent)s ELSE e.status END
FROM unnest(
    %(ids)s::bigint[], %(esp_ids)s::text[], %(subjects)s::text[],
    %(bodies_text)s::text[], %(bodies_html)s::text[]
) AS v(id, esp_id, subject, body_text, body_html)
WHERE e.id = v.id
"""


def emails_record_sent(
    *,
    ids: list[int],
    esp_ids: list[str],
    subjects: list[str | None],
    bodies_text: list[str | None],
    bodies_html: list[str | None],
    now,
) -> None:
    """PostgreSQL: mark these emails sent at `now` with the ESP's message ids; the words of a
    message rendered here are stored with it (None keeps what the row holds). A row withdrawn
    while its ESP call was under way is recorded sent too (see engage.mail.recording)."""
    with connection.cursor() as cursor:
        cursor.execute(
            _RECORD_SENT_SQL.format(table=connection.ops.quote_name(OutboundEmail._meta.db_table)),
            {
                "now": now,
                "sending": EmailStatus.SENDING.value,
                "withdrawn": EmailStatus.SUPPRESSED.value,
                "sent": EmailStatus.SENT.value,
                "ids": ids,
                "esp_ids": esp_ids,
                "subjects": subjects,
                "bodies_text": bodies_text,
                "bodies_html": bodies_html,
            },
        )
