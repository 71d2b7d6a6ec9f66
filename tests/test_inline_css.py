"""The stylesheet travels inside each page (one round trip to first paint), allowed by the
page's own CSP nonce."""

import re

import pytest
from django.urls import reverse

from tests.factories import MeetingFactory


@pytest.mark.django_db
def test_meeting_page_inlines_the_stylesheet_under_its_nonce(client):
    meeting = MeetingFactory()

    response = client.get(reverse("events:meeting_detail", kwargs={"slug": meeting.slug}))

    html = response.content.decode()
    assert 'rel="stylesheet"' not in html
    nonce = re.search(r'<style nonce="([^"]+)">', html).group(1)
    assert f"'nonce-{nonce}'" in response.headers["Content-Security-Policy"]
    assert ".error-summary" in html and "</style>" in html
