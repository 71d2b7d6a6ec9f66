"""Themes: recurring across questions and meetings with their history, and suggestions for
theming and merging that change nothing until accepted."""

import pytest
from django.urls import reverse

from feedback import selectors, services
from feedback.enums import ModerationState
from feedback.models import Point, PointRevision
from feedback.suggest import near_duplicate_groups, suggest_themes
from tests.factories import (
    DiscussionQuestionFactory,
    MeetingFactory,
    PointFactory,
    SeriesFactory,
    SessionFactory,
)

# --- Pure suggestions ---------------------------------------------------------------------------


def test_an_untagged_point_gets_the_theme_of_the_points_it_is_like():
    tagged = [
        ("Better street lighting near the station", 1),
        ("The street lights are broken on the estate", 1),
        ("More youth clubs in the evenings", 2),
        ("Somewhere for young people to go after school", 2),
    ]

    found = suggest_themes(
        [(10, "street lighting is broken by the station"), (11, "youth clubs closed"), (12, "x")],
        tagged,
    )

    assert [(s.point_id, s.theme_id) for s in found] == [(10, 1), (11, 2)]
    assert found[0].like_text == "Better street lighting near the station"


def test_a_theme_name_alone_is_enough_to_suggest_it():
    found = suggest_themes([(1, "Stop and search of young black men")], [], {7: "Stop and search"})

    assert [(s.point_id, s.theme_id, s.score) for s in found] == [(1, 7, 100)]


def test_one_shared_word_is_not_enough_to_suggest_a_theme():
    assert (
        suggest_themes(
            [(1, "The police should do more about knife crime")],
            [("The police should be there at night", 1)],
        )
        == []
    )


def test_near_duplicates_are_grouped_and_chained():
    points = [
        (1, "More police on foot patrol"),
        (2, "more police on foot patrol!"),
        (3, "Foot patrol, more police"),
        (4, "Fix the street lights"),
        (5, "Street lights: fix the"),
        (6, "Nothing like the others"),
    ]

    assert near_duplicate_groups(points) == [[1, 2, 3], [4, 5]]


# --- Recurring themes and the themes page -----------------------------------------------------


@pytest.fixture
def series_meetings(db):
    series = SeriesFactory(slug="youth-panel", name="Youth panel")
    return MeetingFactory(series=series), MeetingFactory(series=series)


def _tag(meeting, points, name, actor):
    services.points_theme_set(
        meeting=meeting, point_ids=[p.pk for p in points], actor=actor, theme_name=name
    )


@pytest.mark.django_db
def test_a_theme_under_several_questions_or_meetings_is_recurring(series_meetings, engagement_team):
    first, second = series_meetings
    session = SessionFactory(meeting=first)
    stop = DiscussionQuestionFactory(session=session, text="Stop, start, continue?")
    change = DiscussionQuestionFactory(session=session, text="Change one thing?")
    later = DiscussionQuestionFactory(session=SessionFactory(meeting=second), text=stop.text)
    trust = [PointFactory(question=stop, weight=2), PointFactory(question=change)]
    _tag(first, trust, "Trust", engagement_team)
    _tag(second, [PointFactory(question=later)], "trust", engagement_team)
    _tag(first, [PointFactory(question=stop)], "Parking", engagement_team)
    withheld = PointFactory(question=change)
    _tag(first, [withheld], "Parking", engagement_team)
    services.point_withhold(point_id=withheld.pk, actor=engagement_team, reason="Off-topic")

    histories = selectors.meeting_theme_history(meeting=first)

    assert [(h.name, h.recurring, h.this_meeting_questions, h.meetings) for h in histories] == [
        ("Trust", True, 2, 2),
        ("Parking", False, 1, 1),
    ]
    assert [(u.meeting_id, u.question_text, u.points, u.weight) for u in histories[0].uses] == [
        (first.pk, "Change one thing?", 1, 1),
        (first.pk, "Stop, start, continue?", 1, 2),
        (second.pk, "Stop, start, continue?", 1, 1),
    ]
    assert [h.name for h in selectors.meeting_recurring_themes(meeting=first)] == ["Trust"]


@pytest.mark.django_db
def test_the_themes_page_shows_suggestions_and_changes_nothing_until_one_is_accepted(
    client, engagement_team
):
    meeting = MeetingFactory()
    question = DiscussionQuestionFactory(session=SessionFactory(meeting=meeting))
    tagged = PointFactory(question=question, text="Better street lighting near the station")
    _tag(meeting, [tagged], "Street lighting", engagement_team)
    untagged = PointFactory(question=question, text="street lighting broken by the station")
    dup_a = PointFactory(question=question, text="More police on foot patrol")
    dup_b = PointFactory(question=question, text="more police on foot patrol!")
    client.force_login(engagement_team)
    revisions_before = PointRevision.objects.count()

    page = client.get(reverse("feedback:staff_themes", kwargs={"pk": meeting.pk}))

    suggestions = page.context["suggestions"]
    assert [(p.pk, name) for p, _, name in suggestions.themes] == [(untagged.pk, "Street lighting")]
    assert [[p.pk for p in group] for group in suggestions.duplicates] == [[dup_a.pk, dup_b.pk]]
    assert "Recurring" not in page.content.decode()
    assert PointRevision.objects.count() == revisions_before
    assert Point.objects.get(pk=untagged.pk).theme_id is None

    bulk = reverse("feedback:staff_moderation_bulk", kwargs={"pk": meeting.pk})
    client.post(bulk, {"action": "theme", "point": untagged.pk, "theme": "Street lighting"})
    client.post(bulk, {"action": "merge", "point": [dup_a.pk, dup_b.pk], "into": dup_b.pk})

    untagged.refresh_from_db()
    dup_a.refresh_from_db()
    assert untagged.theme_id == Point.objects.get(pk=tagged.pk).theme_id
    assert (dup_a.merged_into_id, dup_a.moderation) == (dup_b.pk, ModerationState.PENDING)
