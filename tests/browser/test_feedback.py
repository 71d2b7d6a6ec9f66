"""A meeting's record (summary report, "you said, we did") on a phone, public and staff pages,
checked by axe-core."""

import pytest
from django.urls import reverse
from django.utils import timezone

from feedback.enums import ResponseStatus
from feedback.models import Response
from tests.browser.conftest import check_page
from tests.factories import MeetingFactory, MeetingReportFactory, ResponseFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _meeting_with_record():
    meeting = MeetingFactory(title="Public review meeting: July")
    MeetingReportFactory(meeting=meeting, title="What we heard", publish_at=timezone.now())
    ResponseFactory(
        meeting=meeting,
        you_said="Share the discussion questions before the meeting, with the pre-reading.",
        we_did="Questions now go out with the papers two weeks ahead.",
        status=ResponseStatus.RESPONDED,
        publish_at=timezone.now(),
    )
    ResponseFactory(
        meeting=meeting,
        you_said="Hold some meetings in the evening so that young people can come.",
        we_did="The October meeting starts at 6pm and is focused on young people.",
        status=ResponseStatus.IN_PROGRESS,
        publish_at=timezone.now(),
    )
    return meeting


def test_the_record_page_on_a_phone(live_server, phone):
    meeting = _meeting_with_record()

    phone.goto(live_server.url + meeting.get_absolute_url())
    check_page(phone)
    phone.get_by_role("link", name="Read the meeting record").click()

    phone.wait_for_url("**/record/")
    assert phone.get_by_role("heading", name="What we heard").is_visible()
    assert phone.get_by_role("heading", name="You said, we did").is_visible()
    check_page(phone)


def test_staff_write_and_publish_a_response_on_a_phone(live_server, phone, login, engagement_team):
    meeting = _meeting_with_record()
    login(phone, engagement_team)

    phone.goto(live_server.url + reverse("feedback:staff_report", kwargs={"pk": meeting.pk}))
    assert phone.get_by_text("Published").first.is_visible()
    check_page(phone)

    phone.goto(live_server.url + reverse("feedback:staff_responses", kwargs={"pk": meeting.pk}))
    check_page(phone)
    phone.get_by_label("You said").fill("Tell us which boroughs were represented.")
    phone.get_by_label("We did").fill("Each record now lists the boroughs that came.")
    phone.get_by_role("button", name="Add response").click()
    phone.wait_for_url("**/responses/")
    check_page(phone)
    phone.get_by_role("button", name="Publish now").click()
    phone.wait_for_url("**/responses/")

    added = Response.objects.get(you_said__startswith="Tell us which boroughs")
    assert added.is_published()
    phone.goto(live_server.url + reverse("feedback:staff_response_edit", kwargs={"pk": added.pk}))
    check_page(phone)
