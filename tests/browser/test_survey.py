"""The post-meeting survey and session feedback on a 360 px phone, checked by axe-core: the
emailed link, an error, the thanks page, a link that does not work, and the staff pages."""

import pytest
from django.urls import reverse

from feedback.models import EqualityAnswer, MeetingSurvey, SurveyAnswer, SurveyResponse
from feedback.services.survey import meeting_survey_ensure
from tests.browser.conftest import check_page
from tests.factories import AreaFactory, RegistrationFactory
from tests.feedback.survey_helpers import past_meeting, survey_token

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _survey_url(live_server, meeting, token):
    return f"{live_server.url}{reverse('feedback:survey', args=[meeting.slug])}?t={token}"


def test_the_survey_on_a_phone(live_server, phone):
    meeting = past_meeting()
    AreaFactory(name="Hackney")
    survey = meeting_survey_ensure(meeting_id=meeting.pk)
    MeetingSurvey.objects.filter(pk=survey.pk).update(ask_equality=True)
    token = survey_token(RegistrationFactory(meeting=meeting))

    phone.goto(_survey_url(live_server, meeting, token))
    check_page(phone)
    change_one = phone.get_by_label("If you could have changed one thing about this meeting")
    change_one.fill("x" * 2001)
    phone.get_by_role("button", name="Send my answers").click()
    phone.wait_for_selector(".error-summary")
    assert phone.title().startswith("Error:")
    check_page(phone)
    assert len(change_one.input_value()) == 2001  # nothing typed is lost

    change_one.fill("Start on time.")
    phone.get_by_label("4 – good").check()
    phone.get_by_label("Which area of London are you from?").select_option(label="Hackney")
    phone.get_by_label("I agree to answer the equality monitoring questions").check()
    phone.get_by_label("35 to 49").check()
    phone.get_by_role("button", name="Send my answers").click()
    phone.wait_for_url("**/survey/thanks/**")
    assert phone.get_by_role("heading", name="Thank you for your feedback").is_visible()
    check_page(phone)

    assert SurveyResponse.objects.get().stakeholder_id is None
    assert sorted(SurveyAnswer.objects.values_list("text", flat=True)) == ["", "", "Start on time."]
    assert list(EqualityAnswer.objects.values_list("value", flat=True)) == ["35_49"]


def test_session_feedback_on_a_phone(live_server, phone):
    meeting = past_meeting()
    session = meeting.sessions.get()
    token = survey_token(RegistrationFactory(meeting=meeting))

    phone.goto(
        f"{live_server.url}{reverse('feedback:session_feedback', args=[meeting.slug, session.pk])}?t={token}"
    )
    check_page(phone)
    phone.get_by_label("5 – very good").check()
    phone.get_by_label("Your comments on").fill("The facilitator let everyone speak.")
    phone.get_by_role("button", name="Send my answers").click()
    phone.wait_for_url("**/survey/thanks/**")
    check_page(phone)

    assert SurveyAnswer.objects.get().rating == 5


def test_a_link_that_does_not_work_on_a_phone(live_server, phone):
    meeting = past_meeting()

    phone.goto(_survey_url(live_server, meeting, "not-a-token"))

    assert phone.get_by_role("heading", name="This link does not work").is_visible()
    check_page(phone)


def test_staff_survey_pages_on_a_phone(live_server, phone, login, engagement_team):
    meeting = past_meeting()
    token = survey_token(RegistrationFactory(meeting=meeting))
    login(phone, engagement_team)

    phone.goto(live_server.url + reverse("feedback:staff_survey", args=[meeting.pk]))
    check_page(phone)
    phone.goto(_survey_url(live_server, meeting, token))
    phone.get_by_label("3 – neither good nor poor").check()
    phone.get_by_role("button", name="Send my answers").click()
    phone.wait_for_url("**/survey/thanks/**")
    phone.goto(live_server.url + reverse("feedback:staff_survey_results", args=[meeting.pk]))
    assert phone.get_by_text("Average rating 3.0 out of 5").is_visible()
    check_page(phone)
    phone.goto(live_server.url + reverse("feedback:staff_chat_import", args=[meeting.pk]))
    check_page(phone)


def test_a_signed_in_attendee_finds_the_survey_on_the_meeting_page(
    live_server, phone, login, consent_purposes
):
    # consent_purposes: the meeting page's attendee list reads them, and a transactional test
    # that ran before this one flushed the migration's rows.
    from tests.factories import UserFactory
    from tests.feedback.survey_helpers import attendee

    meeting = past_meeting()
    registration = attendee(meeting, stakeholder__user=UserFactory())
    login(phone, registration.stakeholder.user)

    phone.goto(live_server.url + meeting.get_absolute_url())
    check_page(phone)
    phone.get_by_role("link", name="Answer the survey about the meeting").click()
    phone.wait_for_url("**/survey/")
    check_page(phone)
