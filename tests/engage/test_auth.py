"""Accounts: representatives sign in with an emailed code; staff need a password and TOTP."""

import re

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from django.core import mail
from django.urls import reverse

from engage.enums import Role
from engage.roles import user_set_role
from tests.factories import UserFactory


def _current_totp(secret: str) -> str:
    import time

    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


@pytest.mark.django_db
def test_representative_signs_in_with_an_emailed_code(
    client, representative, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("account_request_login_code"), {"email": representative.email}
        )
    assert response.status_code == 302

    message = mail.outbox[-1]
    assert message.to == [representative.email]
    code = re.search(r"\b([A-Z0-9]{4}-[A-Z0-9]{4})\b", message.body).group(1)

    response = client.post(reverse("account_confirm_login_code"), {"code": code})

    assert response.status_code == 302
    assert client.get(reverse("engage:dashboard")).status_code == 200


@pytest.mark.django_db
def test_wrong_code_does_not_sign_in(client, representative, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("account_request_login_code"), {"email": representative.email})

    response = client.post(reverse("account_confirm_login_code"), {"code": "ZZZZZZ"})

    assert response.status_code == 200
    assert client.get(reverse("engage:dashboard")).status_code == 302


@pytest.mark.django_db
def test_staff_password_sign_in_asks_for_totp(client, roles):
    user = UserFactory()
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    user_set_role(user=user, role=Role.ENGAGEMENT_TEAM)
    secret = generate_totp_secret()
    TOTP.activate(user, secret)

    response = client.post(
        reverse("account_login"), {"login": user.email, "password": "correct horse battery staple"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_authenticate")
    assert client.get(reverse("engage:staff_home")).status_code == 302  # not signed in yet

    response = client.post(reverse("mfa_authenticate"), {"code": _current_totp(secret)})

    assert response.status_code == 302
    assert client.get(reverse("engage:staff_home")).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.ENGAGEMENT_TEAM, Role.ADMINISTRATOR])
def test_staff_without_totp_can_only_set_it_up(client, roles, role):
    user = UserFactory()
    user_set_role(user=user, role=role)
    client.force_login(user)

    response = client.get(reverse("engage:staff_home"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("mfa_activate_totp"))
    setup_page = client.get(reverse("mfa_activate_totp"))
    # allauth asks a force-logged-in user to re-authenticate first; either way, no redirect loop.
    assert setup_page.status_code == 200 or setup_page["Location"].startswith(
        reverse("account_reauthenticate")
    )


@pytest.mark.django_db
def test_representatives_are_not_asked_for_totp(client, representative):
    client.force_login(representative)

    assert client.get(reverse("engage:dashboard")).status_code == 200
