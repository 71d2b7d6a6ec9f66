"""Breakout capture services: insert-or-return-existing on the browser's key, who may write,
closed capture, limits, history."""

import threading
import uuid

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from feedback import services
from feedback.enums import PointAction, PointSource
from feedback.models import MeetingTheme, Point, PointRevision, Theme
from tests.factories import DiscussionQuestionFactory, MeetingFactory, SessionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def question(facilitator):
    q = DiscussionQuestionFactory()
    q.session.facilitators.add(facilitator)
    return q


def test_a_point_is_saved_with_a_created_revision(question, facilitator):
    key = uuid.uuid4()
    point, created = services.point_capture(
        key=key, question_id=question.pk, author=facilitator, text=" More youth work ", weight=3
    )
    assert created is True
    assert (point.text, point.weight, point.session_id) == (
        "More youth work",
        3,
        question.session_id,
    )
    assert list(point.revisions.values_list("action", "by", "text")) == [
        (PointAction.CREATED, facilitator.pk, "More youth work")
    ]


def test_a_resend_returns_the_saved_point_and_saves_nothing(question, facilitator):
    key = uuid.uuid4()
    first, _ = services.point_capture(
        key=key, question_id=question.pk, author=facilitator, text="A"
    )
    again, created = services.point_capture(
        key=key, question_id=question.pk, author=facilitator, text="A"
    )
    assert (again.pk, created) == (first.pk, False)
    assert Point.objects.count() == 1
    assert PointRevision.objects.count() == 1


def test_a_key_replayed_by_another_facilitator_is_refused(question, facilitator, roles):
    from tests.conftest import _user_with_role

    other = _user_with_role("facilitator", totp=False)
    question.session.facilitators.add(other)
    key = uuid.uuid4()
    services.point_capture(key=key, question_id=question.pk, author=facilitator, text="Mine")
    with pytest.raises(services.KeyConflict):
        services.point_capture(key=key, question_id=question.pk, author=other, text="Theirs")
    assert list(Point.objects.values_list("text", "author")) == [("Mine", facilitator.pk)]


def test_a_facilitator_of_another_session_may_not_capture(facilitator):
    question = DiscussionQuestionFactory()
    with pytest.raises(PermissionDenied):
        services.point_capture(
            key=uuid.uuid4(), question_id=question.pk, author=facilitator, text="x"
        )
    assert not Point.objects.exists()


@pytest.mark.parametrize(
    ("text", "message"), [("   ", "Enter the point"), ("x" * 2001, "at most 2000")]
)
def test_empty_or_long_text_is_refused_clearly(question, facilitator, text, message):
    with pytest.raises(ValidationError) as error:
        services.point_capture(
            key=uuid.uuid4(), question_id=question.pk, author=facilitator, text=text
        )
    assert message in " ".join(error.value.messages)
    assert not Point.objects.exists()


def test_2000_characters_are_allowed(question, facilitator):
    point, _ = services.point_capture(
        key=uuid.uuid4(), question_id=question.pk, author=facilitator, text="x" * 2000
    )
    assert len(point.text) == 2000


def test_closed_capture_refuses_new_points_and_edits(question, facilitator, engagement_team):
    key = uuid.uuid4()
    services.point_capture(key=key, question_id=question.pk, author=facilitator, text="Before")
    services.session_capture_close(session_id=question.session_id, actor=engagement_team)
    with pytest.raises(ValidationError) as error:
        services.point_capture(
            key=uuid.uuid4(), question_id=question.pk, author=facilitator, text="After"
        )
    assert error.value.code == "closed"
    with pytest.raises(ValidationError):
        services.point_update(key=key, author=facilitator, text="Changed", verbatim=False, weight=1)
    with pytest.raises(ValidationError):
        services.point_delete(key=key, author=facilitator)
    assert list(Point.objects.values_list("text", "deleted_at")) == [("Before", None)]

    services.session_capture_reopen(session_id=question.session_id, actor=engagement_team)
    services.point_update(key=key, author=facilitator, text="Changed", verbatim=False, weight=1)
    assert Point.objects.get().text == "Changed"


def test_edits_and_deletes_keep_history_and_only_the_author_may_make_them(
    question, facilitator, engagement_team
):
    key = uuid.uuid4()
    services.point_capture(key=key, question_id=question.pk, author=facilitator, text="First")
    with pytest.raises(PermissionDenied):
        services.point_update(key=key, author=engagement_team, text="No", verbatim=False, weight=1)
    services.point_update(
        key=key, author=facilitator, text="Second", verbatim=True, weight=2, theme="Trust"
    )
    # The same edit sent again (a resend) writes nothing more.
    services.point_update(
        key=key, author=facilitator, text="Second", verbatim=True, weight=2, theme="trust"
    )
    services.point_delete(key=key, author=facilitator)
    services.point_delete(key=key, author=facilitator)
    point = Point.objects.get()
    assert point.deleted_at is not None
    assert list(
        point.revisions.values_list("action", "text", "verbatim", "weight", "theme_name")
    ) == [
        (PointAction.CREATED, "First", False, 1, ""),
        (PointAction.EDITED, "Second", True, 2, "Trust"),
        (PointAction.DELETED, "Second", True, 2, "Trust"),
    ]


def test_a_theme_is_one_across_the_meetings_of_a_series(facilitator):
    first = DiscussionQuestionFactory()
    later_meeting = MeetingFactory(series=first.session.meeting.series)
    second = DiscussionQuestionFactory(session=SessionFactory(meeting=later_meeting))
    for q in (first, second):
        q.session.facilitators.add(facilitator)
    services.point_capture(
        key=uuid.uuid4(),
        question_id=first.pk,
        author=facilitator,
        text="a",
        theme="Stop and search",
    )
    services.point_capture(
        key=uuid.uuid4(),
        question_id=second.pk,
        author=facilitator,
        text="b",
        theme="stop  and SEARCH",
    )
    assert Theme.objects.count() == 1
    assert MeetingTheme.objects.count() == 2


def test_only_staff_may_mark_points_as_keyed_in_from_paper(question, facilitator, engagement_team):
    with pytest.raises(PermissionDenied):
        services.point_capture(
            key=uuid.uuid4(),
            question_id=question.pk,
            author=facilitator,
            text="x",
            source=PointSource.PAPER,
        )
    point, _ = services.point_capture(
        key=uuid.uuid4(),
        question_id=question.pk,
        author=engagement_team,
        text="From the flip chart",
        source=PointSource.FLIP_CHART,
    )
    assert point.source == PointSource.FLIP_CHART


@pytest.mark.django_db(transaction=True)
def test_concurrent_sends_of_one_key_save_one_point(roles):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent inserts need PostgreSQL (run with DATABASE_URL)")
    from tests.conftest import _user_with_role

    author = _user_with_role("facilitator", totp=False)
    question = DiscussionQuestionFactory()
    question.session.facilitators.add(author)
    key = uuid.uuid4()
    barrier = threading.Barrier(8)
    results, errors = [], []

    def send():
        try:
            barrier.wait()
            results.append(
                services.point_capture(key=key, question_id=question.pk, author=author, text="Once")
            )
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(created for _, created in results) == [False] * 7 + [True]
    assert len({point.pk for point, _ in results}) == 1
    assert Point.objects.count() == 1
    assert PointRevision.objects.count() == 1
