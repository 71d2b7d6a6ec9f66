"""The sign-in pages speak the product's words, not allauth's defaults, at 360 px."""

import pytest
from django.urls import reverse

from tests.browser.conftest import check_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ALLAUTH_DEFAULTS = [
    "Sign In",
    "Remember Me",
    "If you have not created an account yet",
    "Request Code",
    "Two-Factor Authentication",
    "Confirm Access",
    "Please reauthenticate",
]


def _no_defaults(page) -> None:
    text = page.locator("body").inner_text() + page.title()
    assert [d for d in ALLAUTH_DEFAULTS if d in text] == []


def test_sign_in_says_who_gets_a_code_and_who_uses_a_password(live_server, phone):
    phone.goto(live_server.url + reverse("account_login"))

    assert phone.title() == "Sign in – Engage"
    body = phone.locator("main").inner_text()
    assert "representatives and facilitators" in body.lower()
    assert "email you a sign-in code" in body
    assert "password" in body and "authenticator app" in body
    assert phone.get_by_label("Keep me signed in on this device").count() == 1
    _no_defaults(phone)
    check_page(phone)

    # The title is read from the answer, not from the page being left.
    with phone.expect_navigation():
        phone.get_by_role("link", name="Email me a sign-in code instead").click()
    assert phone.title() == "Get a sign-in code by email – Engage"
    _no_defaults(phone)
    check_page(phone)


def test_the_code_page_and_the_authenticator_page(live_server, phone, representative):
    phone.goto(live_server.url + reverse("account_login"))
    phone.get_by_label("Email address").fill(representative.email)
    phone.get_by_role("button", name="Continue").click()

    phone.wait_for_url("**/accounts/login/code/confirm/**")
    assert phone.get_by_role("heading", level=1).inner_text() == "Enter your sign-in code"
    _no_defaults(phone)
    # The title is read from the answer, not from the page being left.
    with phone.expect_navigation():
        phone.get_by_role("button", name="Sign in", exact=True).click()
    assert phone.title().startswith("Error: ")
    assert phone.get_by_role("link", name="Enter sign-in code").count() == 1
    check_page(phone)


def test_reauthentication_link_is_a_big_enough_target(live_server, phone, login, engagement_team):
    login(phone, engagement_team)

    phone.goto(live_server.url + reverse("account_reauthenticate"))

    assert phone.get_by_role("heading", level=1).inner_text() == "Confirm it is you"
    _no_defaults(phone)
    links = phone.locator("main .helptext a")
    assert links.count() == 1  # "Forgot your password?"
    for i in range(links.count()):
        assert links.nth(i).bounding_box()["height"] >= 24
    check_page(phone)
