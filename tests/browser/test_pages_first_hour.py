"""Page details at 360 px: the Register button's padding, consent boxes beside their labels,
staff tables that scroll sideways reachable by keyboard, unique titles."""

import re
from pathlib import Path

import pytest
from django.urls import reverse

from engage.enums import AuditAction
from engage.models import AuditLog
from tests.browser.conftest import check_page
from tests.factories import CampaignFactory, MeetingFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_register_button_has_padding(live_server, phone):
    meeting = MeetingFactory(title="Spring review")

    phone.goto(live_server.url + reverse("events:meeting_detail", kwargs={"slug": meeting.slug}))

    button = phone.get_by_role("link", name="Register", exact=True)
    padding = button.evaluate(
        "el => ['paddingTop', 'paddingLeft'].map(p => parseFloat(getComputedStyle(el)[p]))"
    )
    assert min(padding) >= 8
    assert button.bounding_box()["height"] >= 44
    check_page(phone)


def test_consent_boxes_are_large_and_beside_their_labels(live_server, phone, consent_purposes):
    from tests.events.test_views_public import _code_from_outbox

    meeting = MeetingFactory(title="Spring review")
    phone.goto(live_server.url + reverse("events:register_email", kwargs={"slug": meeting.slug}))
    phone.get_by_label("Your email address").fill("kofi@example.org")
    phone.get_by_role("button").last.click()
    phone.get_by_label("The six-digit code").fill(_code_from_outbox())
    phone.get_by_role("button").last.click()
    phone.wait_for_url("**/register/")

    boxes = phone.locator("form.register-form input[type=checkbox]")
    assert boxes.count() >= 2
    for i in range(boxes.count()):
        box = boxes.nth(i)
        label = phone.locator(f"label[for='{box.get_attribute('id')}']")
        b, lb = box.bounding_box(), label.bounding_box()
        assert b["width"] >= 24 and b["height"] >= 24
        assert lb["x"] > b["x"] + b["width"] - 1  # to the right of the box
        assert lb["y"] < b["y"] + b["height"]  # on the same line, not under it
    check_page(phone)


@pytest.mark.parametrize("url_name", ["events:campaign_list", "engage:audit_log"])
def test_wide_staff_tables_scroll_by_keyboard(live_server, phone, login, administrator, url_name):
    for n in range(3):
        CampaignFactory(subject=f"A rather long campaign subject line number {n} " * 2)
        AuditLog.objects.create(
            actor=administrator,
            action=AuditAction.VIEW,
            object_type="engage.stakeholder",
            object_id=str(n),
            detail={"use": "a long reason " * 6},
        )
    login(phone, administrator)

    phone.goto(live_server.url + reverse(url_name))

    region = phone.locator(".table-wrap").first
    assert region.get_attribute("tabindex") == "0"
    assert region.get_attribute("role") == "region"
    assert region.get_attribute("aria-label")
    check_page(phone)  # axe's scrollable-region-focusable among them


def test_every_page_title_is_unique():
    root = Path(__file__).resolve().parents[2] / "templates"
    titles = {}
    for path in root.rglob("*.html"):
        match = re.search(r"{% block title %}(.*?){% endblock %}", path.read_text())
        if match:
            titles.setdefault(match.group(1), []).append(str(path.relative_to(root)))
    assert {t: p for t, p in titles.items() if len(p) > 1} == {}
