"""Browser tests: Playwright drives Debian's Chromium; axe-core checks every page visited.

Use the `phone` fixture (a 360 px wide page) or `desktop`, then `check_page(page)` after each
navigation: it fails on any WCAG 2.2 A/AA violation and on sideways scrolling at 360 px.
"""

import functools
import json
import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
PHONE = {"width": 360, "height": 740}

# Playwright's sync API runs an event loop in this thread; the live server's ORM calls are
# made from the test thread too (fixtures), which Django would otherwise refuse.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def _chromium_path() -> str:
    path = os.environ.get("ENGAGE_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        pytest.fail("Chromium is needed for browser tests: apt-get install chromium (.ci/run does)")
    return path


@pytest.fixture(scope="session")
def browser():
    if not AXE.exists():
        pytest.fail("axe-core is missing: run `npm ci` (make test does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=_chromium_path(),
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="en-GB")
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def desktop(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = context.new_page()
    yield page
    context.close()


@functools.cache
def _axe_source() -> str:
    return AXE.read_text()


def axe_violations(page) -> list[dict]:
    # Evaluated over the DevTools protocol, which the page's Content-Security-Policy does not
    # govern: a <script> tag with axe inline would be refused, as it should be.
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(_axe_source() + "\n;true")
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        AXE_TAGS,
    )
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
    ]


def check_page(page) -> None:
    """No axe violations; at phone width, nothing wider than the screen."""
    violations = axe_violations(page)
    assert violations == [], json.dumps(violations, indent=2)
    width = page.viewport_size["width"]
    if width <= PHONE["width"]:
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        assert scroll_width <= width, f"page is {scroll_width}px wide on a {width}px screen"


@pytest.fixture
def login(live_server, client):
    """Sign a user in for a Playwright context by copying a Django session cookie into it.

    The context's first signed-in request is made here and must be answered as that user, so a
    test that goes on to fail for want of a session fails at this line, saying what the server
    holds for it, instead of at a selector that never appears.
    """
    from django.contrib.sessions.models import Session
    from django.urls import reverse

    def _login(page, user):
        client.force_login(user)
        cookie = client.cookies["sessionid"]
        page.context.add_cookies(
            [{"name": "sessionid", "value": cookie.value, "url": live_server.url}]
        )
        answer = page.context.request.get(
            live_server.url + reverse("engage:dashboard"), max_redirects=0
        )
        if answer.status != 200:
            stored = Session.objects.filter(session_key=cookie.value).first()
            held = stored.get_decoded() if stored else None
            sent = [c["name"] for c in page.context.cookies(live_server.url)]
            pytest.fail(
                f"the browser's session was not honoured: {answer.status} "
                f"{answer.headers.get('location', '')}; cookies sent {sent}; "
                f"session row {'present' if stored else 'missing'}, user "
                f"{(held or {}).get('_auth_user_id')} (expected {user.pk})"
            )

    return _login
