"""The public "you said, we did" pages, per meeting and across the series, and their links."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from events.enums import MeetingStatus
from feedback.enums import ResponseStatus
from feedback.models import Theme
from tests.factories import MeetingFactory, ResponseFactory, SeriesFactory

pytestmark = pytest.mark.django_db


def _series():
    series = SeriesFactory(slug="ysdw-series", name="Public review meetings")
    start = (timezone.now() - dt.timedelta(days=90)).replace(microsecond=0)
    july = MeetingFactory(
        series=series, title="July meeting", start=start, end=start + dt.timedelta(hours=2)
    )
    october = MeetingFactory(
        series=series,
        title="October meeting",
        start=start + dt.timedelta(days=80),
        end=start + dt.timedelta(days=80, hours=2),
    )
    published = timezone.now() - dt.timedelta(days=60)
    youth = Theme.objects.create(series=series, name="Young people")
    trust = Theme.objects.create(series=series, name="Trust")
    on_time = july.start + dt.timedelta(days=20)
    late = october.start + dt.timedelta(days=1)
    rows = [
        ("Evening meetings", ResponseStatus.RESPONDED, on_time, youth, "Next one is at 6pm."),
        ("Publish stop data", ResponseStatus.RESPONDED, late, trust, "Monthly from May."),
        ("Youth panel", ResponseStatus.DECLINED, on_time, youth, ""),
        ("Body-worn video", ResponseStatus.IN_PROGRESS, None, trust, ""),
    ]
    for said, status, answered, theme, did in rows:
        ResponseFactory(
            meeting=july,
            you_said=said,
            status=status,
            responded_at=answered,
            theme=theme,
            we_did=did,
            declined_reason="Outside our powers." if status == ResponseStatus.DECLINED else "",
            publish_at=published,
        )
    ResponseFactory(meeting=july, you_said="Unpublished draft", publish_at=None)
    return series, july, october, youth


def test_meeting_page_counts_answers_before_the_next_meeting(client):
    _series_, july, _october, _ = _series()

    page = client.get(reverse("feedback:meeting_you_said", kwargs={"slug": july.slug}))

    body = page.content.decode()
    assert page.status_code == 200
    assert "2 of 4 answered before the next meeting" in body
    assert "Outside our powers." in body
    assert "Unpublished draft" not in body
    assert "<strong>1</strong> declined" in body


def test_the_theme_filter(client):
    _s, july, _o, youth = _series()

    page = client.get(
        reverse("feedback:meeting_you_said", kwargs={"slug": july.slug}), {"theme": youth.pk}
    )

    body = page.content.decode()
    assert "Evening meetings" in body and "Youth panel" in body
    assert "Publish stop data" not in body
    assert "2 of 2 answered before the next meeting" in body


def test_series_page_groups_by_meeting(client):
    series, july, _o, _ = _series()

    page = client.get(reverse("feedback:series_you_said", kwargs={"slug": series.slug}))

    body = page.content.decode()
    assert page.status_code == 200
    assert "July meeting" in body
    assert "2 of 4 answered before the next meeting" in body
    bad = client.get(
        reverse("feedback:series_you_said", kwargs={"slug": series.slug}), {"theme": "x"}
    )
    assert bad.status_code == 200


def test_linked_from_the_next_meeting_and_the_record(client):
    _s, july, october, _ = _series()

    next_page = client.get(october.get_absolute_url())
    record = client.get(reverse("feedback:meeting_record", kwargs={"slug": july.slug}))

    link = reverse("feedback:meeting_you_said", kwargs={"slug": july.slug})
    assert link in next_page.content.decode()
    assert "2 of 4 answered before this meeting." in next_page.content.decode()
    assert link in record.content.decode()


def test_a_draft_meeting_has_no_public_page(client):
    draft = MeetingFactory(status=MeetingStatus.DRAFT)

    page = client.get(reverse("feedback:meeting_you_said", kwargs={"slug": draft.slug}))

    assert page.status_code == 404
