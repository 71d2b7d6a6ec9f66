"""Content-Security-Policy on every page, and no self-made accounts."""

import pytest
from django.urls import reverse

from tests.factories import MeetingFactory

pytestmark = pytest.mark.django_db


def _policy(response) -> dict[str, list[str]]:
    header = response.headers["Content-Security-Policy"]
    return {
        part.split()[0]: part.split()[1:] for part in (p.strip() for p in header.split(";")) if part
    }


@pytest.fixture
def pages(client, engagement_team):
    meeting = MeetingFactory()

    def get(name, user=None, **kwargs):
        if user is not None:
            client.force_login(user)
        return client.get(reverse(name, kwargs=kwargs))

    return [
        get("home"),
        get("events:meeting_detail", slug=meeting.slug),
        get("engage:join"),
        get("account_login"),
        get("account_request_login_code"),
        get("account_signup"),
        get("engage:staff_home", user=engagement_team),
        get("engage:staff_stakeholders", user=engagement_team),
    ]


def test_every_page_sends_a_policy_with_no_unsafe_inline(pages):
    for response in pages:
        policy = _policy(response)
        assert policy["default-src"] == ["'self'"]
        assert policy["script-src"] == ["'self'"], response.request["PATH_INFO"]
        assert policy["object-src"] == ["'none'"]
        assert policy["frame-ancestors"] == ["'none'"]
        assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]


def test_styles_may_use_the_pages_nonce(client):
    response = client.get(reverse("home"))

    style_src = _policy(response)["style-src"]
    assert style_src[0] == "'self'"
    # The nonce appears only once a template asks for it; either way no inline style is allowed.
    assert all(v == "'self'" or v.startswith("'nonce-") for v in style_src)


def test_the_nonce_a_template_uses_is_the_one_in_the_header(rf):
    from django.http import HttpResponse
    from django.middleware.csp import ContentSecurityPolicyMiddleware
    from django.template import engines

    def view(request):
        from django.template.context_processors import csp

        html = engines["django"].from_string('<style nonce="{{ csp_nonce }}"></style>')
        return HttpResponse(html.render(csp(request)))

    response = ContentSecurityPolicyMiddleware(view)(rf.get("/"))

    nonce = response.content.decode().split('nonce="')[1].split('"')[0]
    assert nonce
    assert _policy(response)["style-src"] == ["'self'", f"'nonce-{nonce}'"]
    assert _policy(response)["script-src"] == ["'self'"]


def test_no_template_holds_an_inline_script_or_handler():
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    inline = re.compile(
        r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>"
        r"|\son[a-z]+\s*=\s*[\"']"
        r"|javascript:",
        re.I,
    )
    found = [
        str(path.relative_to(root))
        for folder in ("templates", "static")
        for path in (root / folder).rglob("*")
        if path.suffix in {".html", ".js"} and inline.search(path.read_text())
    ]
    assert found == []


# --- No self-made accounts ---------------------------------------------------------------------


def test_sign_up_is_closed(client):
    from django.contrib.auth import get_user_model

    response = client.post(
        reverse("account_signup"), {"email": "stranger@example.org", "password1": "x" * 20}
    )

    assert response.status_code == 200
    assert "account/signup_closed.html" in [t.name for t in response.templates]
    assert not get_user_model().objects.filter(email="stranger@example.org").exists()


@pytest.mark.parametrize("name", ["account_login", "account_request_login_code"])
def test_sign_in_pages_do_not_link_to_sign_up(client, name):
    body = client.get(reverse(name)).content.decode()

    assert reverse("account_signup") not in body
    assert reverse("engage:join") in body or name != "account_login"
