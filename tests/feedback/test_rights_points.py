"""Erasure removes the person's name from points and from their whole history, saying so in a
revision that does not repeat the name; other people's names and other words stay."""

import uuid

import pytest

from engage.rights import stakeholder_erase
from feedback import services
from feedback.enums import PointAction
from feedback.models import Point, PointRevision
from tests.factories import (
    DiscussionQuestionFactory,
    MeetingFactory,
    PointFactory,
    RegistrationFactory,
    SessionFactory,
    StakeholderFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def question():
    return DiscussionQuestionFactory(session=SessionFactory(meeting=MeetingFactory()))


def test_erasure_removes_the_name_from_points_and_their_history(question, engagement_team):
    person = StakeholderFactory(first_name="Amara", last_name="Okafor")
    RegistrationFactory(meeting=question.session.meeting, stakeholder=person)
    point, _ = services.point_capture(
        key=uuid.uuid4(),
        question_id=question.pk,
        author=engagement_team,
        text="Ask Amara Okafor about the youth club",
    )
    services.points_check_personal_data(meeting=question.session.meeting)
    services.point_flags_dismiss(point_id=point.pk, actor=engagement_team)  # note keeps the name
    services.point_moderate_edit(
        point_id=point.pk,
        actor=engagement_team,
        text="Ask Amara Okafr or Ms Okafor about the youth club, or Tom Reyes",
        verbatim=False,
        weight=1,
    )

    record = stakeholder_erase(stakeholder=person, actor=engagement_team)

    point.refresh_from_db()
    assert point.text == "Ask [name removed] or [name removed] about the youth club, or Tom Reyes"
    history = list(PointRevision.objects.filter(point=point).order_by("at", "id"))
    assert [r.action for r in history] == [
        PointAction.CREATED,
        PointAction.FLAGS_DISMISSED,
        PointAction.EDITED,
        PointAction.ERASURE_REDACTED,
    ]
    assert not any("Okaf" in r.text or "Okaf" in r.note for r in history)
    assert history[0].text == "Ask [name removed] about the youth club"
    assert history[-1].by is None and history[-1].text == point.text
    assert "Okafor" not in str(point.pii_flags)
    assert record.removed["feedback.points"] == {"points": 1, "revisions": 3}


def test_a_point_of_another_meeting_naming_the_person_is_scrubbed_and_others_are_left(
    engagement_team,
):
    person = StakeholderFactory(first_name="Kwame", last_name="Mensah")
    elsewhere = DiscussionQuestionFactory(session=SessionFactory(meeting=MeetingFactory()))
    named = PointFactory(question=elsewhere, text="Kwame Mensah ran the session well")
    other = PointFactory(question=elsewhere, text="Kwame from the youth club ran it")

    stakeholder_erase(stakeholder=person, actor=engagement_team)

    named.refresh_from_db()
    other.refresh_from_db()
    assert named.text == "[name removed] ran the session well"
    assert other.text == "Kwame from the youth club ran it"
    assert not Point.objects.filter(text__icontains="Mensah").exists()
    assert not PointRevision.objects.filter(point=other).exists()
