"""Moderation services: personal data flagged from the names the system knows, approval,
withholding, redaction, edits, merges and theme changes, each kept in the point's history; and
the publishable points the report reads."""

import uuid

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from feedback import selectors, services
from feedback.enums import ModerationState, PointAction
from feedback.models import Point
from tests.factories import (
    DiscussionQuestionFactory,
    MeetingFactory,
    PointFactory,
    RegistrationFactory,
    SessionFactory,
    StakeholderFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def meeting():
    return MeetingFactory()


@pytest.fixture
def question(meeting):
    return DiscussionQuestionFactory(session=SessionFactory(meeting=meeting))


@pytest.fixture
def moderator(engagement_team):
    return engagement_team


@pytest.fixture(autouse=True)
def _typist(request, roles):
    # Points are written through the capture service, so each has its "added" revision.
    from tests.conftest import _user_with_role

    _TYPIST.clear()
    _TYPIST.append(_user_with_role("engagement_team", totp=False))


_TYPIST: list = []


def _point(question, text, author=None, weight=1):
    point, _ = services.point_capture(
        key=uuid.uuid4(),
        question_id=question.pk,
        author=author or _TYPIST[0],
        text=text,
        weight=weight,
    )
    return point


def _checked(point):
    services.points_check_personal_data(meeting=point.session.meeting)
    point.refresh_from_db()
    return point


def test_known_names_come_from_registrants_staff_facilitators_and_the_agenda(meeting, question):
    RegistrationFactory(
        meeting=meeting, stakeholder=StakeholderFactory(first_name="Amara", last_name="Okafor")
    )
    facilitator = UserFactory(first_name="Tom", last_name="Reyes")
    question.session.facilitators.add(facilitator)
    question.session.description = "Led by Chief Inspector Helen Marsh."
    question.session.save()
    other_meeting = MeetingFactory()
    RegistrationFactory(
        meeting=other_meeting, stakeholder=StakeholderFactory(first_name="Not", last_name="Here")
    )

    names = selectors.meeting_known_names(meeting=meeting)

    assert {"Amara Okafor", "Tom Reyes", "Chief Inspector Helen Marsh"} <= set(names)
    assert "Not Here" not in names


def test_personal_data_is_flagged_with_its_spans(meeting, question):
    RegistrationFactory(
        meeting=meeting, stakeholder=StakeholderFactory(first_name="Amara", last_name="Okafor")
    )
    point = _point(question, "Amara Okafor said ring 07911 123456 about the park")

    point = _checked(point)

    assert [(f["kind"], f["text"]) for f in point.pii_flags] == [
        ("name", "Amara Okafor"),
        ("phone", "07911 123456"),
    ]
    assert point.pii_open == 2
    assert point.pii_checked_at is not None


def test_only_new_or_changed_points_are_checked_again(meeting, question, facilitator):
    question.session.facilitators.add(facilitator)
    first = _point(question, "Lighting on the estate", author=facilitator)
    services.points_check_personal_data(meeting=meeting)
    second = _point(question, "Call 020 7946 0018")

    assert services.points_check_personal_data(meeting=meeting) == 1
    assert services.points_check_personal_data(meeting=meeting) == 0
    services.point_update(
        key=first.key, author=facilitator, text="Email a@example.org", verbatim=False, weight=1
    )
    assert services.points_check_personal_data(meeting=meeting) == 1
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.pii_open, second.pii_open) == (1, 1)


def test_a_flagged_point_cannot_be_approved_until_redacted(question, moderator):
    point = _checked(_point(question, "Email jo@example.org about the youth club"))

    assert services.points_approve(point_ids=[point.pk], actor=moderator) == (0, 1)
    services.point_redact(point_id=point.pk, actor=moderator)
    approved = services.points_approve(point_ids=[point.pk], actor=moderator)

    point.refresh_from_db()
    assert approved == (1, 0)
    assert point.text == "Email [email address removed] about the youth club"
    assert (point.moderation, point.moderated_by, point.pii_open) == (
        ModerationState.APPROVED,
        moderator,
        0,
    )
    history = list(point.revisions.values_list("action", "text", "note", "by"))
    assert history == [
        (PointAction.CREATED, "Email jo@example.org about the youth club", "", _TYPIST[0].pk),
        (PointAction.REDACTED, point.text, "email address", moderator.pk),
        (PointAction.APPROVED, point.text, "", moderator.pk),
    ]


