"""The series "you said, we did" page in pages of 50: counts over every response, one page of
cards, GOV.UK pagination links that keep the theme, and the same queries at any size."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from events.enums import MeetingStatus
from feedback.enums import ResponseStatus
from feedback.models import Response, Theme
from tests.factories import MeetingFactory, SeriesFactory

pytestmark = pytest.mark.django_db


def _series(slug: str, responses: int):
    series = SeriesFactory(slug=slug, name=f"Series {slug}")
    theme = Theme.objects.create(series=series, name="Trust")
    start = timezone.now() - dt.timedelta(days=60)
    meeting = MeetingFactory(
        series=series,
        slug=f"{slug}-july",
        start=start,
        end=start + dt.timedelta(hours=2),
        status=MeetingStatus.COMPLETED,
    )
    Response.objects.bulk_create(
        Response(
            meeting=meeting,
            you_said=f"Point number {n:03d}",
            we_did="Done.",
            status=ResponseStatus.RESPONDED,
            theme=theme if n % 2 else None,
            order=n,
            responded_at=start + dt.timedelta(days=10),
            publish_at=start + dt.timedelta(days=5),
        )
        for n in range(responses)
    )
    return series, theme


def _get(client, series, **params):
    return client.get(reverse("feedback:series_you_said", kwargs={"slug": series.slug}), params)


def test_a_page_shows_fifty_and_the_counts_cover_them_all(client):
    series, _theme = _series("paged", 120)

    first = _get(client, series).content.decode()
    last = _get(client, series, page=3).content.decode()
    beyond = _get(client, series, page=99).content.decode()

    assert "120 of 120 answered" in first
    assert first.count('<li class="card">') == 50
    assert "Point number 000" in first and "Point number 050" not in first
    assert "Showing responses 1 to 50 of 120." in first
    assert 'aria-current="page">1</a>' in first
    assert 'href="?page=2" rel="next"' in first
    assert last.count('<li class="card">') == 20
    assert "Point number 119" in last
    assert 'href="?page=2" rel="prev"' in last
    assert beyond.count('<li class="card">') == 20


def test_the_page_links_keep_the_theme(client):
    series, theme = _series("themed", 120)

    body = _get(client, series, theme=theme.pk).content.decode()

    assert "Showing responses 1 to 50 of 60." in body
    assert f'href="?theme={theme.pk}&amp;page=2" rel="next"' in body


def test_a_small_series_has_no_pagination(client):
    series, _theme = _series("small", 3)

    body = _get(client, series).content.decode()

    assert 'class="pagination"' not in body
    assert body.count('<li class="card">') == 3


def test_the_same_queries_for_a_small_and_a_large_series(client):
    small, _ = _series("few", 5)
    large, _ = _series("many", 300)

    counts = []
    for series, page in ((small, 1), (large, 1), (large, 4)):
        with CaptureQueriesContext(connection) as queries:
            assert _get(client, series, page=page).status_code == 200
        counts.append(len(queries))

    assert counts[0] == counts[1] == counts[2]
