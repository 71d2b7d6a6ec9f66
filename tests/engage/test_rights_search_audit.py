"""Searches of the stakeholder list are written to the audit log (ids, never the search text)."""

import pytest
from django.urls import reverse

from engage.enums import AuditAction
from engage.models import AuditLog
from tests.factories import StakeholderFactory

pytestmark = pytest.mark.django_db


def test_a_search_of_the_stakeholder_list_is_audited_with_whom_it_showed(client, engagement_team):
    found = StakeholderFactory(first_name="Renée", last_name="Okafor", email="renee@example.org")
    StakeholderFactory(first_name="Sam", last_name="Other", email="sam@example.net")
    client.force_login(engagement_team)

    response = client.get(reverse("engage:staff_stakeholders"), {"q": "renee@example.org"})

    assert response.status_code == 200
    row = AuditLog.objects.get(detail__page="stakeholder_search")
    assert row.actor == engagement_team
    assert row.action == AuditAction.VIEW
    assert row.detail == {
        "page": "stakeholder_search",
        "filters": ["q"],
        "rows": 1,
        "stakeholder_ids": [found.pk],
    }
    # The search text is not copied into the log.
    assert "renee" not in str(row.detail).lower()


def test_the_unfiltered_list_writes_no_search_row(client, engagement_team):
    StakeholderFactory()
    client.force_login(engagement_team)

    client.get(reverse("engage:staff_stakeholders"))

    assert not AuditLog.objects.filter(detail__page="stakeholder_search").exists()
