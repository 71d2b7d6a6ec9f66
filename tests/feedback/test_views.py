"""Staff pages that write a meeting's record, and the public record page, through HTTP."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from events.enums import MeetingStatus
from feedback.enums import ResponseStatus
from feedback.models import MeetingReport, Response
from tests.factories import MeetingFactory, MeetingReportFactory, ResponseFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, engagement_team):
    client.force_login(engagement_team)
    return client


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


# --- Staff: summary report ---------------------------------------------------------------------


def test_staff_write_then_edit_the_report(staff_client):
    meeting = MeetingFactory()
    url = reverse("feedback:staff_report", kwargs={"pk": meeting.pk})

    created = staff_client.post(url, {"title": "What we heard", "body": "One.\n\nTwo."})
    edited = staff_client.post(url, {"title": "What we heard in July", "body": "One."})

    assert created.status_code == edited.status_code == 302
    report = MeetingReport.objects.get(meeting=meeting)
    assert (report.title, report.body, report.publish_at) == ("What we heard in July", "One.", None)


def test_staff_publish_the_report_now_schedule_it_and_unpublish_it(staff_client):
    report = MeetingReportFactory()
    url = reverse("feedback:staff_report_publication", kwargs={"pk": report.meeting_id})
    later = (timezone.localtime() + dt.timedelta(days=2)).replace(second=0, microsecond=0)

    now_response = staff_client.post(url, {"action": "now"}, follow=True)
    report.refresh_from_db()
    published, first_moment = report.is_published(), report.publish_at
    staff_client.post(url, {"action": "schedule", "publish_at": later.strftime("%Y-%m-%dT%H:%M")})
    report.refresh_from_db()
    still_public_at = report.publish_at
    staff_client.post(url, {"action": "unpublish"})
    report.refresh_from_db()

    assert published
    assert any("will be emailed shortly" in m for m in _messages(now_response))
    # A new version scheduled while the report is public leaves the current one up meanwhile.
    assert still_public_at == first_moment
    assert [v.published_at for v in report.versions.order_by("number")][1] == later
    assert report.publish_at is None


def test_staff_schedule_an_unpublished_report(staff_client):
    report = MeetingReportFactory()
    url = reverse("feedback:staff_report_publication", kwargs={"pk": report.meeting_id})
    later = (timezone.localtime() + dt.timedelta(days=2)).replace(second=0, microsecond=0)

    staff_client.post(url, {"action": "schedule", "publish_at": later.strftime("%Y-%m-%dT%H:%M")})

    report.refresh_from_db()
    assert report.publish_at == later
    assert not report.is_published()


def test_scheduling_without_a_time_or_in_the_past_is_refused(staff_client):
    report = MeetingReportFactory()
    url = reverse("feedback:staff_report_publication", kwargs={"pk": report.meeting_id})
    past = timezone.localtime() - dt.timedelta(days=1)

    missing = staff_client.post(url, {"action": "schedule"}, follow=True)
    in_past = staff_client.post(
        url, {"action": "schedule", "publish_at": past.strftime("%Y-%m-%dT%H:%M")}, follow=True
    )

    report.refresh_from_db()
    assert report.publish_at is None
    assert "Choose when to publish." in _messages(missing)
    assert "Choose a time in the future, or publish now." in _messages(in_past)


def test_the_report_page_shows_its_publication_state(staff_client):
    report = MeetingReportFactory(publish_at=timezone.now() + dt.timedelta(days=1))

    response = staff_client.get(reverse("feedback:staff_report", kwargs={"pk": report.meeting_id}))

    body = response.content.decode()
    assert "Scheduled for" in body
    assert 'value="What we heard"' in body


def test_the_staff_meeting_page_links_to_the_record_pages(staff_client):
    meeting = MeetingFactory()

    response = staff_client.get(reverse("events:staff_meeting_detail", kwargs={"pk": meeting.pk}))

    body = response.content.decode()
    assert reverse("feedback:staff_report", kwargs={"pk": meeting.pk}) in body
    assert reverse("feedback:staff_responses", kwargs={"pk": meeting.pk}) in body


# --- Staff: responses --------------------------------------------------------------------------


def test_staff_add_edit_publish_all_and_delete_responses(staff_client):
    meeting = MeetingFactory()
    list_url = reverse("feedback:staff_responses", kwargs={"pk": meeting.pk})

    staff_client.post(
        list_url,
        {"you_said": "Evening meetings", "we_did": "Next one at 6pm", "status": "planned"},
    )
    staff_client.post(
        list_url, {"you_said": "Drop this", "we_did": "Typo", "status": "planned", "order": 9}
    )
    first, extra = Response.objects.filter(meeting=meeting).order_by("order")
    staff_client.post(
        reverse("feedback:staff_response_edit", kwargs={"pk": first.pk}),
        {"you_said": "Evening meetings", "we_did": "The October one is at 6pm", "status": "done"},
    )
    staff_client.post(reverse("feedback:staff_response_delete", kwargs={"pk": extra.pk}))
    staff_client.post(
        reverse("feedback:staff_responses_publication", kwargs={"pk": meeting.pk}),
        {"action": "now"},
    )

    first.refresh_from_db()
    assert list(Response.objects.filter(meeting=meeting)) == [first]
    assert (first.we_did, first.status, first.order) == (
        "The October one is at 6pm",
        ResponseStatus.DONE,
        1,
    )
    assert first.is_published()


def test_one_response_is_published_and_unpublished(staff_client):
    item = ResponseFactory()
    url = reverse("feedback:staff_response_publication", kwargs={"pk": item.pk})

    staff_client.post(url, {"action": "now"})
    item.refresh_from_db()
    published = item.is_published()
    refused = staff_client.post(
        reverse("feedback:staff_response_delete", kwargs={"pk": item.pk}), follow=True
    )
    staff_client.post(url, {"action": "unpublish"})

    item.refresh_from_db()
    assert published
    assert "Unpublish this response before deleting it." in _messages(refused)
    assert item.publish_at is None


def test_responses_list_query_count_does_not_grow(staff_client, django_assert_max_num_queries):
    meeting = MeetingFactory()
    ResponseFactory.create_batch(3, meeting=meeting)
    url = reverse("feedback:staff_responses", kwargs={"pk": meeting.pk})
    with django_assert_max_num_queries(12):
        staff_client.get(url)
    ResponseFactory.create_batch(20, meeting=meeting, publish_at=timezone.now())

    with django_assert_max_num_queries(12):
        response = staff_client.get(url)

    assert len(response.context["responses"]) == 23


# --- Public ------------------------------------------------------------------------------------


def test_the_record_page_shows_only_what_is_published(client):
    meeting = MeetingFactory()
    MeetingReportFactory(meeting=meeting, title="What we heard", publish_at=timezone.now())
    ResponseFactory(meeting=meeting, you_said="Evening meetings", publish_at=timezone.now())
    ResponseFactory(meeting=meeting, you_said="Still a draft")
    ResponseFactory(
        meeting=meeting,
        you_said="Tomorrow's",
        publish_at=timezone.now() + dt.timedelta(days=1),
    )

    response = client.get(reverse("feedback:meeting_record", kwargs={"slug": meeting.slug}))

    body = response.content.decode()
    assert response.status_code == 200
    assert "What we heard" in body
    assert "<p>Over 80 people came, from 23 of London&#x27;s 33 areas.</p>" in body
    assert "Evening meetings" in body
    assert "Still a draft" not in body and "Tomorrow&#x27;s" not in body


def test_the_record_page_before_anything_is_published(client):
    meeting = MeetingFactory()
    MeetingReportFactory(meeting=meeting, title="Not yet", publish_at=None)

    response = client.get(reverse("feedback:meeting_record", kwargs={"slug": meeting.slug}))

    body = response.content.decode()
    assert response.status_code == 200
    assert "Not yet" not in body
    assert "will be published here after the meeting" in body


def test_a_draft_meetings_record_is_not_found(client):
    meeting = MeetingFactory(status=MeetingStatus.DRAFT)
    MeetingReportFactory(meeting=meeting, publish_at=timezone.now())

    response = client.get(reverse("feedback:meeting_record", kwargs={"slug": meeting.slug}))

    assert response.status_code == 404


def test_the_meeting_page_links_to_the_record_once_something_is_published(client):
    meeting = MeetingFactory()
    report = MeetingReportFactory(meeting=meeting, title="What we heard")
    record_url = reverse("feedback:meeting_record", kwargs={"slug": meeting.slug})

    before = client.get(meeting.get_absolute_url()).content.decode()
    report.publish_at = timezone.now()
    report.save()
    ResponseFactory.create_batch(2, meeting=meeting, publish_at=timezone.now())
    after = client.get(meeting.get_absolute_url()).content.decode()

    assert record_url not in before
    assert record_url in after
    assert "Summary report: What we heard" in after
    assert "2 responses to what people said" in after


def test_the_record_page_query_count(client, django_assert_max_num_queries):
    meeting = MeetingFactory()
    MeetingReportFactory(meeting=meeting, publish_at=timezone.now())
    ResponseFactory.create_batch(15, meeting=meeting, publish_at=timezone.now())

    with django_assert_max_num_queries(6):
        response = client.get(reverse("feedback:meeting_record", kwargs={"slug": meeting.slug}))

    assert len(response.context["responses"]) == 15
