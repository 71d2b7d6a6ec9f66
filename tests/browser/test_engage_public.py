"""Joining, confirming, preferences and unsubscribe in a real browser on a phone."""

import re

import pytest
from django.urls import reverse

from engage import links, services
from engage.enums import ConsentMethod
from engage.models import PendingSignup, Stakeholder
from engage.selectors import stakeholder_consents
from tests.browser.conftest import check_page
from tests.factories import AreaFactory, StakeholderFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_join_and_confirm_on_a_phone(live_server, phone, consent_purposes):
    AreaFactory(name="Lewisham")
    phone.goto(live_server.url + reverse("engage:join"))
    check_page(phone)

    phone.get_by_label("First name").fill("Nia <i>")
    phone.get_by_label("Last name").fill("Okoro")
    phone.get_by_label("Email address").fill("nia@example.org")
    phone.get_by_label("Your area").select_option(label="Lewisham")
    phone.get_by_label(consent_purposes["meeting-invitations"].wording).check()
    phone.get_by_role("button", name="Join the list").click()

    phone.wait_for_url("**/join/sent/")
    check_page(phone)
    token = PendingSignup.objects.get().token
    phone.goto(live_server.url + reverse("engage:join_confirm", args=[token]))
    check_page(phone)
    phone.get_by_role("button", name="Confirm and join").click()

    assert phone.get_by_role("heading", level=1).inner_text() == "You are on the list"
    check_page(phone)
    stakeholder = Stakeholder.objects.get()
    assert (stakeholder.first_name, stakeholder.area.name) == ("Nia <i>", "Lewisham")


def test_join_form_errors_on_a_phone(live_server, phone, consent_purposes):
    phone.goto(live_server.url + reverse("engage:join"))

    phone.get_by_role("button", name="Join the list").click()

    assert phone.get_by_role("alert").is_visible()
    check_page(phone)


def test_preferences_withdraw_in_one_click_on_a_phone(live_server, phone, consent_purposes):
    stakeholder = StakeholderFactory(first_name="<b>Bold</b>")
    services.consent_give(
        stakeholder=stakeholder, purpose="meeting-invitations", method=ConsentMethod.WEB
    )
    phone.goto(
        live_server.url
        + reverse(
            "engage:preferences",
            kwargs={"token": links.link_token(stakeholder=stakeholder, purpose=links.PREFERENCES)},
        )
    )
    check_page(phone)

    phone.get_by_role(
        "button", name=re.compile(r"^Withdraw\s+consent for\s+Meeting invitations")
    ).click()

    phone.wait_for_load_state()
    assert phone.get_by_role("status").inner_text().startswith("Done:")
    check_page(phone)
    states = {s.purpose.slug: s.state for s in stakeholder_consents(stakeholder)}
    assert states["meeting-invitations"] == "withdrawn"
    assert phone.get_by_label("First name").input_value() == "<b>Bold</b>"


def test_unsubscribe_page_on_a_phone(live_server, phone, consent_purposes):
    stakeholder = StakeholderFactory()
    services.consent_give(
        stakeholder=stakeholder, purpose="action-plan-news", method=ConsentMethod.WEB
    )
    token = links.link_token(
        stakeholder=stakeholder, purpose=links.UNSUBSCRIBE, consent_slug="action-plan-news"
    )
    phone.goto(live_server.url + reverse("engage:unsubscribe", kwargs={"token": token}))
    check_page(phone)

    phone.get_by_role("button", name="Unsubscribe").click()

    assert phone.get_by_role("heading", level=1).inner_text() == "You are unsubscribed"
    check_page(phone)
    states = {s.purpose.slug: s.state for s in stakeholder_consents(stakeholder)}
    assert states["action-plan-news"] == "withdrawn"


def test_erase_page_on_a_phone(live_server, phone, login, administrator):
    stakeholder = StakeholderFactory()
    login(phone, administrator)
    phone.goto(live_server.url + reverse("engage:stakeholder_erase", kwargs={"pk": stakeholder.pk}))

    check_page(phone)
