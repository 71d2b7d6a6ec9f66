"""The summary report on a phone: staff write the draft from the points, edit and publish it;
the public record page shows it with its downloads. Checked by axe-core at 360 px."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from events.enums import MeetingStatus, SessionKind
from feedback import services
from feedback.enums import ModerationState
from tests.browser.conftest import check_page
from tests.factories import DiscussionQuestionFactory, MeetingFactory, PointFactory, SessionFactory


def approved_point(**kwargs):
    """A point moderation has approved: the only kind a report shows."""
    return PointFactory(moderation=ModerationState.APPROVED, **kwargs)


pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

QUESTION = "How could communities help support the Met's Use of Force work?"


def _meeting_with_points():
    start = (timezone.now() - dt.timedelta(days=3)).replace(microsecond=0)
    meeting = MeetingFactory(
        title="Public review meeting: July",
        start=start,
        end=start + dt.timedelta(hours=3),
        status=MeetingStatus.COMPLETED,
    )
    racism = services.theme_for_meeting(meeting=meeting, name="racism")
    for title in ("Breakout A", "Breakout B"):
        session = SessionFactory(
            meeting=meeting,
            kind=SessionKind.BREAKOUT,
            title=title,
            start=meeting.start,
            end=meeting.end,
        )
        question = DiscussionQuestionFactory(session=session, text=QUESTION)
        approved_point(question=question, text="Acknowledge institutional racism", theme=racism)
        approved_point(
            question=question,
            text="To build trust is to acknowledge institutional racism",
            verbatim=True,
            theme=racism,
        )
    approved_point(
        question=question,
        text="Provide more information about when, where and why force is used, and make "
        "body-worn video more available to communities so they understand what goes on.",
    )
    return meeting


def test_staff_draft_edit_and_publish_then_read_it_on_a_phone(
    live_server, phone, login, engagement_team, consent_purposes
):
    # consent_purposes: publishing emails those who agreed to meeting updates, and an earlier
    # transactional test may have flushed the seeded purposes.
    meeting = _meeting_with_points()
    login(phone, engagement_team)

    phone.goto(live_server.url + reverse("feedback:staff_report", kwargs={"pk": meeting.pk}))
    check_page(phone)
    phone.get_by_role("button", name="Write the draft from the points").click()
    phone.get_by_text("Last written from the points").wait_for()
    assert "Several comments mentioned racism:" in phone.get_by_label("Report").input_value()
    phone.get_by_label("Introduction").fill("More than 80 people joined us.")
    phone.get_by_role("button", name="Save report").click()
    phone.wait_for_load_state()
    check_page(phone)
    phone.get_by_role("button", name="Publish now").click()
    phone.wait_for_load_state()
    phone.get_by_text("Version 1, published").wait_for()  # the click navigates; wait for the page
    assert phone.get_by_text("Version 1, published").is_visible()

    phone.goto(live_server.url + reverse("feedback:meeting_record", kwargs={"slug": meeting.slug}))
    assert phone.get_by_role("heading", level=1).inner_text().startswith("What we heard")
    assert phone.get_by_role("heading", name=QUESTION).is_visible()
    assert phone.get_by_role("link", name="Summary report (accessible PDF)").is_visible()
    check_page(phone)


def test_a_save_without_a_title_shows_the_error_summary(live_server, phone, login, engagement_team):
    meeting = _meeting_with_points()
    login(phone, engagement_team)

    phone.goto(live_server.url + reverse("feedback:staff_report", kwargs={"pk": meeting.pk}))
    phone.get_by_role("button", name="Save report").click()
    phone.wait_for_load_state()

    assert phone.title().startswith("Error:")
    assert phone.get_by_role("heading", name="There is a problem").is_visible()
    check_page(phone)


def test_a_download_not_built_yet_says_it_is_being_prepared_on_a_phone(
    live_server, phone, consent_purposes
):
    from django.core.cache import cache

    from feedback.models import ReportVersionFile

    meeting = _meeting_with_points()
    report = services.meeting_report_draft_generate(meeting_id=meeting.pk, actor=None)
    services.meeting_report_publish(report_id=report.pk, actor=None)
    version = report.versions.get()
    ReportVersionFile.objects.filter(version=version).delete()  # as if its build were still running
    cache.add(f"feedback:report-files-queued:{version.pk}", 1, 60)
    url = reverse("feedback:meeting_report_file", kwargs={"slug": meeting.slug, "kind": "pdf"})

    phone.goto(live_server.url + url)

    assert phone.get_by_role("heading", level=1).inner_text() == "The report is being prepared"
    assert phone.get_by_role("link", name="Try the download again").is_visible()
    check_page(phone)
    cache.delete(f"feedback:report-files-queued:{version.pk}")
