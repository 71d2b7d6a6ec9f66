"""The survey and session feedback pages through HTTP: reached by the emailed link or as a
signed-in attendee; every link that cannot answer gets a clear page; bad input keeps what was
typed; the staff pages choose questions and show results in aggregate."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from engage import links
from engage.enums import AuditAction
from engage.models import AuditLog
from feedback.enums import SurveyQuestionKind
from feedback.models import EqualityAnswer, MeetingSurvey, SurveyAnswer, SurveyResponse
from feedback.services.survey import meeting_survey_ensure
from tests.factories import MeetingFactory, RegistrationFactory, UserFactory
from tests.feedback.survey_helpers import attendee, past_meeting, survey_token

pytestmark = pytest.mark.django_db


def _url(meeting, token=None):
    url = reverse("feedback:survey", args=[meeting.slug])
    return f"{url}?t={token}" if token is not None else url


def _text_field(meeting) -> str:
    survey = meeting_survey_ensure(meeting_id=meeting.pk)
    return f"q{survey.questions.filter(kind=SurveyQuestionKind.TEXT).first().pk}"


def test_the_emailed_link_opens_the_survey_and_saves_an_anonymous_response(client):
    meeting = past_meeting()
    registration = RegistrationFactory(meeting=meeting)
    token = survey_token(registration)
    field = _text_field(meeting)

    page = client.get(_url(meeting, token))
    sent = client.post(_url(meeting, token), {field: "Hold one in the evening."})

    assert page.status_code == 200
    assert "What should the police stop" in page.content.decode()
    assert sent.status_code == 302 and "/survey/thanks/?t=" in sent["Location"]
    response = SurveyResponse.objects.get()
    assert response.stakeholder_id is None
    assert client.get(sent["Location"]).status_code == 200


def test_coming_back_shows_the_earlier_answers_and_changes_the_one_response(client):
    meeting = past_meeting()
    token = survey_token(RegistrationFactory(meeting=meeting))
    field = _text_field(meeting)
    client.post(_url(meeting, token), {field: "First thoughts"})

    page = client.get(_url(meeting, token)).content.decode()
    client.post(_url(meeting, token), {field: "Second thoughts", "identify": "on"})

    assert "First thoughts" in page and "You have already answered" in page
    assert SurveyResponse.objects.count() == 1
    assert SurveyResponse.objects.get().stakeholder_id is not None
    assert list(SurveyAnswer.objects.values_list("text", flat=True)) == ["Second thoughts"]


@pytest.mark.parametrize(
    ("case", "status", "heading"),
    [
        ("forged", 403, "This link does not work"),
        ("unknown_registration", 403, "This link does not work"),
        ("other_meeting", 403, "different meeting"),
        ("expired", 403, "This link has expired"),
        ("closed", 200, "This survey has closed"),
        ("preferences_token", 403, "This link does not work"),
    ],
)
def test_a_link_that_cannot_answer_gets_a_clear_page(client, settings, case, status, heading):
    meeting = past_meeting()
    registration = RegistrationFactory(meeting=meeting)
    token = survey_token(registration)
    if case == "forged":
        token = token[:-3] + ("abc" if not token.endswith("abc") else "xyz")
    elif case == "unknown_registration":
        token = links.link_token(
            stakeholder=registration.stakeholder, purpose=links.SURVEY, path="/", ref="999999"
        )
    elif case == "other_meeting":
        meeting = past_meeting()
    elif case == "expired":
        settings.ENGAGE_LINK_SURVEY_DAYS = -1
    elif case == "closed":
        survey = meeting_survey_ensure(meeting_id=meeting.pk)
        survey.closes_at = timezone.now() - dt.timedelta(minutes=5)
        survey.save()
    elif case == "preferences_token":
        token = links.link_token(stakeholder=registration.stakeholder, purpose=links.PREFERENCES)

    page = client.get(_url(meeting, token))
    posted = client.post(_url(meeting, token), {"identify": "on"})

    assert page.status_code == posted.status_code == status
    assert heading in page.content.decode()
    assert not SurveyResponse.objects.exists()


def test_a_post_after_the_survey_closed_gets_the_closed_page_and_saves_nothing(client):
    meeting = past_meeting()
    token = survey_token(RegistrationFactory(meeting=meeting))
    field = _text_field(meeting)
    MeetingSurvey.objects.filter(meeting=meeting).update(
        closes_at=timezone.now() - dt.timedelta(seconds=1)
    )

    page = client.post(_url(meeting, token), {field: "Too late"})

    assert "This survey has closed" in page.content.decode()
    assert not SurveyResponse.objects.exists()


def test_the_meeting_page_offers_the_survey_to_a_signed_in_attendee_only(client):
    meeting = past_meeting()
    came = attendee(meeting, stakeholder__user=UserFactory())
    did_not = RegistrationFactory(meeting=meeting, stakeholder__user=UserFactory())
    survey_url = _url(meeting)

    client.force_login(came.stakeholder.user)
    attendee_page = client.get(meeting.get_absolute_url()).content.decode()
    own = client.get(survey_url)
    client.force_login(did_not.stakeholder.user)
    other_page = client.get(meeting.get_absolute_url()).content.decode()
    refused = client.get(survey_url)
    client.logout()
    anonymous = client.get(survey_url)

    assert survey_url in attendee_page and survey_url not in other_page
    assert own.status_code == 200
    assert refused.status_code == 403 and "for people who came" in refused.content.decode()
    assert "Sign in to give your feedback" in anonymous.content.decode()


def test_a_signed_in_attendee_and_their_emailed_link_share_one_response(client):
    meeting = past_meeting()
    registration = attendee(meeting, stakeholder__user=UserFactory())
    field = _text_field(meeting)
    client.post(_url(meeting, survey_token(registration)), {field: "By the link"})
    client.force_login(registration.stakeholder.user)

    client.post(_url(meeting), {field: "From the meeting page"})

    assert SurveyResponse.objects.count() == 1
    assert SurveyAnswer.objects.get().text == "From the meeting page"


def test_too_long_text_is_refused_with_its_limit_and_kept_in_the_form(client):
    meeting = past_meeting()
    token = survey_token(RegistrationFactory(meeting=meeting))
    field = _text_field(meeting)
    long_text = "A point worth making. " * 100  # 2,200 characters

    page = client.post(_url(meeting, token), {field: long_text.strip()})

    html = page.content.decode()
    assert page.status_code == 200
    assert "<title>Error:" in html and "Error: Error:" not in html
    assert html.count('class="error-summary"') == 1  # the layout's, not a second of its own
    assert "must be 2,000 characters or fewer" in html and "2,199 characters now" in html
    assert f'href="#id_{field}"' in html  # the error summary links to the field
    assert long_text.strip() in html
    assert "maxlength" not in html
    assert not SurveyResponse.objects.exists()


def test_an_empty_form_asks_for_an_answer(client):
    meeting = past_meeting()
    token = survey_token(RegistrationFactory(meeting=meeting))

    page = client.post(_url(meeting, token), {_text_field(meeting): "   "})

    assert "Answer at least one question" in page.content.decode()
    assert not SurveyResponse.objects.exists()


def test_equality_questions_need_their_own_consent(client):
    meeting = past_meeting()
    token = survey_token(RegistrationFactory(meeting=meeting))
    MeetingSurvey.objects.filter(pk=meeting_survey_ensure(meeting_id=meeting.pk).pk).update(
        ask_equality=True
    )

    shown = client.get(_url(meeting, token)).content.decode()
    without = client.post(_url(meeting, token), {"e_age": "25_34"})
    saved_without = EqualityAnswer.objects.count()
    with_consent = client.post(_url(meeting, token), {"e_age": "25_34", "equality_consent": "on"})

    assert "I agree to answer the equality monitoring questions" in shown
    assert "Tick the box to agree" in without.content.decode() and saved_without == 0
    assert with_consent.status_code == 302
    assert list(EqualityAnswer.objects.values_list("question", "value")) == [("age", "25_34")]
    again = client.get(_url(meeting, token)).content.decode()
    assert "already answered the equality monitoring questions" in again
    assert 'name="e_age"' not in again


def test_session_feedback_takes_a_rating_and_text_per_question(client):
    meeting = past_meeting()
    token = survey_token(RegistrationFactory(meeting=meeting))
    session = meeting.sessions.get()
    question = session.questions.get()
    url = reverse("feedback:session_feedback", args=[meeting.slug, session.pk]) + f"?t={token}"

    page = client.get(url)
    sent = client.post(url, {f"r{question.pk}": "5", f"t{question.pk}": "Good chair."})
    invalid = client.post(url, {f"r{question.pk}": "9"})

    assert page.status_code == 200 and "How would you rate" in page.content.decode()
    assert sent.status_code == 302
    answer = SurveyAnswer.objects.get()
    assert (answer.rating, answer.text, answer.response.session_id) == (
        5,
        "Good chair.",
        session.pk,
    )
    assert invalid.status_code == 200 and "<title>Error:" in invalid.content.decode()


def test_a_session_of_another_meeting_is_not_found(client):
    meeting = past_meeting()
    token = survey_token(RegistrationFactory(meeting=meeting))
    other_session = past_meeting().sessions.get()

    page = client.get(
        reverse("feedback:session_feedback", args=[meeting.slug, other_session.pk]) + f"?t={token}"
    )

    assert page.status_code == 404


# --- Staff ---------------------------------------------------------------------------------------


def test_staff_choose_questions_and_the_close_time(client, engagement_team):
    meeting = past_meeting()
    client.force_login(engagement_team)
    url = reverse("feedback:staff_survey", args=[meeting.pk])

    client.post(
        url,
        {
            "action": "add",
            "kind": "choice",
            "text": "Was the room easy to find?",
            "choices": "Yes\nNo",
        },
    )
    client.post(url, {"action": "settings", "closes_at": "2030-01-31T17:00", "ask_equality": "on"})
    survey = MeetingSurvey.objects.get(meeting=meeting)
    added = survey.questions.get(kind=SurveyQuestionKind.CHOICE)
    client.post(url, {"action": "remove", "question": survey.questions.get(kind="rating").pk})
    page = client.get(url).content.decode()

    assert added.choices == ["Yes", "No"]
    survey.refresh_from_db()
    assert survey.ask_equality and timezone.localtime(survey.closes_at).hour == 17
    assert not survey.questions.filter(kind="rating").exists()
    assert "Was the room easy to find?" in page


def test_staff_see_results_in_aggregate_with_free_text_escaped(client, engagement_team):
    meeting = past_meeting()
    survey = meeting_survey_ensure(meeting_id=meeting.pk)
    rating = survey.questions.get(kind="rating")
    text = survey.questions.filter(kind="text").first()
    for value, words in ((4, "<script>alert(1)</script>"), (5, "Useful")):
        token = survey_token(RegistrationFactory(meeting=meeting))
        client.post(_url(meeting, token), {f"q{rating.pk}": str(value), f"q{text.pk}": words})
    client.force_login(engagement_team)

    page = client.get(reverse("feedback:staff_survey_results", args=[meeting.pk]))

    html = page.content.decode()
    assert "2 responses to the survey" in html
    assert "Average rating 4.5 out of 5" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert" not in html
    assert AuditLog.objects.filter(actor=engagement_team, action=AuditAction.VIEW).exists()


@pytest.mark.parametrize(
    "name", ["feedback:staff_survey", "feedback:staff_survey_results", "feedback:staff_chat_import"]
)
def test_staff_survey_pages_by_role(client, role_users, name):
    meeting = MeetingFactory()
    url = reverse(name, args=[meeting.pk])
    allowed = {"engagement_team", "administrator"}
    for role, user in role_users.items():
        client.logout()
        if user is not None:
            client.force_login(user)
        response = client.get(url)
        if user is None:
            assert response.status_code == 302 and "/accounts/login/" in response["Location"], role
        elif role in allowed:
            assert response.status_code == 200, role
        else:
            assert response.status_code == 403, role
        posted = client.post(url, {"action": "settings"})
        if role not in allowed:
            assert posted.status_code in (302, 403), role
    assert not MeetingSurvey.objects.filter(closes_at__isnull=False).exists()


def test_a_cancelled_meeting_takes_no_feedback(client):
    from events.enums import MeetingStatus

    meeting = past_meeting()
    token = survey_token(RegistrationFactory(meeting=meeting))
    meeting.status = MeetingStatus.CANCELLED
    meeting.save()

    page = client.get(_url(meeting, token))

    assert "This survey has closed" in page.content.decode()


def test_an_expired_link_can_ask_for_a_fresh_one_that_opens_the_survey(client, settings):
    from engage.models import OutboundEmail

    meeting = past_meeting()
    registration = RegistrationFactory(meeting=meeting)
    settings.ENGAGE_LINK_SURVEY_DAYS = -1
    token = survey_token(registration)
    page = client.get(_url(meeting, token)).content.decode()

    client.post(reverse("engage:link_renew"), {"token": token, "purpose": "survey"})
    settings.ENGAGE_LINK_SURVEY_DAYS = 90
    email = OutboundEmail.objects.get(stakeholder=registration.stakeholder)
    fresh = email.body_text.split("http://testserver", 1)[1].split()[0]

    assert "Email me a fresh link" in page
    assert fresh.startswith(f"/meetings/{meeting.slug}/survey/?t=")
    assert client.get(fresh).status_code == 200
