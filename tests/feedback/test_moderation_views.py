"""The staff moderation pages through HTTP: the list with its flags and filters in a fixed number
of queries, the actions, the point page's errors, and who may use them."""

import pytest
from django.urls import reverse

from feedback import services
from feedback.enums import ModerationState, PointAction
from feedback.models import Point
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


@pytest.fixture
def staff_client(client, engagement_team):
    client.force_login(engagement_team)
    return client


def _list_url(meeting, **query):
    url = reverse("feedback:staff_moderation", kwargs={"pk": meeting.pk})
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def _action_url(point):
    return reverse(
        "feedback:staff_point_action",
        kwargs={"pk": point.session.meeting_id, "point_id": point.pk},
    )


def _texts(response) -> list[str]:
    return [p.text for p in response.context["page"]]


def test_the_list_flags_personal_data_on_first_opening(staff_client, meeting, question):
    RegistrationFactory(
        meeting=meeting, stakeholder=StakeholderFactory(first_name="Amara", last_name="Okafor")
    )
    PointFactory(question=question, text="Amara Okafor runs the <b>youth</b> club")

    response = staff_client.get(_list_url(meeting))

    body = response.content.decode()
    assert response.status_code == 200
    assert '<mark class="pii">Amara Okafor<span class="visually-hidden">' in body
    assert "&lt;b&gt;youth&lt;/b&gt;" in body
    assert response.context["counts"]["flagged"] == 1


def _points(question, n, **kwargs):
    return PointFactory.create_batch(n, question=question, **kwargs)


@pytest.mark.parametrize("size", [3, 30])
def test_the_list_takes_the_same_queries_for_any_number_of_points(
    staff_client, engagement_team, meeting, question, size, django_assert_num_queries
):
    other = DiscussionQuestionFactory(session=SessionFactory(meeting=meeting), text="Another")
    _points(question, size, text="Ring 07911 123456")
    _points(other, size)
    services.points_check_personal_data(meeting=meeting)
    services.points_theme_set(
        meeting=meeting,
        point_ids=Point.objects.values_list("pk", flat=True)[:2],
        actor=engagement_team,
        theme_name="Lighting",
    )
    staff_client.get(_list_url(meeting))  # the session's first request loads what it caches

    with django_assert_num_queries(9):
        response = staff_client.get(_list_url(meeting))

    assert len(response.context["page"]) == min(2 * size, 25)
    assert response.context["counts"]["flagged"] == size


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ("pending", ["plain", "flagged 07911 123456"]),
        ("flagged", ["flagged 07911 123456"]),
        ("approved", ["approved"]),
        ("withheld", ["withheld"]),
        ("merged", ["merged"]),
    ],
)
def test_the_state_filters(staff_client, engagement_team, meeting, question, state, expected):
    for text in ("plain", "flagged 07911 123456", "approved", "withheld", "merged"):
        PointFactory(question=question, text=text)
    services.points_check_personal_data(meeting=meeting)
    by_text = {p.text: p for p in Point.objects.all()}
    services.points_approve(point_ids=[by_text["approved"].pk], actor=engagement_team)
    services.point_withhold(point_id=by_text["withheld"].pk, actor=engagement_team, reason="Rude")
    services.points_merge(
        meeting=meeting,
        point_ids=[by_text["merged"].pk],
        into_id=by_text["plain"].pk,
        actor=engagement_team,
    )

    response = staff_client.get(_list_url(meeting, state=state))

    assert _texts(response) == expected


def test_the_question_and_theme_filters(staff_client, engagement_team, meeting, question):
    same_question_other_breakout = DiscussionQuestionFactory(
        session=SessionFactory(meeting=meeting), text=question.text
    )
    other = DiscussionQuestionFactory(session=question.session, text="What would you change?")
    a = PointFactory(question=question, text="a")
    PointFactory(question=same_question_other_breakout, text="b")
    PointFactory(question=other, text="c")
    services.points_theme_set(
        meeting=meeting, point_ids=[a.pk], actor=engagement_team, theme_name="Lighting"
    )

    by_question = staff_client.get(_list_url(meeting, question=1))
    themed = staff_client.get(_list_url(meeting, theme=Point.objects.get(pk=a.pk).theme_id))
    untagged = staff_client.get(_list_url(meeting, theme="none"))

    assert sorted(_texts(by_question)) == ["a", "b"]
    assert _texts(themed) == ["a"]
    assert sorted(_texts(untagged)) == ["b", "c"]


