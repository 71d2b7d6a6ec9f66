"""Linking themes and responses to a commitment from the staff pages, and the commitment's
public page showing what people said about it."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from feedback.models import ActionPlan, Chapter, Commitment, Theme
from feedback.services.plan_links import commitment_links_set
from tests.factories import MeetingFactory, ResponseFactory, SeriesFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def linked():
    series = SeriesFactory()
    meeting = MeetingFactory(series=series)
    plan = ActionPlan.objects.create(title="Mayor's Action Plan", slug="map", series=series)
    chapter = Chapter.objects.create(plan=plan, number="1", title="Powers")
    commitment = Commitment.objects.create(
        plan=plan, chapter=chapter, number="1.1", text="Publish stop and search data"
    )
    theme = Theme.objects.create(series=series, name="Stop and search")
    response = ResponseFactory(
        meeting=meeting, you_said="Publish the data by borough", publish_at=timezone.now()
    )
    elsewhere = MeetingFactory(series=SeriesFactory(slug="elsewhere", name="Elsewhere"))
    other_theme = Theme.objects.create(series=elsewhere.series, name="Elsewhere")
    other_response = ResponseFactory(meeting=elsewhere, you_said="Not this plan's")
    return commitment, theme, response, other_theme, other_response


def _url(commitment):
    return reverse("feedback:staff_commitment_links", kwargs={"pk": commitment.pk})


def test_the_team_links_a_theme_and_a_response_and_the_public_page_shows_them(
    client, engagement_team, linked
):
    commitment, theme, response, _other_theme, other_response = linked
    client.force_login(engagement_team)

    form = client.get(_url(commitment)).content.decode()
    saved = client.post(_url(commitment), {"themes": [theme.pk], "responses": [response.pk]})

    assert "Publish the data by borough" in form
    assert "Not this plan&#x27;s" not in form and "Not this plan's" not in form
    assert saved.status_code == 302
    assert list(commitment.themes.all()) == [theme]
    assert list(commitment.responses.all()) == [response]
    public = client.get(commitment.get_absolute_url()).content.decode()
    assert "Themes people raised: Stop and search" in public
    assert "Publish the data by borough" in public


def test_another_series_theme_or_response_is_refused_and_nothing_changes(linked):
    commitment, theme, response, other_theme, other_response = linked
    commitment_links_set(
        commitment_id=commitment.pk, theme_ids=[theme.pk], response_ids=[], actor=None
    )

    with pytest.raises(ValidationError) as refused:
        commitment_links_set(
            commitment_id=commitment.pk,
            theme_ids=[other_theme.pk],
            response_ids=[other_response.pk],
            actor=None,
        )

    assert set(refused.value.message_dict) == {"themes", "responses"}
    assert list(commitment.themes.all()) == [theme]
    assert list(commitment.responses.all()) == []


def test_a_link_removed_is_gone_from_the_public_page(client, engagement_team, linked):
    commitment, theme, response, _other_theme, _other_response = linked
    commitment.themes.add(theme)
    commitment.responses.add(response)
    client.force_login(engagement_team)

    client.post(_url(commitment), {})

    assert commitment.themes.count() == 0 and commitment.responses.count() == 0
    assert (
        "Publish the data by borough"
        not in client.get(commitment.get_absolute_url()).content.decode()
    )


def test_a_choice_not_offered_is_a_form_error(client, engagement_team, linked):
    commitment, _theme, _response, other_theme, _other_response = linked
    client.force_login(engagement_team)

    page = client.post(_url(commitment), {"themes": [other_theme.pk]})

    assert page.status_code == 400
    assert "Error:" in page.content.decode()
    assert commitment.themes.count() == 0