def test_redacting_one_flag_keeps_the_others_with_their_new_spans(meeting, question, moderator):
    point = _checked(_point(question, "Ring 07911 123456 or email jo@example.org"))
    phone = next(i for i, f in enumerate(point.pii_flags) if f["kind"] == "phone")

    services.point_redact(point_id=point.pk, actor=moderator, flag_index=phone)

    point.refresh_from_db()
    assert point.text == "Ring [phone number removed] or email jo@example.org"
    [flag] = point.pii_flags
    assert point.text[flag["start"] : flag["end"]] == "jo@example.org"


def test_a_redaction_from_an_out_of_date_page_is_refused(question, moderator, facilitator):
    question.session.facilitators.add(facilitator)
    point = _checked(_point(question, "Email jo@example.org", author=facilitator))
    services.point_update(
        key=point.key, author=facilitator, text="Now nothing personal", verbatim=False, weight=1
    )

    with pytest.raises(ValidationError) as error:
        services.point_redact(point_id=point.pk, actor=moderator, flag_index=0)

    assert error.value.code == "stale"
    point.refresh_from_db()
    assert point.text == "Now nothing personal"


def test_not_personal_data_stays_so_when_checked_again(meeting, question, moderator):
    RegistrationFactory(
        meeting=meeting, stakeholder=StakeholderFactory(first_name="Rose", last_name="Garden")
    )
    point = _checked(_point(question, "The rose garden needs benches"))
    assert point.pii_open == 1

    services.point_flags_dismiss(point_id=point.pk, actor=moderator)
    services.points_check_personal_data(meeting=meeting, only_unchecked=False)

    point.refresh_from_db()
    assert (point.pii_open, point.pii_flags[0]["dismissed"]) == (0, True)
    assert services.points_approve(point_ids=[point.pk], actor=moderator) == (1, 0)
    assert point.revisions.filter(action=PointAction.FLAGS_DISMISSED, note="rose garden").exists()


def test_withholding_needs_a_reason_and_keeps_the_point(question, moderator):
    point = _checked(_point(question, "Off-topic rant"))

    with pytest.raises(ValidationError):
        services.point_withhold(point_id=point.pk, actor=moderator, reason="  ")
    services.point_withhold(point_id=point.pk, actor=moderator, reason="Off-topic")

    point.refresh_from_db()
    assert (point.moderation, point.withheld_reason) == (ModerationState.WITHHELD, "Off-topic")
    assert point.revisions.filter(action=PointAction.WITHHELD, note="Off-topic").exists()
    assert Point.objects.filter(pk=point.pk).exists()


def test_the_database_refuses_a_withheld_point_without_a_reason(question):
    point = _point(question, "A point")
    with pytest.raises(IntegrityError), transaction.atomic():
        Point.objects.filter(pk=point.pk).update(moderation=ModerationState.WITHHELD)


def test_return_to_review_after_withholding(question, moderator):
    point = _checked(_point(question, "A point"))
    services.point_withhold(point_id=point.pk, actor=moderator, reason="Check with the chair")

    services.point_return(point_id=point.pk, actor=moderator)

    point.refresh_from_db()
    assert (point.moderation, point.withheld_reason) == (ModerationState.PENDING, "")
    assert list(point.revisions.values_list("action", flat=True)) == [
        PointAction.CREATED,
        PointAction.WITHHELD,
        PointAction.RETURNED,
    ]


def test_merging_adds_weights_links_the_duplicates_and_keeps_their_history(
    meeting, question, moderator
):
    other_breakout = DiscussionQuestionFactory(
        session=SessionFactory(meeting=meeting), text=question.text
    )
    keep = _point(question, "More police on foot", weight=2)
    dup_a = _point(question, "more police on foot please", weight=3)
    dup_b = _point(other_breakout, "Police on foot, more of them")

    target = services.points_merge(
        meeting=meeting, point_ids=[dup_a.pk, dup_b.pk], into_id=keep.pk, actor=moderator
    )

    dup_a.refresh_from_db()
    dup_b.refresh_from_db()
    assert target.weight == 6
    assert (dup_a.merged_into, dup_b.merged_into) == (keep, keep)
    assert dup_a.text == "more police on foot please"
    assert list(
        keep.revisions.filter(action=PointAction.MERGED_IN).values_list("related", "weight")
    ) == [(dup_a.pk, 5), (dup_b.pk, 6)]
    assert dup_a.revisions.filter(action=PointAction.MERGED, related=keep).exists()


