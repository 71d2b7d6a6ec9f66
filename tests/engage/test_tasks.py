"""Beat jobs: purging unconfirmed sign-ups, and retention."""

import datetime as dt

import pytest
import time_machine
from django.conf import settings as django_settings
from django.utils import timezone

from engage import services
from engage.enums import AuditAction, ConsentMethod
from engage.models import AuditLog, ErasureRecord, PendingSignup, Stakeholder
from engage.tasks import retention_run_task, signups_purge_task
from tests.factories import MeetingFactory, RegistrationFactory, StakeholderFactory

pytestmark = pytest.mark.django_db


def test_both_jobs_are_on_the_beat_schedule():
    tasks = {entry["task"] for entry in django_settings.CELERY_BEAT_SCHEDULE.values()}

    assert {"engage.signups_purge", "engage.retention_run"} <= tasks


def test_purge_job_removes_unconfirmed_signups_after_the_configured_days(
    consent_purposes, settings
):
    settings.ENGAGE_UNCONFIRMED_SIGNUP_DAYS = 7
    purpose = consent_purposes["meeting-invitations"]
    start = timezone.now()

    def request(email):
        return services.signup_request(
            email=email,
            first_name="",
            last_name="",
            area=None,
            organisation_name="",
            interest_ids=[],
            purposes=[purpose],
            ip_address=None,
            user_agent="",
        )

    with time_machine.travel(start - dt.timedelta(days=7, hours=1)):
        request("eight@example.org")
    with time_machine.travel(start - dt.timedelta(days=6)):
        request("six@example.org")

    signups_purge_task.delay()

    assert list(PendingSignup.objects.values_list("email", flat=True)) == ["six@example.org"]


def _old(**kwargs):
    """A person who joined, and was last active, four years ago."""
    long_ago = timezone.now() - dt.timedelta(days=4 * 365)
    return StakeholderFactory(created_at=long_ago, last_activity_at=long_ago, **kwargs)


def test_retention_anonymises_only_the_inactive_with_no_consent(consent_purposes, settings):
    settings.ENGAGE_RETENTION_DAYS = 3 * 365
    inactive = _old(first_name="Gone")
    with time_machine.travel(timezone.now() - dt.timedelta(days=4 * 365)):
        consenting = _old()
        services.consent_give(
            stakeholder=consenting, purpose="action-plan-news", method=ConsentMethod.WEB
        )
        withdrew = _old()
        services.consent_give(
            stakeholder=withdrew, purpose="action-plan-news", method=ConsentMethod.WEB
        )
        services.consent_withdraw(
            stakeholder=withdrew, purpose="action-plan-news", method=ConsentMethod.WEB
        )
    recently_registered = _old()
    RegistrationFactory(stakeholder=recently_registered, meeting=MeetingFactory())
    recent = StakeholderFactory()

    retention_run_task.delay()

    anonymised = set(
        Stakeholder.objects.filter(anonymised_at__isnull=False).values_list("pk", flat=True)
    )
    assert anonymised == {inactive.pk, withdrew.pk}
    assert recent.pk not in anonymised and consenting.pk not in anonymised
    assert set(ErasureRecord.objects.values_list("reason", flat=True)) == {"retention"}
    run = AuditLog.objects.get(object_type="retention_run")
    assert (run.action, run.actor, run.detail) == (
        AuditAction.ERASE,
        None,
        {"anonymised": 2, "failed": 0, "retention_days": 3 * 365},
    )


def test_retention_run_with_nothing_to_do_is_still_logged(settings):
    StakeholderFactory()

    retention_run_task.delay()

    run = AuditLog.objects.get(object_type="retention_run")
    assert run.detail["anonymised"] == 0
    assert Stakeholder.objects.filter(anonymised_at__isnull=False).count() == 0
