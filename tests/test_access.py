"""Every page guarded by a permission is requested by every role; each gets exactly what its role allows.

The list of guarded pages is read from the URL configuration, so a new staff page is covered (or this
test fails, asking for its arguments) without anyone remembering to add it.
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from engage.enums import Role
from engage.roles import ROLE_PERMISSIONS
from tests.url_args import url_kwargs_for


def _guarded_patterns(resolver=None, namespace=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _guarded_patterns(entry, ns)
        elif isinstance(entry, URLPattern) and entry.name:
            perms = getattr(entry.callback, "required_permissions", None)
            if perms:
                yield f"{namespace}{entry.name}", perms


GUARDED = sorted(set(_guarded_patterns()))

_ROLE_KEYS = {
    "representative": Role.REPRESENTATIVE,
    "facilitator": Role.FACILITATOR,
    "engagement_team": Role.ENGAGEMENT_TEAM,
    "administrator": Role.ADMINISTRATOR,
}


def test_there_are_guarded_pages():
    names = {name for name, _ in GUARDED}
    assert {"engage:staff_home", "events:facilitator_home"} <= names


def test_meeting_record_staff_pages_are_in_the_matrix():
    perms = dict(GUARDED)
    record_pages = {
        name
        for name in perms
        if name.startswith("feedback:staff_") and ("report" in name or "response" in name)
    }

    assert record_pages == {
        "feedback:staff_report",
        "feedback:staff_report_generate",
        "feedback:staff_report_preview",
        "feedback:staff_report_publication",
        "feedback:staff_responses",
        "feedback:staff_responses_publication",
        "feedback:staff_response_edit",
        "feedback:staff_response_publication",
        "feedback:staff_response_delete",
    }
    assert {perms[name] for name in record_pages} == {
        ("events.view_meeting", "events.change_meeting")
    }


@pytest.mark.parametrize(("url_name", "perms"), GUARDED, ids=[name for name, _ in GUARDED])
@pytest.mark.parametrize("role", ["anonymous", *_ROLE_KEYS])
def test_guarded_page_against_role(client, role_users, url_name, perms, role):
    url = reverse(url_name, kwargs=url_kwargs_for(url_name))
    user = role_users[role]
    if user is not None:
        client.force_login(user)

    response = client.get(url)

    if user is None:
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
        return
    allowed = set(perms) <= set(ROLE_PERMISSIONS[_ROLE_KEYS[role]])
    if allowed:
        assert response.status_code in (200, 302, 405), response.status_code
        if response.status_code == 302:
            assert not response["Location"].startswith(reverse("account_login"))
    else:
        assert response.status_code == 403


def test_admin_is_for_administrators_only(client, role_users):
    for role, user in role_users.items():
        client.logout()
        if user is not None:
            client.force_login(user)
        response = client.get(reverse("admin:index"))
        if role == "administrator":
            assert response.status_code == 200
        else:
            assert response.status_code == 302, role
