"""What the registration form promises about access needs is what the wipe task does."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from tests.events.test_views_public import _verify
from tests.factories import MeetingFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("days", [1, 30])
def test_the_access_needs_promise_names_the_meetings_retention_period(client, days):
    cache.clear()  # the limit on emailed codes counts in the cache
    meeting = MeetingFactory(access_needs_retention_days=days)
    _verify(client, meeting)

    response = client.get(reverse("events:register", kwargs={"slug": meeting.slug}))

    page = response.content.decode()
    unit = "day" if days == 1 else "days"
    assert f"we delete it {days} {unit} after the meeting." in page
    assert "we delete it after the meeting." not in page
