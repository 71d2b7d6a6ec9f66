"""Feedback adds its sections to events' meeting pages through events.sections."""

import pytest
from django.urls import reverse
from django.utils import timezone

from events.sections import Section, meeting_sections, register_meeting_section
from tests.factories import MeetingFactory, MeetingReportFactory

pytestmark = pytest.mark.django_db


def test_the_public_page_shows_the_record_section_only_once_something_is_published(client):
    meeting = MeetingFactory()
    page = client.get(meeting.get_absolute_url())
    assert "Read the meeting record" not in page.content.decode()

    MeetingReportFactory(meeting=meeting, title="What we heard", publish_at=timezone.now())
    page = client.get(meeting.get_absolute_url())
    html = page.content.decode()
    assert "Summary report: What we heard" in html
    assert reverse("feedback:meeting_record", kwargs={"slug": meeting.slug}) in html


def test_the_staff_page_links_to_the_record_pages(client, engagement_team):
    meeting = MeetingFactory()
    client.force_login(engagement_team)
    html = client.get(reverse("events:staff_meeting_detail", args=[meeting.pk])).content
    assert reverse("feedback:staff_report", args=[meeting.pk]).encode() in html
    assert reverse("feedback:staff_responses", args=[meeting.pk]).encode() in html


def test_registering_a_name_again_replaces_it_and_order_is_kept():
    meeting = MeetingFactory()
    calls = []

    def first(*, meeting, request=None):
        calls.append("first")
        return Section("x.html", {"n": 1})

    def second(*, meeting, request=None):
        return None

    register_meeting_section(page="staff", name="test.a", provider=first, order=1)
    register_meeting_section(page="staff", name="test.a", provider=second, order=1)
    try:
        assert [s.template for s in meeting_sections(page="staff", meeting=meeting)][:1] != [
            "x.html"
        ]
        assert calls == []
    finally:
        from events import sections

        sections._REGISTRY["staff"] = [e for e in sections._REGISTRY["staff"] if e[1] != "test.a"]
    with pytest.raises(ValueError):
        register_meeting_section(page="nowhere", name="x", provider=first)
