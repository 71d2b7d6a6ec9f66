"""Capture JSON endpoints and pages: CSRF kept, 403 for another session, 409 for a closed capture
or a replayed key, limits with a clear message, HTML kept as text; question pages; meeting copy."""

import json
import uuid

import pytest
from django.test import Client
from django.urls import reverse

from events import services as event_services
from events.models import DiscussionQuestion
from feedback.models import Point, QuestionTemplate
from tests.factories import DiscussionQuestionFactory, MeetingFactory, SessionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def question(facilitator):
    q = DiscussionQuestionFactory()
    q.session.facilitators.add(facilitator)
    return q


def _post(client, url, data):
    return client.post(url, json.dumps(data), content_type="application/json")


def _add(client, question, **extra):
    data = {"key": str(uuid.uuid4()), "question": question.pk, "text": "More patrols", **extra}
    return _post(client, reverse("feedback:capture_point_add", args=[question.session_id]), data)


def test_a_point_is_added_once_however_often_it_is_sent(client, facilitator, question):
    client.force_login(facilitator)
    key = str(uuid.uuid4())
    first = _add(client, question, key=key, verbatim=True, weight=3, theme="Visibility")
    again = _add(client, question, key=key, verbatim=True, weight=3, theme="Visibility")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["key"] == again.json()["key"] == key
    assert first.json()["theme"] == "Visibility"
    assert Point.objects.count() == 1


def test_csrf_is_required(facilitator, question):
    client = Client(enforce_csrf_checks=True)
    client.force_login(facilitator)
    assert _add(client, question).status_code == 403
    page = client.get(reverse("feedback:capture", args=[question.session_id]))
    token = page.context["csrf_token"]
    url = reverse("feedback:capture_point_add", args=[question.session_id])
    body = json.dumps({"key": str(uuid.uuid4()), "question": question.pk, "text": "With token"})
    response = client.post(url, body, content_type="application/json", HTTP_X_CSRFTOKEN=str(token))
    assert response.status_code == 201
    assert Point.objects.count() == 1


def test_a_facilitator_of_another_session_gets_403_and_nothing_is_saved(client, facilitator):
    other = DiscussionQuestionFactory()
    client.force_login(facilitator)
    assert _add(client, other).status_code == 403
    assert client.get(reverse("feedback:capture", args=[other.session_id])).status_code == 403
    assert not Point.objects.exists()


def test_a_question_of_another_session_is_refused(client, facilitator, question):
    client.force_login(facilitator)
    other = DiscussionQuestionFactory()
    data = {"key": str(uuid.uuid4()), "question": other.pk, "text": "x"}
    response = _post(
        client, reverse("feedback:capture_point_add", args=[question.session_id]), data
    )
    assert response.status_code == 400
    assert not Point.objects.exists()


def test_a_replayed_key_from_another_facilitator_gets_409(client, facilitator, question, roles):
    from tests.conftest import _user_with_role

    other = _user_with_role("facilitator", totp=False)
    question.session.facilitators.add(other)
    key = str(uuid.uuid4())
    client.force_login(facilitator)
    _add(client, question, key=key, text="Mine")
    client.force_login(other)
    response = _add(client, question, key=key, text="Forged")
    assert response.status_code == 409
    assert response.json()["code"] == "key_conflict"
    assert list(Point.objects.values_list("text", flat=True)) == ["Mine"]
    # Nor may they edit or delete it.
    edit = _post(client, reverse("feedback:capture_point_edit", args=[key]), {"text": "x"})
    delete = _post(client, reverse("feedback:capture_point_delete", args=[key]), {})
    assert (edit.status_code, delete.status_code) == (403, 403)
    assert Point.objects.get().deleted_at is None


def test_a_closed_capture_gets_409_with_a_clear_message(
    client, facilitator, engagement_team, question
):
    client.force_login(engagement_team)
    client.post(reverse("feedback:capture_state", args=[question.session_id]), {"action": "close"})
    client.force_login(facilitator)
    response = _add(client, question)
    assert response.status_code == 409
    assert response.json()["code"] == "closed"
    assert "closed" in response.json()["error"]
    assert not Point.objects.exists()


def test_too_long_or_empty_text_is_a_400_naming_the_limit(client, facilitator, question):
    client.force_login(facilitator)
    long = _add(client, question, text="x" * 2001)
    empty = _add(client, question, text="  ")
    assert long.status_code == empty.status_code == 400
    assert "2000" in long.json()["error"] and long.json()["field"] == "text"
    assert not Point.objects.exists()


def test_html_is_kept_as_text_and_escaped_on_the_pages(
    client, facilitator, engagement_team, question
):
    client.force_login(facilitator)
    _add(client, question, text="<script>alert(1)</script>")
    page = client.get(reverse("feedback:capture", args=[question.session_id])).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    meeting_id = question.session.meeting_id
    board = client.get(reverse("feedback:report_back", args=[meeting_id]) + "?fragment=1")
    assert "&lt;script&gt;" in board.content.decode()


def test_edit_and_delete_through_the_endpoints(client, facilitator, question):
    client.force_login(facilitator)
    key = _add(client, question).json()["key"]
    edited = _post(
        client,
        reverse("feedback:capture_point_edit", args=[key]),
        {"text": "Fewer patrols", "verbatim": False, "weight": 2, "theme": ""},
    )
    assert edited.status_code == 200 and edited.json()["text"] == "Fewer patrols"
    listed = client.get(reverse("feedback:capture_points", args=[question.session_id])).json()
    assert [p["text"] for p in listed["points"]] == ["Fewer patrols"]
    assert (
        _post(client, reverse("feedback:capture_point_delete", args=[key]), {}).status_code == 200
    )
    listed = client.get(reverse("feedback:capture_points", args=[question.session_id])).json()
    assert listed["points"] == []
    missing = _post(
        client, reverse("feedback:capture_point_edit", args=[uuid.uuid4()]), {"text": "x"}
    )
    assert missing.status_code == 404


