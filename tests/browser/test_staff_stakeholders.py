"""The engagement team's stakeholder pages on a phone, checked by axe-core."""

import pytest
from django.urls import reverse

from tests.browser.conftest import check_page
from tests.factories import (
    ConsentRecordFactory,
    MembershipFactory,
    SegmentFactory,
    StakeholderFactory,
    TagFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_stakeholder_pages_on_a_phone(live_server, phone, login, engagement_team):
    person = StakeholderFactory(
        first_name="Amara", last_name="Okafor-Featherstonehaugh", email="amara.long@example.org"
    )
    MembershipFactory(stakeholder=person, organisation__name="Brixton Youth Forum", role="Chair")
    person.tags.add(TagFactory(name="Young people"))
    ConsentRecordFactory(stakeholder=person)
    segment = SegmentFactory(name="Everyone", filters={})
    login(phone, engagement_team)

    for url in [
        reverse("engage:staff_stakeholders") + "?q=okafor",
        reverse("engage:staff_stakeholder", args=[person.pk]),
        reverse("engage:staff_stakeholder_edit", args=[person.pk]),
        reverse("engage:staff_stakeholder_consent", args=[person.pk]),
        reverse("engage:staff_segment", args=[segment.pk]),
        reverse("engage:staff_import"),
    ]:
        phone.goto(live_server.url + url)
        check_page(phone)

    phone.goto(live_server.url + reverse("engage:staff_stakeholders") + "?q=okafor")
    assert phone.get_by_role("link", name="Okafor-Featherstonehaugh, Amara").is_visible()