def test_approve_redact_and_dismiss_from_the_list(staff_client, meeting, question):
    flagged = PointFactory(question=question, text="Ring 07911 123456 about it")
    looks_like = PointFactory(question=question, text="The rose garden")
    plain = PointFactory(question=question, text="More benches")
    RegistrationFactory(
        meeting=meeting, stakeholder=StakeholderFactory(first_name="Rose", last_name="Garden")
    )
    staff_client.get(_list_url(meeting))
    back = _list_url(meeting, state="pending")

    redacted = staff_client.post(
        _action_url(flagged), {"action": "redact", "flag": "0", "next": back}
    )
    staff_client.post(_action_url(looks_like), {"action": "dismiss", "next": back})
    staff_client.post(_action_url(plain), {"action": "approve", "next": back})

    for point in (flagged, looks_like, plain):
        point.refresh_from_db()
    assert redacted.status_code == 302 and redacted["Location"] == back
    assert flagged.text == "Ring [phone number removed] about it"
    assert looks_like.pii_open == 0
    assert plain.moderation == ModerationState.APPROVED


def test_a_redirect_elsewhere_is_not_followed(staff_client, meeting, question):
    point = PointFactory(question=question)

    response = staff_client.post(
        _action_url(point), {"action": "approve", "next": "https://evil.example/"}
    )

    assert response["Location"] == _list_url(meeting)


def test_bulk_approve_skips_flagged_points_and_says_so(staff_client, meeting, question):
    ok = PointFactory(question=question, text="Fine")
    flagged = PointFactory(question=question, text="jo@example.org")
    foreign = PointFactory(text="Another meeting's")
    staff_client.get(_list_url(meeting))

    response = staff_client.post(
        reverse("feedback:staff_moderation_bulk", kwargs={"pk": meeting.pk}),
        {"action": "approve", "point": [ok.pk, flagged.pk, foreign.pk]},
        follow=True,
    )

    states = dict(Point.objects.values_list("pk", "moderation"))
    assert states == {
        ok.pk: ModerationState.APPROVED,
        flagged.pk: ModerationState.PENDING,
        foreign.pk: ModerationState.PENDING,
    }
    messages = [str(m) for m in response.context["messages"]]
    assert "1 point approved." in messages
    assert any("still has personal data flagged" in m for m in messages)


def test_bulk_theme_and_merge(staff_client, meeting, question):
    keep, dup = PointFactory(question=question), PointFactory(question=question)
    url = reverse("feedback:staff_moderation_bulk", kwargs={"pk": meeting.pk})

    staff_client.post(url, {"action": "theme", "point": [keep.pk, dup.pk], "theme": "Youth"})
    staff_client.post(url, {"action": "merge", "point": [keep.pk, dup.pk], "into": keep.pk})

    keep.refresh_from_db()
    dup.refresh_from_db()
    assert (keep.theme.name, keep.weight, dup.merged_into_id) == ("Youth", 2, keep.pk)


def test_bulk_without_points_says_what_is_missing(staff_client, meeting):
    response = staff_client.post(
        reverse("feedback:staff_moderation_bulk", kwargs={"pk": meeting.pk}),
        {"action": "approve"},
        follow=True,
    )

    assert "Select at least one point." in [str(m) for m in response.context["messages"]]


def test_withholding_without_a_reason_shows_the_error_summary(staff_client, meeting, question):
    point = PointFactory(question=question)
    url = reverse("feedback:staff_point_review", kwargs={"pk": meeting.pk, "point_id": point.pk})

    refused = staff_client.post(url, {"form": "withhold", "withhold-reason": ""})
    withheld = staff_client.post(url, {"form": "withhold", "withhold-reason": "Off-topic"})

    body = refused.content.decode()
    assert refused.status_code == 400
    assert "<title>Error: " in body
    assert 'href="#id_withhold-reason"' in body
    assert "Enter why the point is withheld from publication." in body
    assert withheld.status_code == 302
    point.refresh_from_db()
    assert (point.moderation, point.withheld_reason) == (ModerationState.WITHHELD, "Off-topic")


