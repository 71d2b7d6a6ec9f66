"""The GOV.UK error pattern in a real browser at 360 px: summary focused, links reach fields."""

import pytest
from django.urls import reverse

from tests.browser.conftest import check_page
from tests.factories import CampaignFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_join_errors_focus_the_summary_and_its_links_reach_the_fields(
    live_server, phone, consent_purposes
):
    phone.goto(live_server.url + reverse("engage:join"))
    phone.get_by_label("Email address").fill("nia.example.org")
    phone.get_by_role("button", name="Join the list").click()

    phone.wait_for_selector("[data-error-summary]")
    assert phone.title().startswith("Error: ")
    assert phone.evaluate("document.activeElement.dataset.errorSummary") == ""
    check_page(phone)
    phone.get_by_role("link", name="Enter your email address in the correct format").click()
    assert phone.evaluate("document.activeElement.id") == "id_email"
    phone.get_by_role("link", name="Tick at least one box").click()
    assert phone.evaluate("document.activeElement.id") == "id_purposes_0"
    described = phone.get_attribute("#id_purposes", "aria-describedby").split()
    assert all(phone.locator(f"#{i}").count() == 1 for i in described)
    assert "id_purposes_error" in described


def test_campaign_message_hint_is_tied_to_its_field(live_server, phone, login, engagement_team):
    CampaignFactory()
    login(phone, engagement_team)

    phone.goto(live_server.url + reverse("events:campaign_create"))
    # The title is read from the answer, not from the page being left.
    with phone.expect_navigation():
        phone.get_by_role("button", name="Save and check the audience").click()

    assert phone.title().startswith("Error: ")
    for name in ("message", "subject"):
        described = (phone.get_attribute(f"#id_{name}", "aria-describedby") or "").split()
        assert described, name
        assert all(phone.locator(f"#{i}").count() == 1 for i in described), described
    assert "id_message_helptext" in phone.get_attribute("#id_message", "aria-describedby")
    check_page(phone)


def test_forbidden_page_on_a_phone(live_server, phone, login, representative):
    login(phone, representative)

    response = phone.goto(live_server.url + reverse("events:campaign_list"))

    assert response.status == 403
    assert phone.get_by_role("heading", level=1).inner_text() == "You cannot see this page"
    assert phone.get_attribute("html", "lang") == "en-gb"
    check_page(phone)
