"""The public "you said, we did" pages and the owner's signed-link page on a 360 px phone,
checked by axe-core."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from engage import links
from feedback.enums import ResponseStatus
from feedback.models import Theme
from tests.browser.conftest import check_page
from tests.factories import MeetingFactory, OwnerFactory, ResponseFactory, SeriesFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _past_meeting():
    series = SeriesFactory(slug="browser-ysdw")
    start = (timezone.now() - dt.timedelta(days=20)).replace(microsecond=0)
    meeting = MeetingFactory(
        series=series, title="July meeting", start=start, end=start + dt.timedelta(hours=2)
    )
    theme = Theme.objects.create(series=series, name="Young people")
    published = timezone.now() - dt.timedelta(days=1)
    ResponseFactory(
        meeting=meeting,
        you_said="Hold some meetings in the evening so that young people can come.",
        we_did="The October meeting starts at 6pm.",
        status=ResponseStatus.RESPONDED,
        responded_at=published,
        theme=theme,
        publish_at=published,
    )
    ResponseFactory(
        meeting=meeting,
        you_said="Set up a youth panel.",
        we_did="",
        status=ResponseStatus.DECLINED,
        declined_reason="A youth panel already exists; we will link to it.",
        responded_at=published,
        publish_at=published,
    )
    open_item = ResponseFactory(
        meeting=meeting,
        you_said="Publish stop and search data by borough.",
        we_did="",
        status=ResponseStatus.IN_PROGRESS,
        owner=OwnerFactory(),
        due_on=timezone.localdate() + dt.timedelta(days=10),
        publish_at=published,
    )
    return series, meeting, theme, open_item


def test_public_pages_on_a_phone(live_server, phone):
    series, meeting, theme, _ = _past_meeting()

    phone.goto(
        live_server.url + reverse("feedback:meeting_you_said", kwargs={"slug": meeting.slug})
    )
    assert phone.get_by_text("2 of 3 answered").is_visible()
    check_page(phone)
    phone.get_by_label("Theme").select_option(str(theme.pk))
    phone.get_by_role("button", name="Show").click()
    phone.wait_for_url(f"**theme={theme.pk}")
    assert phone.get_by_text("1 of 1 answered").is_visible()
    check_page(phone)

    phone.goto(live_server.url + reverse("feedback:series_you_said", kwargs={"slug": series.slug}))
    assert phone.get_by_role("heading", name="July meeting").is_visible()
    check_page(phone)


def test_owner_page_on_a_phone(live_server, phone):
    _s, _m, _t, item = _past_meeting()
    token = links.item_link_token(
        purpose=links.OWNER_REPLY, item=f"response:{item.pk}", sent_to=item.owner.contact_email
    )
    url = live_server.url + reverse(
        "feedback:owner_response", kwargs={"pk": item.pk, "token": token}
    )

    phone.goto(url)
    check_page(phone)
    phone.get_by_label("A request for more time").check()
    # What follows is read from the answer, not from the page being left.
    with phone.expect_navigation():
        phone.get_by_role("button", name="Send to the engagement team").click()
    assert phone.title().startswith("Error:")
    assert phone.get_by_role("link", name="Enter why more time is needed.").is_visible()
    check_page(phone)
    phone.get_by_label("A response").check()
    phone.get_by_label("Your response, or your reason").fill("Borough data goes online in May.")
    # What follows is read from the answer, not from the page being left.
    with phone.expect_navigation():
        phone.get_by_role("button", name="Send to the engagement team").click()
    assert phone.get_by_role("heading", name="Sent to the engagement team").is_visible()
    check_page(phone)
    assert item.replies.get().text == "Borough data goes online in May."


def test_plan_and_commitment_pages_on_a_phone(live_server, phone):
    import importlib

    from django.apps import apps

    from feedback.services import plan as plan_services

    importlib.import_module("feedback.migrations.0006_seed_rating_scale").seed(apps, None)
    plan = plan_services.plan_create(title="Action plan", slug="phone-plan", actor=None)
    chapter = plan_services.chapter_add(
        plan_id=plan.pk, number="1", title="Better use of police powers", actor=None
    )
    commitment = plan.commitments.create(
        chapter=chapter,
        number="1.1",
        text="Review samples of vehicle stops for disproportionality.",
    )
    for title, end, code in (
        ("2021/22 Q1", dt.date(2021, 6, 30), "LG"),
        ("2021/22 Q2", dt.date(2021, 9, 30), "G"),
    ):
        round_ = plan_services.round_open(plan_id=plan.pk, title=title, period_end=end, actor=None)
        plan_services.update_write(
            round_id=round_.pk,
            commitment_id=commitment.pk,
            status_text=f"{title} progress.",
            rating_code=code,
        )
        plan_services.round_publish(round_id=round_.pk, actor=None)

    phone.goto(live_server.url + plan.get_absolute_url())
    assert phone.get_by_role("link", name="2021/22 Q2 update, accessible PDF").is_visible()
    check_page(phone)
    phone.get_by_role("link", name="Commitment 1.1").click()
    phone.wait_for_url("**/1.1/")
    assert phone.get_by_text("2021/22 Q1 progress.").is_visible()
    assert phone.get_by_text("In progress and on track").first.is_visible()
    check_page(phone)


def test_series_page_pagination_on_a_phone(live_server, phone):
    series, meeting, _theme, _ = _past_meeting()
    published = timezone.now() - dt.timedelta(days=1)
    for n in range(60):
        ResponseFactory(meeting=meeting, you_said=f"Point {n}", publish_at=published)

    phone.goto(live_server.url + reverse("feedback:series_you_said", kwargs={"slug": series.slug}))
    phone.get_by_role("link", name="Next page").click()
    phone.wait_for_url("**page=2")

    assert phone.get_by_role("link", name="Page 2").get_attribute("aria-current") == "page"
    check_page(phone)
