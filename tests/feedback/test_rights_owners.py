"""Owners' named contacts in subject access, erasure and retention."""

import datetime as dt

import pytest
from django.utils import timezone

from engage.rights import stakeholder_erase, subject_access_collect
from feedback.models import Owner
from feedback.rights import owner_contacts_retention_run
from tests.factories import OwnerFactory, ResponseFactory, StakeholderFactory

pytestmark = pytest.mark.django_db


def test_a_contact_who_is_a_stakeholder_is_in_their_export_and_erased_with_them():
    stakeholder = StakeholderFactory(email="Lead@Police.example.org")
    owner = OwnerFactory(contact_email="lead@police.example.org", contact_name="Sam Okafor")
    other = OwnerFactory()
    ResponseFactory(owner=owner)

    sections = subject_access_collect(stakeholder=stakeholder)
    stakeholder_erase(stakeholder=stakeholder, actor=None)

    rows = sections["Contact for responses owed"]
    assert [row["contact_name"] for row in rows] == ["Sam Okafor"]
    owner.refresh_from_db()
    other.refresh_from_db()
    assert (owner.contact_name, owner.contact_email) == ("", "")
    assert other.contact_email
    assert owner.responses.count() == 1


def test_retention_blanks_contacts_nobody_has_used(settings, time_machine):
    stale = OwnerFactory()
    busy = OwnerFactory()
    time_machine.move_to(timezone.now() + dt.timedelta(days=settings.ENGAGE_RETENTION_DAYS + 2))
    ResponseFactory(owner=busy)

    first = owner_contacts_retention_run()
    again = owner_contacts_retention_run()

    assert (first, again) == (1, 0)
    assert Owner.objects.get(pk=stale.pk).contact_email == ""
    assert Owner.objects.get(pk=busy.pk).contact_email
