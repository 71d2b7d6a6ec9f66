"""The next meeting's published pre-reading on a 360 px phone, checked by axe-core."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from events.enums import MeetingStatus
from feedback.enums import ResponseStatus
from feedback.services import prereading as services
from tests.browser.conftest import check_page
from tests.factories import MeetingFactory, ResponseFactory, SeriesFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_prereading_page_on_a_phone(live_server, phone):
    now = timezone.now()
    series = SeriesFactory(slug="browser-prereading")
    july = MeetingFactory(
        series=series,
        title="July meeting",
        start=now - dt.timedelta(days=60),
        end=now - dt.timedelta(days=60) + dt.timedelta(hours=2),
        status=MeetingStatus.COMPLETED,
    )
    october = MeetingFactory(series=series, title="October meeting")
    ResponseFactory(
        meeting=july,
        you_said="Share the pre-reading and the discussion questions earlier, please.",
        we_did="They now go out two weeks ahead.",
        status=ResponseStatus.RESPONDED,
        publish_at=now - dt.timedelta(days=5),
    )
    services.prereading_assemble(meeting_id=october.pk, actor=None)
    services.prereading_publish(meeting_id=october.pk, publish_at=now, actor=None)

    phone.goto(live_server.url + reverse("feedback:prereading", kwargs={"slug": october.slug}))

    assert phone.get_by_role("heading", name="Pre-reading for October meeting").is_visible()
    assert phone.get_by_role("link", name="Pre-reading (accessible PDF)").is_visible()
    assert phone.get_by_text("We did: They now go out two weeks ahead.").first.is_visible()
    check_page(phone)
