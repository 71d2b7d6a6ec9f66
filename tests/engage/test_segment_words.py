"""Saved segments show their filters in words, not the keys they are stored under."""

import re

import pytest
from django.urls import reverse

from engage.filter_words import filters_in_words
from engage.selectors import stakeholder_filter_choices_forget
from tests.factories import AreaFactory, SegmentFactory
from tests.pages import main_text

pytestmark = pytest.mark.django_db

FILTERS = {
    "area": ["lambeth", "southwark"],
    "organisation_type": ["youth"],
    "attended": "any",
    "attended_min": 2,
    "consent": {"meeting-invitations": "given", "action-plan-news": "none"},
}


def _setup(consent_purposes):
    AreaFactory(name="Lambeth", slug="lambeth")
    AreaFactory(name="Southwark", slug="southwark")
    stakeholder_filter_choices_forget()
    return SegmentFactory(name="South London youth", filters=FILTERS)


def test_filters_in_words(consent_purposes):
    _setup(consent_purposes)
    invitations = consent_purposes["meeting-invitations"].name

    rows = dict(filters_in_words(FILTERS))

    assert rows["Area"] == "Lambeth, Southwark"
    assert rows["Organisation type"] == "Youth organisation"
    assert rows[f"Consent: {invitations}"] == "given"
    assert "never asked" in rows.values()
    assert "attended at least 2 meetings" in rows.values()


@pytest.mark.parametrize("url_name", ["engage:staff_segments", "engage:staff_segment"])
def test_segment_pages_show_words_not_keys(client, engagement_team, consent_purposes, url_name):
    segment = _setup(consent_purposes)
    client.force_login(engagement_team)
    kwargs = {"pk": segment.pk} if url_name == "engage:staff_segment" else {}

    html = main_text(client.get(reverse(url_name, kwargs=kwargs)))
    text = re.sub(r"<[^>]+>", " ", html)  # what people read, not the links' query strings

    assert "Lambeth, Southwark" in text
    assert "Youth organisation" in text
    for raw in ("organisation_type", "attended_min", "meeting-invitations", "lambeth", "consent "):
        assert raw not in text


@pytest.mark.parametrize("role", ["anonymous", "representative", "facilitator"])
def test_segments_are_for_the_team_only(client, role_users, role, consent_purposes):
    _setup(consent_purposes)
    if role_users[role]:
        client.force_login(role_users[role])

    response = client.get(reverse("engage:staff_segments"))

    assert response.status_code in (302, 403)
    assert "Lambeth, Southwark" not in response.content.decode()
