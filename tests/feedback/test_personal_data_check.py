"""The check of points for personal data off the request: a task queued after each capture,
edit and import, the beat sweep for lost tasks, and the moderation list that shows points not yet
checked instead of checking thousands inline."""

import uuid

import pytest
from django.urls import reverse

from feedback import services
from feedback.models import Point
from feedback.tasks import points_check_personal_data_task, points_personal_data_sweep_task
from feedback.views_moderation import INLINE_CHECK_MAX
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
def meeting():
    return MeetingFactory()


@pytest.fixture
def question(meeting):
    return DiscussionQuestionFactory(session=SessionFactory(meeting=meeting))


def _list(client, meeting):
    return client.get(reverse("feedback:staff_moderation", kwargs={"pk": meeting.pk}))


def test_a_captured_point_is_checked_by_a_task_after_commit(
    meeting, question, engagement_team, django_capture_on_commit_callbacks
):
    RegistrationFactory(
        meeting=meeting, stakeholder=StakeholderFactory(first_name="Amara", last_name="Okafor")
    )

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        point, _created = services.point_capture(
            key=uuid.uuid4(),
            question_id=question.pk,
            author=engagement_team,
            text="Ask Amara Okafor",
        )
    point.refresh_from_db()
    assert point.pii_checked_at is None  # nothing checked inside the request
    for callback in callbacks:
        callback()  # eager in tests: the task runs as the worker would

    point.refresh_from_db()
    assert [(f["kind"], f["text"]) for f in point.pii_flags] == [("name", "Amara Okafor")]
    assert point.pii_open == 1


def test_an_edit_queues_the_check_again(
    meeting, question, facilitator, django_capture_on_commit_callbacks
):
    question.session.facilitators.add(facilitator)
    with django_capture_on_commit_callbacks(execute=True):
        point, _created = services.point_capture(
            key=uuid.uuid4(), question_id=question.pk, author=facilitator, text="Lighting"
        )
    with django_capture_on_commit_callbacks(execute=True):
        services.point_update(
            key=point.key, author=facilitator, text="Ring 07911 123456", verbatim=False, weight=1
        )

    point.refresh_from_db()
    assert [f["kind"] for f in point.pii_flags] == ["phone"]
    assert point.pii_checked_at >= point.updated_at


def test_the_task_checks_only_what_changed_since_its_check(question):
    point = PointFactory(question=question, text="Ring 07911 123456")

    assert points_check_personal_data_task(point_ids=[point.pk]) == 1
    assert points_check_personal_data_task(point_ids=[point.pk]) == 0  # a redelivery: nothing
    point.refresh_from_db()
    assert point.pii_open == 1


def test_the_sweep_checks_points_whose_task_was_lost(meeting, question):
    lost = PointFactory.create_batch(3, question=question, text="Email me at a@example.org")

    assert points_personal_data_sweep_task() == 3
    assert points_personal_data_sweep_task() == 0
    assert sorted(Point.objects.filter(pii_open=1).values_list("pk", flat=True)) == sorted(
        p.pk for p in lost
    )


def test_the_list_checks_a_handful_inline_and_shows_more_as_not_yet_checked(
    client, engagement_team, meeting, question
):
    client.force_login(engagement_team)
    PointFactory.create_batch(INLINE_CHECK_MAX + 1, question=question, text="Ring 07911 123456")

    response = _list(client, meeting)

    assert response.context["counts"]["unchecked"] == INLINE_CHECK_MAX + 1
    assert Point.objects.filter(pii_checked_at__isnull=False).count() == 0
    assert "Not yet checked for personal data" in response.content.decode()
    Point.objects.filter(pk__in=Point.objects.values_list("pk", flat=True)[:1]).update(
        pii_checked_at=None
    )
    services.points_check_personal_data_ids(
        point_ids=list(Point.objects.values_list("pk", flat=True)[1:])
    )

    response = _list(client, meeting)  # one left: checked in the request

    assert response.context["counts"]["unchecked"] == 0
    assert response.context["counts"]["flagged"] == INLINE_CHECK_MAX + 1
    assert "Not yet checked for personal data" not in response.content.decode()


def test_an_unchecked_point_is_checked_before_it_can_be_approved(engagement_team, question):
    point = PointFactory(question=question, text="Ring 07911 123456")

    approved, flagged = services.points_approve(point_ids=[point.pk], actor=engagement_team)

    point.refresh_from_db()
    assert (approved, flagged, point.moderation, point.pii_open) == (0, 1, "pending", 1)


def test_check_again_marks_the_meeting_and_queues_its_task(
    client, engagement_team, meeting, question, django_capture_on_commit_callbacks
):
    client.force_login(engagement_team)
    point = PointFactory(question=question, text="Amara Okafor says hello")
    services.points_check_personal_data(meeting=meeting)
    point.refresh_from_db()
    assert point.pii_open == 0
    RegistrationFactory(
        meeting=meeting, stakeholder=StakeholderFactory(first_name="Amara", last_name="Okafor")
    )

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(
            reverse("feedback:staff_moderation_check", kwargs={"pk": meeting.pk})
        )

    assert response.status_code == 302
    assert len(callbacks) == 1
    point.refresh_from_db()
    assert point.pii_open == 1
