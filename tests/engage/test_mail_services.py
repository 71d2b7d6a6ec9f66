"""Queueing in bulk (engage.mail.services.emails_queue_bulk): shared and personal values,
block-by-block commits, dedupe keys."""

import contextlib

import pytest
from django.db import OperationalError, connection

from engage.enums import EmailStatus
from engage.mail.services import BulkRecipient, emails_queue_bulk
from engage.models import OutboundEmail
from tests.engage.mail_support import (
    PURPOSE,
    bulk_invitations,
    consented,
)


@pytest.mark.django_db
def test_bulk_queueing_stores_shared_and_personal_values_and_only_adds_the_missing(ses, settings):
    settings.ENGAGE_MAIL_BULK_STATEMENT_ROWS = 1  # one INSERT per recipient
    first, second, third = (consented(first_name=name) for name in ("Ama", "Kofi", "Zoë"))

    ids = bulk_invitations([first, second], send=False)
    later = bulk_invitations([second, third], send=False)

    row = OutboundEmail.objects.get(to_email=first.email)
    assert row.context == {
        "meeting_title": "Public review meeting",
        "meeting_when": "Thursday 25 February 2027, 6pm",
        "subject": "Invitation: public review meeting",
        "meeting_format": "in_person",
        "recipient": {
            "first_name": "Ama",
            "invitation_url": f"http://testserver/register/{first.pk}/",
            "organisation_line": "",
        },
    }
    assert (row.status, row.purpose.slug, row.template, row.stakeholder) == (
        EmailStatus.QUEUED,
        PURPOSE,
        "events/invitation",
        first,
    )
    assert OutboundEmail.objects.count() == 3
    assert later[0] == ids[1]
    assert later[1] == OutboundEmail.objects.get(to_email=third.email).pk


@contextlib.contextmanager
def _database_lost_at_email_insert(number: int):
    """The database connection fails at the `number`th INSERT of email rows (the fault at the
    database edge: the statement never reaches it), as when a worker dies mid-call."""
    table = OutboundEmail._meta.db_table
    inserts = []

    def execute(run, sql, params, many, context):
        if sql.lstrip().upper().startswith("INSERT") and table in sql:
            inserts.append(sql)
            if len(inserts) == number:
                raise OperationalError("server closed the connection unexpectedly")
        return run(sql, params, many, context)

    with connection.execute_wrapper(execute):
        yield inserts


@pytest.mark.django_db(transaction=True)
def test_a_bulk_queue_commits_block_by_block_and_a_repeat_after_an_interruption_adds_nothing(
    ses, settings
):
    settings.ENGAGE_MAIL_BULK_STATEMENT_ROWS = 2
    people = [consented(first_name=f"Name{i}") for i in range(5)]

    with _database_lost_at_email_insert(2), pytest.raises(OperationalError):
        bulk_invitations(people)
    first_block = list(OutboundEmail.objects.order_by("pk"))
    # The first block committed before the interruption, and its commit handed it to the
    # sender (tasks run eagerly in tests): those two were sent, nobody else was.
    assert len(first_block) == 2
    assert {row.status for row in first_block} == {EmailStatus.SENT}
    assert sorted(m.to for m in ses.messages) == sorted(row.to_email for row in first_block)

    ids = bulk_invitations(people)

    assert OutboundEmail.objects.count() == 5
    assert sorted(ids) == sorted(OutboundEmail.objects.values_list("pk", flat=True))
    # Everyone got exactly one message: the repeat queued only the three the first call missed.
    assert sorted(m.to for m in ses.messages) == sorted(p.email for p in people)
    assert set(OutboundEmail.objects.values_list("status", flat=True)) == {EmailStatus.SENT}


@pytest.mark.django_db(transaction=True)
def test_a_bulk_queue_without_dedupe_keys_is_all_or_nothing(ses, settings):
    settings.ENGAGE_MAIL_BULK_STATEMENT_ROWS = 2
    people = [consented(first_name=f"Name{i}") for i in range(3)]

    with _database_lost_at_email_insert(2) as inserts, pytest.raises(OperationalError):
        emails_queue_bulk(
            template="events/invitation",
            context={"meeting_title": "Public review meeting"},
            recipients=[BulkRecipient(to_email=p.email, stakeholder_id=p.pk) for p in people],
            purpose_slug=PURPOSE,
        )

    assert len(inserts) == 2  # the first block was written, then rolled back with the second
    assert not OutboundEmail.objects.exists()
    assert ses.messages == []