def test_staff_key_in_points_from_paper_on_the_same_page(client, engagement_team, question):
    client.force_login(engagement_team)
    page = client.get(reverse("feedback:capture", args=[question.session_id]))
    assert "Keyed in from paper notes" in page.content.decode()
    response = _add(client, question, source="paper")
    assert response.status_code == 201 and response.json()["source"] == "paper"


def test_the_report_back_shows_every_breakout_side_by_side(client, facilitator, question):
    meeting = question.session.meeting
    second = DiscussionQuestionFactory(
        session=SessionFactory(meeting=meeting, title="Room B"), text=question.text
    )
    second.session.facilitators.add(facilitator)
    client.force_login(facilitator)
    _add(client, question, text="Point in room A")
    _add(client, second, text="Point in room B")
    html = client.get(reverse("feedback:report_back", args=[meeting.pk])).content.decode()
    assert question.session.title in html and "Room B" in html
    assert html.index("Point in room A") < html.index("Point in room B")
    assert 'src="/static/feedback/js/report-back.js"' in html


def test_the_facilitator_home_links_to_capture_for_their_sessions_only(
    client, facilitator, question
):
    other = SessionFactory(title="Not yours")
    client.force_login(facilitator)
    html = client.get(reverse("events:facilitator_home")).content.decode()
    assert reverse("feedback:capture", args=[question.session_id]) in html
    assert reverse("feedback:capture", args=[other.pk]) not in html


def test_the_service_worker_is_served_with_a_scope_covering_capture(client):
    response = client.get(reverse("feedback:capture_sw"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == "/facilitate/"


def test_pages_carry_no_inline_script(client, facilitator, question):
    client.force_login(facilitator)
    html = client.get(reverse("feedback:capture", args=[question.session_id])).content.decode()
    assert "<script>" not in html and "onclick" not in html
    assert 'src="/static/feedback/js/capture.js"' in html


# --- Questions ---------------------------------------------------------------------------------


def test_the_seeded_templates_are_there():
    texts = list(QuestionTemplate.objects.filter(seeded=True).values_list("text", flat=True))
    assert "If the Met were to stop doing something in your local area what should it be?" in texts
    assert "If you could have changed one thing about this session, what would it be?" in texts
    assert len(texts) == 6


def test_staff_pick_a_template_for_a_session(client, engagement_team):
    session = SessionFactory()
    template = QuestionTemplate.objects.get(text__startswith="If you could have changed")
    client.force_login(engagement_team)
    url = reverse("feedback:staff_meeting_questions", args=[session.meeting_id])
    client.post(url, {"session": session.pk, "template": template.pk})
    client.post(
        url, {"session": session.pk, "text": "Our own?", "answer_sources": ["survey", "capture"]}
    )
    rows = list(session.questions.values_list("text", "answer_sources", "order"))
    assert rows == [
        (template.text, ["session_feedback", "survey"], 1),
        ("Our own?", ["capture", "survey"], 2),
    ]
    refused = client.post(url, {"session": session.pk, "text": "No source"}, follow=True)
    assert "Choose where the answers come from." in refused.content.decode()
    assert session.questions.count() == 2


def test_the_team_adds_its_own_template(client, engagement_team):
    client.force_login(engagement_team)
    client.post(
        reverse("feedback:staff_question_templates"),
        {"text": "What would make you trust the police more?", "answer_sources": ["capture"]},
    )
    template = QuestionTemplate.objects.get(seeded=False)
    assert (template.text, template.created_by) == (
        "What would make you trust the police more?",
        engagement_team,
    )


def test_copying_a_meeting_copies_its_questions(engagement_team):
    import datetime as dt

    session = SessionFactory(meeting=MeetingFactory())
    DiscussionQuestion.objects.create(session=session, text="First?", order=1)
    DiscussionQuestion.objects.create(session=session, text="Second?", order=2)
    copy = event_services.meeting_copy(
        source_id=session.meeting_id,
        start=session.meeting.start + dt.timedelta(days=90),
        actor=engagement_team,
    )
    copied = DiscussionQuestion.objects.filter(session__meeting=copy)
    assert list(copied.values_list("text", "order")) == [("First?", 1), ("Second?", 2)]


def test_a_point_and_its_resend_take_a_fixed_few_queries(
    client, facilitator, question, django_assert_num_queries
):
    from django.db import connection

    from feedback.models import PointRevision

    client.force_login(facilitator)
    key = str(uuid.uuid4())
    # Session, user, question with its capture state, then the one statement that inserts the
    # point and its revision on PostgreSQL (SQLite: the key, then both inserts in a savepoint; a resend is read by its key).
    first, again = (4, 5) if connection.vendor == "postgresql" else (8, 4)
    with django_assert_num_queries(first):
        assert _add(client, question, key=key).status_code == 201
    with django_assert_num_queries(again):
        assert _add(client, question, key=key).status_code == 200
    point = Point.objects.get()
    assert list(PointRevision.objects.filter(point=point).values_list("action", "text")) == [
        ("created", "More patrols")
    ]
