"""The main pages load in a real browser with no Content-Security-Policy violation."""

import pytest
from django.urls import reverse

from engage import links
from tests.factories import MeetingFactory, StakeholderFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Recorded from the first script the page runs, before any of ours.
_LISTEN = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', e => window.__cspViolations.push(
  e.violatedDirective + ' ' + (e.blockedURI || 'inline') + ' ' + (e.sourceFile || '')));
"""


def _violations(page, url) -> list[str]:
    console = []
    page.on(
        "console",
        lambda m: console.append(m.text) if "Content Security Policy" in m.text else None,
    )
    response = page.goto(url)
    page.wait_for_load_state("load")
    assert "'unsafe-inline'" not in response.headers["content-security-policy"]
    return page.evaluate("window.__cspViolations") + console


def test_main_pages_have_no_csp_violations(
    live_server, browser, login, engagement_team, consent_purposes
):
    meeting = MeetingFactory()
    person = StakeholderFactory()
    token = links.link_token(stakeholder=person, purpose=links.PREFERENCES)
    public = [
        reverse("home"),
        reverse("events:meeting_detail", kwargs={"slug": meeting.slug}),
        reverse("engage:join"),
        reverse("engage:preferences", kwargs={"token": token}),
        reverse("account_login"),
        reverse("account_request_login_code"),
    ]
    staff = [
        reverse("engage:staff_home"),
        reverse("engage:staff_stakeholders"),
        reverse("events:staff_meeting_detail", kwargs={"pk": meeting.pk}),
    ]
    context = browser.new_context(locale="en-GB")
    context.add_init_script(_LISTEN)
    page = context.new_page()
    found = {}
    try:
        for path in public:
            found[path] = _violations(page, live_server.url + path)
        login(page, engagement_team)
        for path in staff:
            found[path] = _violations(page, live_server.url + path)
            assert page.url.endswith(path), "staff page did not open"
        # The listener hears a violation when there is one: an inline script is refused.
        page.evaluate(
            "document.body.appendChild(Object.assign(document.createElement('script'),"
            " {textContent: 'window.__ran = 1'}))"
        )
        page.wait_for_function("window.__cspViolations.length > 0")
        control = page.evaluate("[window.__cspViolations, window.__ran]")
    finally:
        context.close()

    assert found == {path: [] for path in public + staff}
    assert control[0][0].startswith("script-src") and control[1] is None