def test_a_point_merged_away_cannot_be_merged_again_nor_points_of_another_meeting(
    meeting, question, moderator
):
    keep, dup, third = (_point(question, t) for t in ("A", "B", "C"))
    foreign = PointFactory()
    services.points_merge(meeting=meeting, point_ids=[dup.pk], into_id=keep.pk, actor=moderator)

    with pytest.raises(ValidationError):
        services.points_merge(
            meeting=meeting, point_ids=[dup.pk], into_id=third.pk, actor=moderator
        )
    with pytest.raises(ValidationError):
        services.points_merge(
            meeting=meeting, point_ids=[foreign.pk], into_id=third.pk, actor=moderator
        )
    with pytest.raises(ValidationError):
        services.points_merge(
            meeting=meeting, point_ids=[keep.pk], into_id=keep.pk, actor=moderator
        )
    third.refresh_from_db()
    assert third.weight == 1


def test_theme_changes_are_series_wide_and_kept_in_the_history(meeting, question, moderator):
    later = MeetingFactory(series=meeting.series)
    point = _point(question, "Street lights out on the estate")
    later_point = PointFactory(
        question=DiscussionQuestionFactory(session=SessionFactory(meeting=later))
    )

    services.points_theme_set(
        meeting=meeting, point_ids=[point.pk], actor=moderator, theme_name="Street lighting"
    )
    services.points_theme_set(
        meeting=later, point_ids=[later_point.pk], actor=moderator, theme_name="street lighting"
    )
    changed_elsewhere = services.points_theme_set(
        meeting=later, point_ids=[point.pk], actor=moderator, theme_name="Other"
    )

    point.refresh_from_db()
    later_point.refresh_from_db()
    assert point.theme == later_point.theme
    assert changed_elsewhere == 0
    assert point.revisions.filter(
        action=PointAction.THEMED, theme_name="Street lighting", by=moderator
    ).exists()


def test_a_staff_edit_is_checked_again_and_kept(question, moderator):
    point = _checked(_point(question, "Lights out"))
    services.points_approve(point_ids=[point.pk], actor=moderator)

    services.point_moderate_edit(
        point_id=point.pk,
        actor=moderator,
        text="Lights out, ring 07911 123456",
        verbatim=True,
        weight=4,
    )

    point.refresh_from_db()
    assert (point.text, point.verbatim, point.weight, point.pii_open) == (
        "Lights out, ring 07911 123456",
        True,
        4,
        1,
    )
    assert point.moderation == ModerationState.PENDING
    assert point.revisions.filter(action=PointAction.EDITED, by=moderator, weight=4).exists()


def test_a_facilitator_edit_after_approval_goes_back_to_review(question, moderator, facilitator):
    question.session.facilitators.add(facilitator)
    point = _checked(_point(question, "Lights out", author=facilitator))
    services.points_approve(point_ids=[point.pk], actor=moderator)

    services.point_update(
        key=point.key, author=facilitator, text="Lights out again", verbatim=False, weight=1
    )

    point.refresh_from_db()
    assert point.moderation == ModerationState.PENDING


def test_publishable_points_are_approved_redacted_and_not_withheld_deleted_or_merged(
    meeting, question, moderator
):
    approved = _checked(_point(question, "Email jo@example.org about lights"))
    services.point_redact(point_id=approved.pk, actor=moderator)
    withheld = _checked(_point(question, "Rude"))
    deleted = _checked(_point(question, "Deleted"))
    merged = _checked(_point(question, "Lights again"))
    pending = _checked(_point(question, "Pending"))
    services.points_approve(
        point_ids=[approved.pk, withheld.pk, deleted.pk, merged.pk], actor=moderator
    )
    services.point_withhold(point_id=withheld.pk, actor=moderator, reason="Offensive")
    Point.objects.filter(pk=deleted.pk).update(deleted_at=deleted.created_at)
    services.points_merge(
        meeting=meeting, point_ids=[merged.pk], into_id=approved.pk, actor=moderator
    )
    PointFactory(moderation=ModerationState.APPROVED)  # another meeting's

    publishable = list(selectors.meeting_points_publishable(meeting_id=meeting.pk))

    assert [(p.pk, p.text, p.weight) for p in publishable] == [
        (approved.pk, "Email [email address removed] about lights", 2)
    ]
    assert pending.pk not in {p.pk for p in publishable}
