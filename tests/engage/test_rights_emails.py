"""Emails sent to a person's address before they had a record (sign-in and registration codes)
are part of what subject access shows and what erasure removes; staff actions are shown too."""

import io
import json
import zipfile

import pytest

from engage import rights
from engage.enums import AuditAction
from engage.mail.services import email_queue_rendered
from engage.models import OutboundEmail
from engage.services import audit_log
from events.models import Registration
from tests.factories import MeetingFactory, SessionFactory, StakeholderFactory

pytestmark = pytest.mark.django_db


def _export(stakeholder, actor) -> dict:
    archive = rights.subject_access_export(stakeholder=stakeholder, actor=actor)
    with zipfile.ZipFile(io.BytesIO(archive)) as files:
        return json.loads(files.read("data.json"))["sections"]


def test_a_code_email_to_the_address_is_in_subject_access_and_erased(engagement_team):
    person = StakeholderFactory(email="Ada.Lovelace@example.org")
    code = email_queue_rendered(
        to_email="ada.lovelace@example.org",
        template="events/register_code",
        subject="Your code",
        text="Your code is 492017",
    )

    sections = _export(person, engagement_team)
    assert [e["body_text"] for e in sections["Emails sent to you"]] == ["Your code is 492017"]

    rights.stakeholder_erase(stakeholder=person, actor=engagement_team)

    code = OutboundEmail.objects.get(pk=code.pk)
    assert (code.to_email, code.subject, code.body_text) == ("", "", "")


def test_subject_access_shows_breakouts_waiting_list_reminders_and_staff_actions(engagement_team):
    person = StakeholderFactory()
    meeting = MeetingFactory()
    breakout = SessionFactory(meeting=meeting, title="Youth panel")
    registration = Registration.objects.create(
        meeting=meeting,
        stakeholder=person,
        status="waitlisted",
        waitlist_position=3,
        reminders_sent=["24h"],
    )
    registration.breakout_preferences.add(breakout)
    audit_log(
        actor=engagement_team, action=AuditAction.EDIT, obj=person, detail={"fields": ["phone"]}
    )

    sections = _export(person, engagement_team)

    row = sections["Meeting registrations"][0]
    assert (row["breakouts_chosen"], row["waiting_list_position"], row["reminders_sent"]) == (
        "Youth panel",
        3,
        "24h",
    )
    assert [(a["action"], a["detail"]) for a in sections["Staff actions on your record"]] == [
        ("Edited", {"fields": ["phone"]})
    ]


def test_erasure_removes_outbox_files_and_sessions_holding_the_address(
    engagement_team, settings, tmp_path
):
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.core.mail import EmailMessage

    from engage.mail.backends import EMAIL_ID_HEADER, OutboxBackend

    settings.EMAIL_OUTBOX_DIR = tmp_path
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"
    person = StakeholderFactory(email="grace@example.org")
    code = email_queue_rendered(
        to_email="grace@example.org", template="events/register_code", subject="Code", text="1"
    )
    other = email_queue_rendered(
        to_email="someone@example.net", template="events/register_code", subject="Code", text="2"
    )
    for row in (code, other):
        message = EmailMessage(
            "Code", "x", to=[row.to_email], headers={EMAIL_ID_HEADER: str(row.pk)}
        )
        OutboxBackend().send_messages([message])
    guest = SessionStore()
    guest["events_verified_email"] = "grace@example.org"
    guest.create()
    bystander = SessionStore()
    bystander["events_verified_email"] = "someone@example.net"
    bystander.create()

    rights.stakeholder_erase(stakeholder=person, actor=engagement_team)

    assert [p.name.endswith(f"-e{other.pk}.eml") for p in tmp_path.glob("*.eml")] == [True]
    assert set(Session.objects.values_list("session_key", flat=True)) == {bystander.session_key}


def test_the_readable_page_uses_labels_and_local_times_with_gmt_or_bst(engagement_team):
    import datetime as dt

    winter = dt.datetime(2026, 1, 15, 12, 30, tzinfo=dt.UTC)
    summer = dt.datetime(2026, 7, 15, 12, 30, tzinfo=dt.UTC)
    person = StakeholderFactory(created_at=winter, last_activity_at=summer)

    archive = rights.subject_access_export(stakeholder=person, actor=engagement_team)
    html = zipfile.ZipFile(io.BytesIO(archive)).read("index.html").decode()

    assert "15 January 2026, 12:30 GMT" in html
    assert "15 July 2026, 13:30 BST" in html
    assert "Last activity at" in html
    assert "last_activity_at" not in html
    assert "2026-01-15T" not in html


def test_the_address_lookup_reads_an_index_not_the_whole_email_table():
    from django.db import connection

    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, OutboundEmail._meta.db_table)
    assert constraints["outboundemail_to_upper"]["index"]
    if connection.vendor == "postgresql":
        query = rights._emails_of(StakeholderFactory(email="Mary.Seacole@example.org"))
        sql, params = query.query.sql_with_params()
        with connection.cursor() as cursor:
            # Too few rows for the planner to prefer an index on its own: forbid the scan, so
            # the plan shows whether the index can answer the lookup at all.
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"EXPLAIN {sql}", params)
            plan = " ".join(row[0] for row in cursor.fetchall())
        assert "outboundemail_to_upper" in plan


def test_erasure_finds_emails_to_the_address_written_in_any_case(engagement_team):
    person = StakeholderFactory(email="mary.seacole@example.org")
    shouted = email_queue_rendered(
        to_email="MARY.SEACOLE@EXAMPLE.ORG", template="events/register_code", subject="C", text="1"
    )
    other = email_queue_rendered(
        to_email="mary.seacole@example.net", template="events/register_code", subject="C", text="2"
    )

    rights.stakeholder_erase(stakeholder=person, actor=engagement_team)

    assert OutboundEmail.objects.get(pk=shouted.pk).to_email == ""
    assert OutboundEmail.objects.get(pk=other.pk).to_email == "mary.seacole@example.net"


def test_erasure_ends_a_session_holding_a_guests_pending_code_and_form(engagement_team, settings):
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session

    settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"
    person = StakeholderFactory(email="grace@example.org")
    guest = SessionStore()
    guest["events_code_challenge"] = {
        "email": "Grace@example.org",
        "form": "first_name=Grace&access_requirements=Hearing+loop",
    }
    guest.create()

    rights.stakeholder_erase(stakeholder=person, actor=engagement_team)

    assert not Session.objects.filter(session_key=guest.session_key).exists()
