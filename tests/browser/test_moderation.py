"""Moderation on a phone: the list with flagged personal data, removing it, approving, the point
page with its error summary, and the themes page with its suggestions, checked by axe-core."""

import pytest
from django.urls import reverse

from feedback import services
from feedback.models import Point
from tests.browser.conftest import check_page
from tests.factories import DiscussionQuestionFactory, MeetingFactory, PointFactory, SessionFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _meeting(actor):
    meeting = MeetingFactory(title="Public review meeting: July")
    question = DiscussionQuestionFactory(
        session=SessionFactory(meeting=meeting, title="Breakout A")
    )
    tagged = PointFactory(question=question, text="Better street lighting near the station")
    services.points_theme_set(
        meeting=meeting, point_ids=[tagged.pk], actor=actor, theme_name="Street lighting"
    )
    PointFactory(question=question, text="Ring me on 07911 123456 about the lights")
    PointFactory(question=question, text="street lighting broken by the station")
    PointFactory(question=question, text="More police on foot patrol", weight=2)
    PointFactory(question=question, text="more police on foot patrol!")
    return meeting


def test_moderate_on_a_phone(live_server, phone, login, engagement_team):
    meeting = _meeting(engagement_team)
    login(phone, engagement_team)

    phone.goto(live_server.url + reverse("feedback:staff_moderation", kwargs={"pk": meeting.pk}))
    assert phone.locator("mark.pii").first.inner_text().startswith("07911 123456")
    check_page(phone)
    phone.get_by_role("button", name="Remove “07911 123456”").click()
    phone.wait_for_load_state()
    assert phone.get_by_text("Personal data removed from the point.").is_visible()
    assert Point.objects.filter(text="Ring me on [phone number removed] about the lights").exists()
    check_page(phone)

    phone.get_by_role(
        "link",
        name=f"Edit, withhold or see history (point {Point.objects.get(text__startswith='Ring').pk})",
    ).click()
    phone.get_by_role("button", name="Withhold").click()
    phone.wait_for_load_state()
    assert phone.title().startswith("Error:")
    assert phone.get_by_role(
        "link", name="Enter why the point is withheld from publication."
    ).is_visible()
    check_page(phone)

    phone.goto(live_server.url + reverse("feedback:staff_themes", kwargs={"pk": meeting.pk}))
    check_page(phone)
    phone.get_by_role("button", name="Use theme “Street lighting”").click()
    phone.wait_for_load_state()
    assert Point.objects.get(text="street lighting broken by the station").theme.name == (
        "Street lighting"
    )
    phone.get_by_role("button", name="Merge these 2 points").click()
    phone.wait_for_load_state()
    assert Point.objects.get(text="More police on foot patrol").weight == 3
    check_page(phone)
