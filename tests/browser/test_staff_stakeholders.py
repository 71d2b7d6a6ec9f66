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


def test_import_steps_on_a_phone(live_server, phone, login, engagement_team, tmp_path):
    from engage.models import ImportJob

    login(phone, engagement_team)
    path = tmp_path / "people.csv"
    path.write_text("email,first_name\nada@example.org,Ada\nrenee@example.org,Ren閑\nbad,Bad\n")
    waiting = ImportJob.objects.create(file_name="waiting.csv", file_path="imports/none.csv")

    phone.goto(live_server.url + reverse("engage:staff_import_job", args=[waiting.pk]))
    check_page(phone)  # a step still waiting: the page that refreshes itself
    phone.goto(live_server.url + reverse("engage:staff_import"))
    phone.set_input_files("input[type=file]", str(path))
    phone.get_by_role("button", name="Upload and continue").click()
    phone.wait_for_url("**/mapping/")
    check_page(phone)
    phone.get_by_role("button", name="Run the dry run").click()
    phone.wait_for_url("**/report/")
    check_page(phone)
    assert phone.get_by_role("heading", name="Check these names").is_visible()
    phone.get_by_role("button", name="Commit the import").click()
    phone.get_by_role("heading", name="Import done").wait_for()
    check_page(phone)