def test_the_point_page_edits_and_shows_the_history(
    staff_client, engagement_team, meeting, question
):
    point = PointFactory(question=question, text="Lights out")
    url = reverse("feedback:staff_point_review", kwargs={"pk": meeting.pk, "point_id": point.pk})

    saved = staff_client.post(
        url, {"form": "edit", "text": "Street lights out", "weight": "2", "verbatim": "on"}
    )
    page = staff_client.get(url)

    point.refresh_from_db()
    assert saved.status_code == 302
    assert (point.text, point.weight, point.verbatim) == ("Street lights out", 2, True)
    [revision] = page.context["history"]
    assert (revision.action, revision.by) == (PointAction.EDITED, engagement_team)
    assert "Street lights out" in page.content.decode()


def test_a_point_of_another_meeting_is_not_found_under_this_one(staff_client, meeting):
    foreign = PointFactory()

    response = staff_client.get(
        reverse("feedback:staff_point_review", kwargs={"pk": meeting.pk, "point_id": foreign.pk})
    )

    assert response.status_code == 404


@pytest.mark.parametrize("role", ["anonymous", "representative", "facilitator"])
def test_only_the_engagement_team_and_administrators_may_moderate(
    client, role_users, role, meeting, question
):
    point = PointFactory(question=question)
    user = role_users[role]
    if user is not None:
        client.force_login(user)
    question.session.facilitators.add(*[u for u in role_users.values() if u])

    responses = [
        client.post(_action_url(point), {"action": "approve"}),
        client.post(
            reverse("feedback:staff_moderation_bulk", kwargs={"pk": meeting.pk}),
            {"action": "merge", "point": [point.pk, PointFactory(question=question).pk]},
        ),
        client.post(
            reverse("feedback:staff_point_review", kwargs={"pk": meeting.pk, "point_id": point.pk}),
            {"form": "withhold", "withhold-reason": "x"},
        ),
    ]

    assert {r.status_code for r in responses} == ({302} if user is None else {403})
    point.refresh_from_db()
    assert (point.moderation, point.merged_into_id) == (ModerationState.PENDING, None)
    assert not point.revisions.exists()


@pytest.mark.parametrize("role", ["engagement_team", "administrator"])
def test_staff_roles_moderate(client, role_users, role, meeting, question):
    point = PointFactory(question=question)
    client.force_login(role_users[role])

    listed = client.get(_list_url(meeting))
    client.post(_action_url(point), {"action": "approve"})

    point.refresh_from_db()
    assert listed.status_code == 200
    assert point.moderation == ModerationState.APPROVED
    assert point.revisions.get().by == role_users[role]


def test_the_buttons_on_each_point_of_the_list_act_on_that_point_only(
    staff_client, meeting, question
):
    flagged = PointFactory(question=question, text="Ring 07911 123456 about it")
    plain, ticked = PointFactory(question=question), PointFactory(question=question)
    staff_client.get(_list_url(meeting))
    bulk = reverse("feedback:staff_moderation_bulk", kwargs={"pk": meeting.pk})
    page = staff_client.get(_list_url(meeting)).content.decode()

    staff_client.post(bulk, {"do": f"redact:{flagged.pk}:0", "point": [ticked.pk]})
    staff_client.post(bulk, {"do": f"approve:{plain.pk}", "point": [ticked.pk]})
    foreign = staff_client.post(bulk, {"do": f"approve:{PointFactory().pk}"})

    for point in (flagged, plain, ticked):
        point.refresh_from_db()
    assert f'name="do" value="approve:{plain.pk}"' in page
    assert f'name="do" value="redact:{flagged.pk}:0"' in page
    assert flagged.text == "Ring [phone number removed] about it"
    assert (plain.moderation, ticked.moderation) == (
        ModerationState.APPROVED,
        ModerationState.PENDING,
    )
    assert foreign.status_code == 404
