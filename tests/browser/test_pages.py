"""The foundation's pages in a real browser, on a phone, checked by axe-core."""

import pytest
from django.urls import reverse

from tests.browser.conftest import check_page
from tests.factories import MeetingFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_home_page_on_a_phone(live_server, phone):
    MeetingFactory(title="Winter public review meeting")

    phone.goto(live_server.url + reverse("home"))

    assert phone.get_by_role("heading", level=1).inner_text().startswith("Have your say")
    assert phone.get_by_text("Winter public review meeting").is_visible()
    check_page(phone)


def test_skip_link_moves_focus_to_main_content(live_server, desktop):
    desktop.goto(live_server.url + reverse("home"))

    desktop.keyboard.press("Tab")
    assert desktop.evaluate("document.activeElement.textContent") == "Skip to main content"
    desktop.keyboard.press("Enter")

    assert desktop.evaluate("location.hash") == "#main"


@pytest.mark.parametrize(
    "url_name", ["account_login", "account_request_login_code", "account_signup"]
)
def test_account_pages_on_a_phone(live_server, phone, url_name):
    phone.goto(live_server.url + reverse(url_name))

    check_page(phone)


def test_representative_requests_a_code_on_a_phone(live_server, phone, representative):
    from django.core import mail

    phone.goto(live_server.url + reverse("account_login"))
    phone.get_by_label("Email").fill(representative.email)
    phone.get_by_role("button", name="Continue").click()

    phone.wait_for_url("**/accounts/login/code/confirm/**")
    check_page(phone)
    assert mail.outbox[-1].to == [representative.email]


@pytest.mark.parametrize(
    ("role", "url_name"),
    [
        ("representative", "engage:dashboard"),
        ("facilitator", "events:facilitator_home"),
        ("engagement_team", "engage:staff_home"),
    ],
)
def test_signed_in_pages_on_a_phone(live_server, phone, login, role_users, role, url_name):
    login(phone, role_users[role])

    phone.goto(live_server.url + reverse(url_name))

    assert phone.url.endswith(reverse(url_name))
    check_page(phone)


def _totp_now(secret: str) -> str:
    import time

    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    # A code typed in the last seconds of its 30-second window can reach the server in the next
    # one and be refused (allauth allows no drift by default): wait for a fresh window instead.
    if 30 - time.time() % 30 < 5:
        time.sleep(30 - time.time() % 30 + 0.1)
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def _sign_in_with_password(page, live_server, user):
    page.goto(live_server.url + reverse("account_login"))
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill("correct horse battery staple")
    page.get_by_role("button", name="Continue").click()


def test_staff_enter_an_authenticator_code_on_a_phone(live_server, phone, roles):
    from allauth.account.models import EmailAddress
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    from engage.enums import Role
    from engage.roles import user_set_role
    from tests.factories import UserFactory

    user = UserFactory()
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    user_set_role(user=user, role=Role.ENGAGEMENT_TEAM)
    secret = generate_totp_secret()
    TOTP.activate(user, secret)

    _sign_in_with_password(phone, live_server, user)
    phone.wait_for_url("**" + reverse("mfa_authenticate"))
    check_page(phone)
    phone.get_by_label("Code").fill(_totp_now(secret))
    phone.get_by_role("button", name="Sign in", exact=True).click()

    phone.wait_for_url("**" + reverse("engage:dashboard"))
    phone.goto(live_server.url + reverse("engage:staff_home"))
    assert phone.url.endswith(reverse("engage:staff_home"))


def test_staff_without_an_authenticator_set_one_up_on_a_phone(live_server, phone, roles):
    from allauth.account.models import EmailAddress

    from engage.enums import Role
    from engage.roles import user_set_role
    from tests.factories import UserFactory

    user = UserFactory()
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    user_set_role(user=user, role=Role.ADMINISTRATOR)

    _sign_in_with_password(phone, live_server, user)

    phone.wait_for_url("**" + reverse("mfa_activate_totp") + "**")
    check_page(phone)
    secret = phone.locator("#authenticator_secret").input_value()
    phone.get_by_label("Authenticator code").fill(_totp_now(secret))
    phone.get_by_role("button", name="Activate").click()

    phone.wait_for_url("**" + reverse("mfa_view_recovery_codes"))
    check_page(phone)
    phone.goto(live_server.url + reverse("engage:staff_home"))
    assert phone.url.endswith(reverse("engage:staff_home"))


def test_privacy_notice_on_a_phone(live_server, phone, privacy_notice):
    phone.goto(live_server.url + reverse("engage:privacy"))

    assert phone.get_by_role("heading", name="Our lawful basis").is_visible()
    check_page(phone)
