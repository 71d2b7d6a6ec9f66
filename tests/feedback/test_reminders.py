"""Reminders to owners and the team's daily digest, with a moved clock, each run twice."""

import datetime as dt
import importlib

import pytest
from django.apps import apps
from django.utils import timezone

from engage.enums import EmailStatus
from engage.models import OutboundEmail
from feedback import services
from feedback.enums import ReplyKind, ResponseStatus
from feedback.reminders import owed_reminders_run
from feedback.services import plan as plan_services
from tests.factories import MeetingFactory, OwnerFactory, ResponseFactory

pytestmark = pytest.mark.django_db

TEAM = "team@engage.example.org"


@pytest.fixture(autouse=True)
def _team(settings):
    settings.ENGAGE_TEAM_EMAIL = TEAM
    settings.FEEDBACK_REMIND_BEFORE_DAYS = 3


def _emails(template):
    return list(OutboundEmail.objects.filter(template=template).order_by("pk"))


def _assigned_due_in(days: int):
    meeting = MeetingFactory(series=None)
    item = ResponseFactory(meeting=meeting, status=ResponseStatus.OPEN, we_did="", publish_at=None)
    owner = OwnerFactory()
    services.response_assign(
        response_id=item.pk,
        owner_id=owner.pk,
        due_on=timezone.localdate() + dt.timedelta(days=days),
        actor=None,
    )
    item.refresh_from_db()
    return item


def test_reminded_as_the_date_nears_and_when_it_passes_then_escalated_once(time_machine):
    start = timezone.now()
    item = _assigned_due_in(10)
    asked = len(_emails("feedback/owner_asked"))

    time_machine.move_to(start + dt.timedelta(days=2))
    early = [owed_reminders_run(), owed_reminders_run()]
    time_machine.move_to(start + dt.timedelta(days=8))
    soon = [owed_reminders_run(), owed_reminders_run()]
    time_machine.move_to(start + dt.timedelta(days=11))
    overdue = [owed_reminders_run(), owed_reminders_run()]
    time_machine.move_to(start + dt.timedelta(days=12))
    next_day = owed_reminders_run()

    assert early == [{"reminded": 0, "escalated": 0}] * 2
    assert soon == [{"reminded": 1, "escalated": 0}, {"reminded": 0, "escalated": 0}]
    assert overdue == [{"reminded": 1, "escalated": 1}, {"reminded": 0, "escalated": 0}]
    assert next_day == {"reminded": 0, "escalated": 0}
    owner_mail = _emails("feedback/owner_asked")[asked:]
    assert [e.to_email for e in owner_mail] == [item.owner.contact_email] * 2
    assert "overdue" in owner_mail[1].body_text
    digests = _emails("feedback/owed_digest")
    assert [d.to_email for d in digests] == [TEAM]
    assert item.you_said in digests[0].body_text
    assert item.owner.contact_email not in digests[0].body_text


def test_one_digest_for_all_items_and_more_time_starts_reminders_again(time_machine):
    start = timezone.now()
    first, second = _assigned_due_in(1), _assigned_due_in(2)
    token = services.responses.links.item_link_token(
        purpose="owner-reply", item=f"response:{first.pk}", sent_to=first.owner.contact_email
    )

    time_machine.move_to(start + dt.timedelta(days=4))
    counts = owed_reminders_run()
    reply = services.owner_reply_submit(
        response_id=first.pk,
        token=token,
        kind=ReplyKind.MORE_TIME,
        text="Data due next month",
        proposed_due=timezone.localdate() + dt.timedelta(days=20),
    )
    services.owner_reply_approve(reply_id=reply.pk, actor=None)
    time_machine.move_to(start + dt.timedelta(days=25))
    later = owed_reminders_run()

    assert counts["escalated"] == 2
    assert len(_emails("feedback/owed_digest")) == 2
    assert later == {"reminded": 1, "escalated": 1}
    second.refresh_from_db()
    assert second.reminders_sent.count("escalated") == 1


def test_an_answered_item_is_not_reminded(time_machine):
    start = timezone.now()
    item = _assigned_due_in(1)
    item.we_did = "Done"
    item.save()
    services.response_status_set(response_id=item.pk, status=ResponseStatus.RESPONDED, actor=None)

    time_machine.move_to(start + dt.timedelta(days=5))

    assert owed_reminders_run() == {"reminded": 0, "escalated": 0}


def test_a_bounced_owner_email_reaches_the_team_once():
    item = _assigned_due_in(20)
    OutboundEmail.objects.filter(pk=item.owner_email_id).update(status=EmailStatus.BOUNCED)

    runs = [owed_reminders_run(), owed_reminders_run()]

    assert [r["escalated"] for r in runs] == [1, 0]
    assert "email not delivered" in _emails("feedback/owed_digest")[0].body_text


def test_plan_updates_are_reminded_and_escalated_once(time_machine):
    importlib.import_module("feedback.migrations.0006_seed_rating_scale").seed(apps, None)
    start = timezone.now()
    plan = plan_services.plan_create(title="Plan", slug="remind-plan", actor=None)
    chapter = plan_services.chapter_add(plan_id=plan.pk, number="1", title="Powers", actor=None)
    owner = OwnerFactory()
    written, missing = (
        plan.commitments.create(chapter=chapter, number=n, text=f"Commitment {n}", owner=owner)
        for n in ("1.1", "1.2")
    )
    round_ = plan_services.round_open(
        plan_id=plan.pk,
        title="Q1",
        period_end=timezone.localdate(),
        due_on=timezone.localdate() + dt.timedelta(days=5),
        actor=None,
    )
    plan_services.update_write(
        round_id=round_.pk, commitment_id=written.pk, status_text="Done", rating_code="G"
    )

    time_machine.move_to(start + dt.timedelta(days=3))
    soon = [owed_reminders_run(), owed_reminders_run()]
    time_machine.move_to(start + dt.timedelta(days=7))
    overdue = [owed_reminders_run(), owed_reminders_run()]

    assert soon == [{"reminded": 1, "escalated": 0}, {"reminded": 0, "escalated": 0}]
    assert overdue == [{"reminded": 1, "escalated": 1}, {"reminded": 0, "escalated": 0}]
    reminders = _emails("feedback/owner_update_asked")
    assert all("Commitment 1.2" in e.body_text for e in reminders)
    assert "Commitment 1.2" in _emails("feedback/owed_digest")[0].body_text
    assert missing.number == "1.2"
