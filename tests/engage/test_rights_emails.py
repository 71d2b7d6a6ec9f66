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
