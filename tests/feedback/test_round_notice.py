"""A published round of action-plan updates is announced to the registrants of the plan's series
who consent to action-plan news: once each, however many meetings they came to, and never
twice however often it runs."""

import datetime as dt
import importlib

import pytest
from django.apps import apps
from django.core import mail
from django.utils import timezone

from engage.enums import ConsentMethod
from engage.services import consent_give
from events.enums import RegistrationStatus
from feedback import notifications
from feedback.services import plan as plan_services
from feedback.tasks import notify_rounds_published_task
from tests.factories import MeetingFactory, RegistrationFactory, SeriesFactory

pytestmark = pytest.mark.django_db
PURPOSE = "action-plan-news"
CSV = (
    "Chapter,Number,Commitment,Status update,Rating\n"
    "1,1.1,Review vehicle stops,The pilot is complete.,G\n"
    "1,1.2,Review handcuffing,Policy launched.,G\n"
    "1,1.3,Publish data,Monthly from May.,LG\n"
)


@pytest.fixture(autouse=True)
def _seeded(consent_purposes):
    importlib.import_module("feedback.migrations.0006_seed_rating_scale").seed(apps, None)


def _holder(meeting, *, consent=True, stakeholder=None, **kwargs):
    if stakeholder is not None:
        kwargs["stakeholder"] = stakeholder
    registration = RegistrationFactory(meeting=meeting, **kwargs)
    if consent and stakeholder is None:
        consent_give(
            stakeholder=registration.stakeholder, purpose=PURPOSE, method=ConsentMethod.WEB
        )
    return registration


def _open_round(series):
    plan = plan_services.plan_create(
        title="Mayor's Action Plan", slug="map", series_id=series.pk if series else None, actor=None
    )
    plan_services.chapter_add(plan_id=plan.pk, number="1", title="Powers", actor=None)
    round_ = plan_services.round_open(
        plan_id=plan.pk, title="2021/22 Q2", period_end=dt.date(2021, 9, 30), actor=None
    )
    plan_services.plan_import(
        plan_id=plan.pk,
        data=CSV.encode(),
        file_name="plan.csv",
        round_id=round_.pk,
        dry_run=False,
        actor=None,
    )
    return round_


def test_publishing_tells_each_consenting_place_holder_of_the_series_once(
    django_capture_on_commit_callbacks,
):
    series = SeriesFactory()
    july = MeetingFactory(series=series, start=timezone.now() - dt.timedelta(days=60))
    october = MeetingFactory(series=series)
    twice = _holder(july)
    _holder(october, stakeholder=twice.stakeholder)  # came to both: one email
    other = _holder(october)
    _holder(october, consent=False)
    _holder(october, status=RegistrationStatus.CANCELLED)
    _holder(MeetingFactory(series=SeriesFactory(slug="elsewhere", name="Elsewhere")))
    round_ = _open_round(series)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        plan_services.round_publish(round_id=round_.pk, actor=None)

    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [twice.stakeholder.email, other.stakeholder.email]
    )
    message = mail.outbox[0]
    assert message.subject == "Mayor's Action Plan: progress at 2021/22 Q2 is published"
    assert "- 2 G, Complete" in message.body
    assert "- 1 LG, In progress and on track" in message.body
    assert "/plans/map/" in message.body
    round_.refresh_from_db()
    assert round_.notified_at is not None


def test_running_again_sends_nothing_twice(django_capture_on_commit_callbacks):
    series = SeriesFactory()
    _holder(MeetingFactory(series=series))
    round_ = _open_round(series)
    with django_capture_on_commit_callbacks(execute=True):
        plan_services.round_publish(round_id=round_.pk, actor=None)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        again = notifications.round_published_notify(round_id=round_.pk)
        beat = notify_rounds_published_task()

    assert (again, beat) == (0, 0)
    assert mail.outbox == []


def test_a_draft_round_is_not_announced_and_the_beat_catches_a_missed_one(
    django_capture_on_commit_callbacks,
):
    series = SeriesFactory()
    holder = _holder(MeetingFactory(series=series))
    round_ = _open_round(series)

    assert notifications.round_published_notify(round_id=round_.pk) == 0
    # Published with the broker away: nothing was queued, the beat job sends it.
    type(round_).objects.filter(pk=round_.pk).update(published_at=timezone.now())
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        sent = notify_rounds_published_task()

    assert sent == 1
    assert [m.to[0] for m in mail.outbox] == [holder.stakeholder.email]


def test_a_plan_outside_any_series_tells_nobody_and_is_marked(
    django_capture_on_commit_callbacks,
):
    _holder(MeetingFactory())
    round_ = _open_round(None)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        plan_services.round_publish(round_id=round_.pk, actor=None)

    assert mail.outbox == []
    round_.refresh_from_db()
    assert round_.notified_at is not None
