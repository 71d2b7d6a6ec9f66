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


def _code_from(message) -> str:
    return re.search(r"\b([A-Z0-9]{4}-[A-Z0-9]{4})\b", message.body).group(1)


@pytest.mark.django_db
def test_sign_in_form_with_a_blank_password_emails_a_code(
    client, representative, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("account_login"), {"login": representative.email, "password": ""}
        )

    assert response.status_code == 302
    assert response["Location"] == reverse("account_confirm_login_code")
    message = mail.outbox[-1]
    assert (message.to, message.subject) == ([representative.email], "[Engage] Your sign-in code")
    assert message.body.startswith("Hello,\n\nYour sign-in code for Engage is:")
    response = client.post(reverse("account_confirm_login_code"), {"code": _code_from(message)})
    assert response.status_code == 302
    assert client.get(reverse("engage:dashboard")).status_code == 200


@pytest.mark.django_db
def test_administrator_signs_in_with_password_and_totp_and_reaches_the_admin(client, roles):
    user = UserFactory()
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    user_set_role(user=user, role=Role.ADMINISTRATOR)
    secret = generate_totp_secret()
    TOTP.activate(user, secret)

    response = client.post(
        reverse("account_login"), {"login": user.email, "password": "correct horse battery staple"}
    )
    assert response["Location"] == reverse("mfa_authenticate")
    assert client.get(reverse("admin:index")).status_code == 302
    client.post(reverse("mfa_authenticate"), {"code": _current_totp(secret)})

    assert client.get(reverse("admin:index")).status_code == 200
    assert client.get(reverse("engage:staff_home")).status_code == 200


@pytest.mark.django_db
def test_staff_signing_in_by_code_are_still_asked_for_totp(
    client, engagement_team, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("account_login"), {"login": engagement_team.email, "password": ""})

    response = client.post(
        reverse("account_confirm_login_code"), {"code": _code_from(mail.outbox[-1])}
    )

    assert response["Location"] == reverse("mfa_authenticate")
    assert client.get(reverse("engage:staff_home")).status_code == 302


@pytest.mark.django_db
def test_staff_without_totp_set_it_up_right_after_signing_in_without_a_second_password(
    client, roles
):
    user = UserFactory()
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    user_set_role(user=user, role=Role.ENGAGEMENT_TEAM)
    client.post(
        reverse("account_login"), {"login": user.email, "password": "correct horse battery staple"}
    )

    response = client.get(reverse("engage:staff_home"))
    assert response["Location"].startswith(reverse("mfa_activate_totp"))
    setup = client.get(response["Location"])

    assert setup.status_code == 200
    secret = setup.context["form"].secret
    response = client.post(reverse("mfa_activate_totp"), {"code": _current_totp(secret)})
    assert response["Location"] == reverse("mfa_view_recovery_codes")
    assert client.get(reverse("mfa_view_recovery_codes")).status_code == 200
    assert client.get(reverse("engage:staff_home")).status_code == 200


@pytest.mark.django_db
def test_changing_an_existing_authenticator_still_asks_for_the_password(client, engagement_team):
    client.force_login(engagement_team)

    response = client.get(reverse("mfa_deactivate_totp"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate"))


@pytest.mark.django_db
def test_sign_in_codes_are_rate_limited_per_address(
    settings, representative, django_capture_on_commit_callbacks
):
    from django.core.cache import cache
    from django.test import Client

    from config.settings import base

    settings.ACCOUNT_RATE_LIMITS = base.ACCOUNT_RATE_LIMITS  # the test settings switch them off
    cache.clear()  # allauth counts attempts in the cache

    statuses = []
    for _ in range(4):  # a fresh browser each time, as someone hammering the form would use
        with django_capture_on_commit_callbacks(execute=True):
            response = Client().post(
                reverse("account_request_login_code"), {"email": representative.email}
            )
        statuses.append(response.status_code)

    assert statuses == [302, 302, 302, 200]
    assert "Too many failed login attempts" in response.content.decode()
    assert len(mail.outbox) == 3
    cache.clear()


@pytest.mark.django_db
def test_a_role_taken_away_or_an_authenticator_removed_counts_at_the_next_request(
    client, engagement_team
):
    from allauth.mfa.models import Authenticator
    from django.contrib.auth.models import Group

    from engage.roles import ROLE_GROUP_NAMES

    client.force_login(engagement_team)
    url = reverse("engage:staff_stakeholders")
    assert client.get(url).status_code == 200

    Authenticator.objects.filter(user=engagement_team).delete()
    assert client.get(url)["Location"].startswith(reverse("mfa_activate_totp"))

    TOTP.activate(engagement_team, generate_totp_secret())
    engagement_team.groups.remove(Group.objects.get(name=ROLE_GROUP_NAMES[Role.ENGAGEMENT_TEAM]))
    assert client.get(url).status_code == 403


@pytest.mark.django_db
def test_the_signed_in_user_comes_with_permissions_roles_and_authenticator_in_one_query(
    engagement_team, django_assert_num_queries
):
    from engage.auth import user_with_access_facts
    from engage.roles import user_requires_mfa, user_roles

    with django_assert_num_queries(1):
        user = user_with_access_facts(str(engagement_team.pk))
        facts = (
            user.has_perms(["engage.view_stakeholder", "events.add_meeting"]),
            user.has_perm("engage.erase_stakeholder"),
            user_roles(user),
            user_requires_mfa(user),
            user.access_has_totp,
        )

    assert facts == (True, False, {Role.ENGAGEMENT_TEAM}, True, True)
    assert user_with_access_facts("999999") is None
