"""Writing the meeting record: the summary report and the responses, and publishing them."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from feedback import services
from feedback.enums import ResponseStatus
from feedback.models import MeetingReport, Response
from tests.factories import MeetingFactory, MeetingReportFactory, ResponseFactory

pytestmark = pytest.mark.django_db


def test_a_report_is_written_unpublished_and_its_paragraphs_split_on_blank_lines():
    meeting = MeetingFactory()

    report = services.meeting_report_create(
        meeting_id=meeting.pk,
        title="  What we heard  ",
        body="First point,\ncontinued.\n\n\nSecond point.\n",
        actor=None,
    )

    assert (report.title, report.publish_at, report.notified_at) == ("What we heard", None, None)
    assert report.paragraphs() == ["First point, continued.", "Second point."]
    assert not report.is_published()


def test_a_meeting_has_one_report():
    report = MeetingReportFactory()

    with pytest.raises(ValidationError):
        services.meeting_report_create(
            meeting_id=report.meeting_id, title="Again", body="Text", actor=None
        )
    assert MeetingReport.objects.count() == 1


def test_an_empty_title_or_summary_is_refused():
    report = MeetingReportFactory(title="Kept")

    with pytest.raises(ValidationError) as raised:
        services.meeting_report_update(report_id=report.pk, title=" ", body="Text", actor=None)

    assert "title" in raised.value.error_dict
    report.refresh_from_db()
    assert report.title == "Kept"


def test_publishing_now_scheduling_and_unpublishing_a_report():
    report = MeetingReportFactory()
    later = timezone.now() + dt.timedelta(days=1)

    services.meeting_report_publish(report_id=report.pk, actor=None)
    report.refresh_from_db()
    published_now = report.is_published()
    services.meeting_report_unpublish(report_id=report.pk, actor=None)
    services.meeting_report_publish(report_id=report.pk, actor=None, at=later)
    report.refresh_from_db()
    scheduled = (report.is_published(), report.is_scheduled(), report.publish_at)
    services.meeting_report_unpublish(report_id=report.pk, actor=None)
    report.refresh_from_db()

    assert published_now
    assert scheduled == (False, True, later)
    assert report.publish_at is None


def test_a_moment_in_the_past_is_refused():
    report = MeetingReportFactory()
    response = ResponseFactory()
    past = timezone.now() - dt.timedelta(minutes=5)

    with pytest.raises(ValidationError):
        services.meeting_report_publish(report_id=report.pk, actor=None, at=past)
    with pytest.raises(ValidationError):
        services.response_publish(response_id=response.pk, actor=None, at=past)
    report.refresh_from_db()
    response.refresh_from_db()
    assert (report.publish_at, response.publish_at) == (None, None)


def test_responses_are_added_last_and_an_unknown_status_is_refused():
    meeting = MeetingFactory()
    first = services.response_create(
        meeting_id=meeting.pk, you_said="Evening meetings", we_did="Next one at 6pm", actor=None
    )
    second = services.response_create(
        meeting_id=meeting.pk,
        you_said="Questions earlier",
        we_did="With the pre-reading",
        status=ResponseStatus.IN_PROGRESS,
        actor=None,
    )

    with pytest.raises(ValidationError):
        services.response_create(
            meeting_id=meeting.pk, you_said="x", we_did="y", status="maybe", actor=None
        )
    assert [(r.pk, r.order, r.status) for r in Response.objects.filter(meeting=meeting)] == [
        (first.pk, 1, ResponseStatus.PLANNED),
        (second.pk, 2, ResponseStatus.IN_PROGRESS),
    ]


def test_publishing_all_publishes_only_the_unpublished_responses():
    meeting = MeetingFactory()
    earlier = timezone.now() - dt.timedelta(days=2)
    already = ResponseFactory(meeting=meeting, publish_at=earlier)
    drafts = ResponseFactory.create_batch(2, meeting=meeting)
    ResponseFactory()  # another meeting's

    count = services.responses_publish(meeting_id=meeting.pk, actor=None)

    already.refresh_from_db()
    assert count == 2
    assert already.publish_at == earlier
    assert all(Response.objects.get(pk=d.pk).is_published() for d in drafts)
    assert Response.objects.filter(publish_at__isnull=True).count() == 1


def test_a_published_response_must_be_unpublished_before_it_is_deleted():
    response = ResponseFactory(publish_at=timezone.now())

    with pytest.raises(ValidationError):
        services.response_delete(response_id=response.pk, actor=None)
    services.response_unpublish(response_id=response.pk, actor=None)
    meeting_id = services.response_delete(response_id=response.pk, actor=None)

    assert meeting_id == response.meeting_id
    assert not Response.objects.filter(pk=response.pk).exists()


def test_unpublishing_keeps_the_announcement_marker():
    notified = timezone.now() - dt.timedelta(days=1)
    response = ResponseFactory(publish_at=notified, notified_at=notified)

    services.response_unpublish(response_id=response.pk, actor=None)

    response.refresh_from_db()
    assert (response.publish_at, response.notified_at) == (None, notified)
